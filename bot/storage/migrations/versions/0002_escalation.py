"""Escalation: responders, cases, their audit trail, the notification outbox, anonymous
reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "responders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_assigned_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_responders"),
        sa.UniqueConstraint("channel", "pseudonym", name="uq_responders_channel_pseudonym"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(8), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("responder_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("callback_allowed", sa.Boolean(), nullable=False),
        sa.Column("summary_encrypted", sa.Text(), nullable=True),
        sa.Column("contact_encrypted", sa.Text(), nullable=True),
        sa.Column("close_note_encrypted", sa.Text(), nullable=True),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("tried_responders", sa.JSON(), nullable=False),
        sa.Column("route_count", sa.Integer(), nullable=False),
        sa.Column("ack_deadline", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("contact_expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
        sa.ForeignKeyConstraint(["responder_id"], ["responders.id"], ondelete="SET NULL",
                                name="fk_cases_responder_id_responders"),
    )
    op.create_index("ix_cases_pseudonym", "cases", ["pseudonym"])
    op.create_index("ix_cases_status_deadline", "cases", ["status", "ack_deadline"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name="fk_case_events_case_id_cases"),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name="fk_notifications_case_id_cases"),
    )
    op.create_index("ix_notifications_status_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])
    op.create_table(
        "anonymous_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_anonymous_reports"),
    )
    op.create_index("ix_anonymous_reports_month", "anonymous_reports", ["month"])


def downgrade() -> None:
    op.drop_index("ix_anonymous_reports_month", table_name="anonymous_reports")
    op.drop_table("anonymous_reports")
    op.drop_index("ix_notifications_case_id", table_name="notifications")
    op.drop_index("ix_notifications_status_due", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_case_events_case_id", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_cases_status_deadline", table_name="cases")
    op.drop_index("ix_cases_pseudonym", table_name="cases")
    op.drop_table("cases")
    op.drop_table("responders")
