"""Receipts of provider message ids are kept only as long as a redelivery can come."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.base import utcnow
from bot.storage.db import Database
from bot.storage.models import InboundReceipt
from bot.storage.retention import RECEIPT_RETENTION, purge_inbound_receipts


def test_old_receipts_are_forgotten_and_recent_ones_kept(database_url: str) -> None:
    database = Database(database_url)
    now = utcnow()
    with database.session() as session:
        session.add(InboundReceipt(channel="sms", external_hash="old",
                                   received_at=now - RECEIPT_RETENTION - timedelta(minutes=1)))
        session.add(InboundReceipt(channel="sms", external_hash="recent",
                                   received_at=now - timedelta(hours=1)))
    with database.session() as session:
        assert purge_inbound_receipts(session, now) == 1
    with database.session() as session:
        assert session.scalars(select(InboundReceipt.external_hash)).all() == ["recent"]
    database.dispose()
