"""Bearer tokens for published figures, each with a scope.

A scope is an organisation's name (its peer educators' codes only) or ``*oversight`` (the
oversight figures). Only a SHA-256 of a token is stored; the token is printed once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.figures.models import StatsToken
from bot.storage.base import utcnow

OVERSIGHT_SCOPE = "*oversight"
PREFIX = "hk_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def new_token(session: Session, scope: str, label: str = "") -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(StatsToken(token_hash=_hash(token), organisation=scope, label=label[:80],
                           created_at=utcnow()))
    session.flush()
    return token


def scope_of(session: Session, token: str | None) -> str | None:
    """The scope of a live token, else None (unknown, revoked or empty)."""
    if not token or not token.strip():
        return None
    digest = _hash(token)
    row = session.scalar(select(StatsToken).where(StatsToken.token_hash == digest,
                                                  StatsToken.revoked_at.is_(None)))
    # The look-up is by hash; compare again in constant time for good measure.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.organisation


def revoke_scope(session: Session, scope: str) -> int:
    rows = session.scalars(select(StatsToken).where(StatsToken.organisation == scope,
                                                    StatsToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
