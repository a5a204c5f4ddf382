"""Bearer tokens for published figures (the oversight API and organisations' reach API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime, utcnow


class StatsToken(Base):
    """A bearer token for reach figures, scoped to one organisation's codes.

    Only a SHA-256 of the token is stored: it is shown once, when it is made.
    """

    __tablename__ = "stats_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The scope: an organisation name as in peer_educators.organisation (its codes' reach
    #: only), or "*oversight" for the oversight figures API (bot/figures/api.py).
    organisation: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
