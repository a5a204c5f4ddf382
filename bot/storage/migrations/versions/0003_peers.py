"""Peer educators, referral codes, attributions and reach counts.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_educators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name_encrypted", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_peer_educators"),
    )
    op.create_table(
        "referral_codes",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("educator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["educator_id"], ["peer_educators.id"],
                                name="fk_referral_codes_educator_id_peer_educators"),
        sa.PrimaryKeyConstraint("code", name="pk_referral_codes"),
    )
    op.create_index("ix_referral_codes_educator_id", "referral_codes", ["educator_id"])
    op.create_table(
        "referral_attributions",
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("first_month", sa.String(7), nullable=False),
        sa.Column("last_active_month", sa.String(7), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["referral_codes.code"],
                                name="fk_referral_attributions_code_referral_codes"),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_referral_attributions"),
    )
    op.create_index("ix_referral_attributions_code", "referral_attributions", ["code"])
    op.create_table(
        "reach_counts",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["referral_codes.code"],
                                name="fk_reach_counts_code_referral_codes"),
        sa.PrimaryKeyConstraint("code", "month", "metric", "intent", name="pk_reach_counts"),
    )
    op.create_index("ix_reach_counts_month", "reach_counts", ["month"])


def downgrade() -> None:
    op.drop_index("ix_reach_counts_month", table_name="reach_counts")
    op.drop_table("reach_counts")
    op.drop_index("ix_referral_attributions_code", table_name="referral_attributions")
    op.drop_table("referral_attributions")
    op.drop_index("ix_referral_codes_educator_id", table_name="referral_codes")
    op.drop_table("referral_codes")
    op.drop_table("peer_educators")
