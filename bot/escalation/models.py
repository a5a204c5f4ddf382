"""Escalation tables: responders, cases and their audit trail, the notification outbox,
and anonymous reports.

What is *not* here: no phone number or chat id in the clear (contacts are Fernet tokens,
lookups use keyed pseudonyms), no message text except the one consented summary line and
the responder's closing note, both encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime, utcnow

# Responder kinds the person can choose between (the registry holds both).
LIAISON = "liaison"
PARALEGAL = "paralegal"
RESPONDER_KINDS = (PARALEGAL, LIAISON)

# Case states, in the order a case normally goes through them.
ASSIGNED = "assigned"  # a responder is chosen and a notification is queued
UNASSIGNED = "unassigned"  # nobody on duty matched; the sweep keeps trying
ACKNOWLEDGED = "acknowledged"
CLOSED = "closed"
WITHDRAWN = "withdrawn"  # the person deleted their data; only the anonymised row is left
OPEN_STATES = (ASSIGNED, UNASSIGNED)

# Notification states: pending -> sending -> sent, or cancelled / failed.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
CANCELLED = "cancelled"
FAILED = "failed"

# Who a notification goes to.
TO_RESPONDER = "responder"
TO_PERSON = "person"


class Responder(Base):
    """A police liaison officer or civil-society paralegal a programme has listed.

    ⚠ There is no formal SAPS "nodal officer": this is a programme's own list of people
    who agreed to receive cases (see docs/escalation.md).
    """

    __tablename__ = "responders"
    __table_args__ = (
        UniqueConstraint("channel", "pseudonym", name="uq_responders_channel_pseudonym"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    organisation: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    #: Region ids (content/common/escalation.yml) or ["all"] for a national backup.
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(16))
    #: Fernet token of the chat id or phone number: we must send to it, so we keep it.
    address_encrypted: Mapped[str] = mapped_column(Text)
    #: pseudonym(secret, channel, address): recognises the responder's ACK/DONE.
    pseudonym: Mapped[str] = mapped_column(String(64))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Round-robin: the least recently assigned equal responder goes next.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """One consented escalation. Personal parts (pseudonym, summary, contact, note) are
    wiped on DELETE and, for the contact, after the case closes plus a grace period."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_pseudonym", "pseudonym"),
        Index("ix_cases_status_deadline", "status", "ack_deadline"),
        #: The monthly figures read cases by month (bot/figures/report.py).
        Index("ix_cases_created_at", "created_at"),
        # The console's inboxes, read in order without a sort (console/inbox.py): a
        # responder's cases, an organisation's cases.
        Index("ix_cases_responder_inbox", "responder_id", "status", "urgency", "ack_deadline",
              "created_at"),
        Index("ix_cases_organisation_inbox", "organisation", "status", "urgency", "ack_deadline",
              "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    #: The person's pseudonym; None once they deleted their data.
    pseudonym: Mapped[str | None] = mapped_column(String(64), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(8))  # "urgent" or "normal"
    responder_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ASSIGNED)
    callback_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    summary_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    #: The person's reply address (Fernet), to tell them "acknowledged"/"closed".
    contact_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    close_note_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    responder_id: Mapped[int | None] = mapped_column(
        ForeignKey("responders.id", ondelete="SET NULL"), default=None)
    #: Responders already tried in this routing round (ids), so a re-route moves on.
    tried_responders: Mapped[list[int]] = mapped_column(JSON, default=list)
    route_count: Mapped[int] = mapped_column(Integer, default=0)
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: When the stored contact must be gone (closed + grace).
    contact_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # --- oversight figures (bot/figures/, docs/oversight.md) ---------------------------
    #: Violation type from content/<jurisdiction>/taxonomy.yml, derived from the intent.
    violation: Mapped[str | None] = mapped_column(String(32), default=None)
    #: saps | metro_police | other | not_recorded (set by a responder, never free text).
    perpetrator: Mapped[str] = mapped_column(String(16), default="not_recorded",
                                             server_default="not_recorded")
    #: Sandbox and test cases: kept apart, never counted in any figure.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The outcome funnel: reported (created_at) -> referred -> acknowledged -> actioned ->
    #: outcome. Closing sets actioned_at; the service's close sets outcome_code
    #: (content/<jurisdiction>/outcomes.yml) and outcome_at.
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    actioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    outcome_code: Mapped[str | None] = mapped_column(String(32), default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Minutes from report to ACK, set at ACK; kept when the case is anonymised (times are not).
    ack_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The organisation of the responder it was last assigned to: whose coordinator sees it.
    organisation: Mapped[str | None] = mapped_column(String(120), default=None)
    #: SLA: when the assigned responder was reminded of the ACK deadline (this assignment).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: SLA: when the coordinator was last alerted that the case is overdue or unassigned.
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CaseEvent(Base):
    """The audit trail: one row per transition. ``detail`` never holds personal text."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(24))
    #: "person", "system", "operator" or "responder"
    actor: Mapped[str] = mapped_column(String(16))
    responder_id: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[str] = mapped_column(String(80), default="")


class Organisation(Base):
    """A programme whose responders take cases: its SLA and where its coordinator is alerted.

    An organisation without a row here gets the defaults (HAKI_ACK_MINUTES, a reminder
    HAKI_REMIND_BEFORE_MINUTES before it, no SMS/Telegram alert: console only)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ack_minutes: Mapped[int] = mapped_column(Integer, default=10)
    remind_before_minutes: Mapped[int] = mapped_column(Integer, default=3)
    #: The coordinator's alert channel ("sms"/"telegram") and address (Fernet), if any.
    alert_channel: Mapped[str | None] = mapped_column(String(16), default=None)
    alert_address_encrypted: Mapped[str | None] = mapped_column(Text, default=None)


class CaseNote(Base):
    """A responder's or coordinator's working note on a case, encrypted; wiped on DELETE."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "responder #3 (console)", "coordinator ana (console)": who, never a number.
    author: Mapped[str] = mapped_column(String(80))
    text_encrypted: Mapped[str] = mapped_column(Text)


# Console roles. Deny by default: every query names the role's scope (console/scope.py).
# An "oversight" role (aggregates only, issue 19) is added by a new constant and scope.
ROLE_RESPONDER = "responder"
ROLE_COORDINATOR = "coordinator"
ROLE_ADMIN = "admin"
#: Oversight bodies: the suppressed monthly figures only, never a case (docs/oversight.md).
ROLE_OVERSIGHT = "oversight"
CONSOLE_ROLES = (ROLE_RESPONDER, ROLE_COORDINATOR, ROLE_ADMIN, ROLE_OVERSIGHT)


class ConsoleAccount(Base):
    """Someone who signs in to /console/: argon2id password, mandatory TOTP."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    #: A coordinator's organisation (a responder's comes from their responder row).
    organisation: Mapped[str | None] = mapped_column(String(120), default=None)
    responder_id: Mapped[int | None] = mapped_column(
        ForeignKey("responders.id", ondelete="SET NULL"), default=None)
    #: The TOTP secret (Fernet); enrolment is finished once one code was confirmed.
    totp_secret_encrypted: Mapped[str] = mapped_column(Text)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The last TOTP time step accepted: a code is good once.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    #: SHA-256 of each unused recovery code (they are 80-bit random, so no slow hash).
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Bumped to sign out every session of the account (password or TOTP reset).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ConsoleInvite(Base):
    """A one-time, expiring enrolment link (`haki console invite`); only its hash is kept."""

    __tablename__ = "console_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(120), default=None)
    responder_id: Mapped[int | None] = mapped_column(
        ForeignKey("responders.id", ondelete="CASCADE"), default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ResponderLinkCode(Base):
    """A one-time code a Telegram responder sends to the bot to link their chat."""

    __tablename__ = "responder_link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who saw or did what, when, in the console or through a command. ``detail`` holds
    codes and states, never a summary, note or number."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_case_id", "case_id"),
        Index("ix_audit_entries_organisation_at", "organisation", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "ana (coordinator)", "responder #3 via sms", "operator (cli)".
    actor: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), default=None)
    #: The organisation whose coordinator may read this row.
    organisation: Mapped[str | None] = mapped_column(String(120), default=None)
    detail: Mapped[str] = mapped_column(String(80), default="")


class Notification(Base):
    """The outbox: written in the same transaction as the change it announces.

    The text is *not* stored: it is built at send time from the case (decrypting what it
    needs), so a notification row holds no personal data and DELETE needs no second copy.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),
        Index("ix_notifications_status_due", "status", "next_attempt_at"),
        Index("ix_notifications_case_id", "case_id"),
        #: Delivery reports (Twilio's status callback) name the message by its provider id.
        Index("ix_notifications_provider_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(16))  # TO_RESPONDER or TO_PERSON
    responder_id: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When it was last handed to a queue; the sweep re-queues rows stuck longer.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: A worker holds a "sending" row until this time; after it, the row is stale.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    provider_id: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: When the provider reported it reached the handset (SMS status callback).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AnonymousReport(Base):
    """"Record it anonymously": category, region and month only. No pseudonym, no time."""

    __tablename__ = "anonymous_reports"
    __table_args__ = (Index("ix_anonymous_reports_month", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    #: As on cases: derived from the intent (bot/figures/marking.py), never free text.
    violation: Mapped[str | None] = mapped_column(String(32), default=None)
    perpetrator: Mapped[str] = mapped_column(String(16), default="not_recorded",
                                             server_default="not_recorded")
    is_test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
