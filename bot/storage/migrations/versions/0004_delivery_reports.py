"""Provider delivery reports: notifications are found by the provider's message id, and
remember when the handset got them.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
    op.create_index("ix_notifications_provider_id", "notifications", ["provider_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_provider_id", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("delivered_at")
