"""The conversation's own tables. Features (escalation, peers) keep theirs in their packages.

What is *not* here matters as much: no phone number, no chat id, no message text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime, utcnow


class Person(Base):
    """Conversation state for one pseudonymous person on one channel."""

    __tablename__ = "people"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    #: Reply language; None until detected or chosen.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    #: True once the person picked a language with LANG: detection stops overriding it.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    welcomed: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The provider told us nothing reaches them (Telegram: they blocked the bot). Unlike
    #: opted_out (they said STOP) this clears by itself when they write to us again.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The step waiting for an answer (e.g. "confirm_delete") and its non-personal data.
    pending_step: Mapped[str | None] = mapped_column(String(40), default=None)
    pending_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Option keys of the last menu shown, so "2" means the second option.
    menu: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: consent name -> ISO timestamp when given (POPIA s11: we must be able to prove it).
    consents: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundReceipt(Base):
    """One row per provider message id, so a redelivered webhook is answered once.

    The provider id is stored keyed-hashed: our table should not be a lookup key into the
    provider's own message logs. Rows older than two days are swept away.
    """

    __tablename__ = "inbound_receipts"
    __table_args__ = (
        UniqueConstraint("channel", "external_hash", name="uq_inbound_receipts_channel_hash"),
        Index("ix_inbound_receipts_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderErasure(Base):
    """DELETE, continued at the provider: the person's messages in the SMS provider's log.

    Twilio keeps every message to and from a number (bodies included) in the account's
    log. DELETE removes our rows at once and leaves rows here behind, so a periodic job
    (``webhooks.erasure``) asks the provider to delete those messages too, retrying until
    it has; then the row goes as well. The address must be kept until then, so it is a
    Fernet token, and the row holds nothing else about the person.
    """

    __tablename__ = "provider_erasures"
    __table_args__ = (Index("ix_provider_erasures_not_before", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    #: Erase everything to and from this address (the person's own number) ...
    address_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    #: ... or one message by its provider id (a notice about their case we sent to a
    #: responder: it can quote their summary and call-back number).
    message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Not before the last replies (the DELETE confirmation) have left: they are erased too.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(80), default="")


class PendingReply(Base):
    """A reply on its way to a person through the provider's API (Telegram replies that do
    not fit in the webhook answer): the safety text and the offer after an urgent message
    must arrive even when the Bot API fails for a while (webhooks/reply_outbox.py).

    Written before the first attempt, deleted the moment the provider accepts it, so
    normally a row lives for milliseconds. Address and message are Fernet tokens; the
    pseudonym is here only so DELETE can drop a person's rows.
    """

    __tablename__ = "pending_replies"
    __table_args__ = (Index("ix_pending_replies_next_attempt_at", "next_attempt_at"),
                      Index("ix_pending_replies_pseudonym", "pseudonym"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    pseudonym: Mapped[str] = mapped_column(String(64))
    address_encrypted: Mapped[str] = mapped_column(Text)
    message_encrypted: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Due again at; while a sender thread holds the row, a lease in the future.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(80), default="")
