"""The console: accounts, invites, notes, audit, organisations' SLA (the outcome code is 0011's).

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0010"
down_revision = "0006"
branch_labels = None
# Alters the escalation tables: needs the escalation branch (0002, 0004) applied first.
depends_on = ("0004",)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("organisation", sa.String(120), nullable=True))
        batch.add_column(sa.Column("reminded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("alerted_at", UTCDateTime(), nullable=True))
    op.create_index("ix_cases_responder_inbox", "cases",
                    ["responder_id", "status", "urgency", "ack_deadline", "created_at"])
    op.create_index("ix_cases_organisation_inbox", "cases",
                    ["organisation", "status", "urgency", "ack_deadline", "created_at"])
    # Existing cases belong to the organisation of the responder they were assigned to.
    op.execute("UPDATE cases SET organisation = (SELECT organisation FROM responders "
               "WHERE responders.id = cases.responder_id) WHERE responder_id IS NOT NULL")

    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("ack_minutes", sa.Integer(), nullable=False),
        sa.Column("remind_before_minutes", sa.Integer(), nullable=False),
        sa.Column("alert_channel", sa.String(16), nullable=True),
        sa.Column("alert_address_encrypted", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
    )
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("text_encrypted", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_notes_case_id_cases",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    op.create_table(
        "console_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("totp_confirmed", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("recovery_hashes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["responder_id"], ["responders.id"],
                                name="fk_console_accounts_responder_id_responders",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_console_accounts"),
        sa.UniqueConstraint("username", name="uq_console_accounts_username"),
    )
    op.create_table(
        "console_invites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["responder_id"], ["responders.id"],
                                name="fk_console_invites_responder_id_responders",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_console_invites"),
        sa.UniqueConstraint("token_hash", name="uq_console_invites_token_hash"),
    )
    op.create_table(
        "responder_link_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["responder_id"], ["responders.id"],
                                name="fk_responder_link_codes_responder_id_responders",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_responder_link_codes"),
        sa.UniqueConstraint("code_hash", name="uq_responder_link_codes_code_hash"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("detail", sa.String(80), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_audit_entries_case_id_cases",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_case_id", "audit_entries", ["case_id"])
    op.create_index("ix_audit_entries_organisation_at", "audit_entries", ["organisation", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_organisation_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_case_id", table_name="audit_entries")
    for table in ("audit_entries", "responder_link_codes", "console_invites", "console_accounts"):
        op.drop_table(table)
    op.drop_index("ix_case_notes_case_id", table_name="case_notes")
    op.drop_table("case_notes")
    op.drop_table("organisations")
    op.drop_index("ix_cases_organisation_inbox", table_name="cases")
    op.drop_index("ix_cases_responder_inbox", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for column in ("alerted_at", "reminded_at", "organisation"):
            batch.drop_column(column)
