"""Peer educators, their referral codes, who arrived through which code, and reach counts.

Privacy shape of these tables:
- ``peer_educators.name_encrypted``: the programme's label for the educator (often a first
  name), Fernet-encrypted, because educators are often from the same communities.
- ``referral_attributions``: pseudonym -> code, one row per person (first contact only).
  It is the only table that links a person to a code, and DELETE removes it.
- ``reach_counts``: plain counters per (code, month, metric, intent). No pseudonym, no text;
  they cannot be traced back to anyone and stay after a DELETE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, UTCDateTime, utcnow


class PeerEducator(Base):
    __tablename__ = "peer_educators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name_encrypted: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(String(80))
    #: A short slug such as "gauteng" or "ethekwini"; copied to people who start via a code.
    region: Mapped[str] = mapped_column(String(32))
    #: Reply language for people who start through this educator's codes.
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    codes: Mapped[list[ReferralCode]] = relationship(back_populates="educator",
                                                     order_by="ReferralCode.created_at")


class ReferralCode(Base):
    __tablename__ = "referral_codes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    educator_id: Mapped[int] = mapped_column(ForeignKey("peer_educators.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    educator: Mapped[PeerEducator] = relationship(back_populates="codes")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ReferralAttribution(Base):
    """The person (by pseudonym) whose first contact came through ``code``."""

    __tablename__ = "referral_attributions"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("referral_codes.code"), index=True)
    #: "YYYY-MM" (UTC) of the first contact, and of the last month the person was active:
    #: enough to count returning people once a month without keeping a timeline.
    first_month: Mapped[str] = mapped_column(String(7))
    last_active_month: Mapped[str] = mapped_column(String(7))


class ReachCount(Base):
    """An aggregate counter. ``metric`` is new | returning | topic | escalation;
    ``intent`` is the topic's intent name for ``topic`` and "" otherwise."""

    __tablename__ = "reach_counts"
    __table_args__ = (Index("ix_reach_counts_month", "month"),)

    code: Mapped[str] = mapped_column(ForeignKey("referral_codes.code"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    intent: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class EducatorContact(Base):
    """The pseudonym of a number or chat an educator texts STATS from (one row each).

    Pseudonyms are keyed hashes (bot/identity.py): the number itself is not stored.
    """

    __tablename__ = "educator_contacts"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    educator_id: Mapped[int] = mapped_column(ForeignKey("peer_educators.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))

