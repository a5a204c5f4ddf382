"""Replies on their way to a person through the provider's API (the reply outbox).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=False),
        sa.Column("message_encrypted", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_replies"),
    )
    op.create_index("ix_pending_replies_next_attempt_at", "pending_replies", ["next_attempt_at"])
    op.create_index("ix_pending_replies_pseudonym", "pending_replies", ["pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_pending_replies_pseudonym", table_name="pending_replies")
    op.drop_index("ix_pending_replies_next_attempt_at", table_name="pending_replies")
    op.drop_table("pending_replies")
