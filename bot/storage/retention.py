"""How long the core keeps what it must keep, and the code that forgets it.

Run by the periodic sweep (bot/escalation/sweeps.py), which every deployment runs:
Celery beat, the in-process sweeper, or `haki worker sweep` from cron.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from bot.storage.models import InboundReceipt

#: Providers stop redelivering within a day (Telegram keeps updates 24 h, Twilio retries
#: within seconds), but a *captured* signed request can be replayed by anyone at any time:
#: as long as its receipt exists the replay is answered with silence. A receipt is a keyed
#: hash of a provider id, 64 bytes that identify no one, so 30 days cost nothing
#: (docs/channels.md, "Replays").
RECEIPT_RETENTION = timedelta(days=30)


def purge_inbound_receipts(session: Session, now: datetime) -> int:
    """Delete de-duplication receipts older than RECEIPT_RETENTION; returns how many."""
    # A DML statement returns a CursorResult (which has rowcount); execute() is typed Result.
    result = cast(CursorResult[Any], session.execute(
        delete(InboundReceipt).where(InboundReceipt.received_at < now - RECEIPT_RETENTION)
    ))
    return int(result.rowcount or 0)
