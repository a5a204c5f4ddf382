"""DELETE at the provider: the SMS log of a number, or single messages, to erase at Twilio.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_provider_erasures"),
    )
    op.create_index("ix_provider_erasures_not_before", "provider_erasures", ["not_before"])


def downgrade() -> None:
    op.drop_index("ix_provider_erasures_not_before", table_name="provider_erasures")
    op.drop_table("provider_erasures")
