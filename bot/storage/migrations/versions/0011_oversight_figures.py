"""Oversight figures: violation, perpetrator, test flag and outcome funnel on cases and
anonymous reports; educators' STATS contacts and per-organisation stats tokens.

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0011"
down_revision = "0006"
branch_labels = None
# Needs the cases (0002) and peer_educators (0003) tables, which live on other branches.
depends_on = ("0002", "0003")

CASE_TIMES = ("referred_at", "actioned_at", "outcome_at")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("violation", sa.String(32), nullable=True))
        batch.add_column(sa.Column("perpetrator", sa.String(16), nullable=False,
                                   server_default="not_recorded"))
        batch.add_column(sa.Column("is_test", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        for name in CASE_TIMES:
            batch.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("outcome_code", sa.String(32), nullable=True))
        batch.add_column(sa.Column("ack_minutes", sa.Integer(), nullable=True))
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    # Cases routed before this migration were referred when first assigned. (Their
    # ack_minutes stay empty: the report works them out from the two times.)
    op.execute("UPDATE cases SET referred_at = assigned_at WHERE assigned_at IS NOT NULL")
    with op.batch_alter_table("anonymous_reports") as batch:
        batch.add_column(sa.Column("violation", sa.String(32), nullable=True))
        batch.add_column(sa.Column("perpetrator", sa.String(16), nullable=False,
                                   server_default="not_recorded"))
        batch.add_column(sa.Column("is_test", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "educator_contacts",
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("educator_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["educator_id"], ["peer_educators.id"],
                                name="fk_educator_contacts_educator_id_peer_educators"),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_educator_contacts"),
    )
    op.create_index("ix_educator_contacts_educator_id", "educator_contacts", ["educator_id"])
    op.create_table(
        "stats_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stats_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_stats_tokens_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("stats_tokens")
    op.drop_index("ix_educator_contacts_educator_id", table_name="educator_contacts")
    op.drop_table("educator_contacts")
    with op.batch_alter_table("anonymous_reports") as batch:
        for name in ("is_test", "perpetrator", "violation"):
            batch.drop_column(name)
    op.drop_index("ix_cases_created_at", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("ack_minutes", "outcome_code", *CASE_TIMES, "is_test", "perpetrator",
                     "violation"):
            batch.drop_column(name)
