"""Conversation state and inbound de-duplication.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("language_chosen", sa.Boolean(), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("welcomed", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("pending_step", sa.String(40), nullable=True),
        sa.Column("pending_data", sa.JSON(), nullable=False),
        sa.Column("menu", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_people"),
    )
    op.create_table(
        "inbound_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_hash", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_receipts"),
        sa.UniqueConstraint("channel", "external_hash", name="uq_inbound_receipts_channel_hash"),
    )
    op.create_index("ix_inbound_receipts_received_at", "inbound_receipts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_receipts_received_at", table_name="inbound_receipts")
    op.drop_table("inbound_receipts")
    op.drop_table("people")
