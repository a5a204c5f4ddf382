"""The registry of peer educators and their codes: add, issue, revoke, look up.

Functions take a SQLAlchemy session and never commit: the CLI commits once per command,
the conversation once per turn.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.peers import codes
from bot.peers.models import PeerEducator, ReferralCode
from bot.storage.base import utcnow
from bot.storage.crypto import Cipher

REGION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_NAME = 80
#: Give up rather than loop forever if the random source is broken (never expected).
_MAX_CODE_ATTEMPTS = 20


class RegistryError(ValueError):
    """Bad input from an operator; the message says what to fix."""


@dataclass(frozen=True)
class ActiveCode:
    """What a conversation needs to know about a live code (never the educator's name)."""

    code: str
    educator_id: int
    organisation: str
    region: str
    language: str


def add_educator(session: Session, cipher: Cipher, *, name: str, organisation: str, region: str,
                 language: str, languages: Sequence[str], known_regions: Collection[str] = ()
                 ) -> tuple[PeerEducator, ReferralCode]:
    """Register an educator and issue their first code.

    ``known_regions`` are the region ids escalation routes by (content/common/escalation.yml);
    when given, the region must be one of them, so a referred person's urgent case reaches
    responders of the right region.
    """
    name, organisation, region = name.strip(), " ".join(organisation.split()), region.strip().lower()
    if not 0 < len(name) <= MAX_NAME:
        raise RegistryError(f"name must be 1 to {MAX_NAME} characters (a first name or nickname is enough)")
    if not 0 < len(organisation) <= MAX_NAME:
        raise RegistryError(f"organisation must be 1 to {MAX_NAME} characters")
    if not REGION.match(region):
        raise RegistryError("region must be a short slug: lower-case letters, digits, - or _ (e.g. gauteng)")
    if known_regions and region not in known_regions:
        raise RegistryError(f"region must be one of {', '.join(sorted(known_regions))}")
    if language not in languages:
        raise RegistryError(f"language must be one of {', '.join(languages)}")
    educator = PeerEducator(name_encrypted=cipher.encrypt(name), organisation=organisation,
                            region=region, language=language, created_at=utcnow())
    session.add(educator)
    session.flush()
    return educator, issue_code(session, educator.id)


def issue_code(session: Session, educator_id: int) -> ReferralCode:
    """A new, unused code for an existing educator (they may hold several)."""
    if session.get(PeerEducator, educator_id) is None:
        raise RegistryError(f"no educator with id {educator_id}")
    for _ in range(_MAX_CODE_ATTEMPTS):
        value = codes.new_code()
        if session.get(ReferralCode, value) is None:
            code = ReferralCode(code=value, educator_id=educator_id, created_at=utcnow())
            session.add(code)
            session.flush()
            return code
    raise RuntimeError("could not find an unused referral code")  # pragma: no cover


def revoke_code(session: Session, text: str) -> ReferralCode:
    """Stop a code from attributing anyone from now on. Its past counts stay."""
    code = find_code(session, text)
    if code is None:
        raise RegistryError(f"no referral code {text.strip().upper()!r}")
    if code.revoked_at is None:
        code.revoked_at = utcnow()
        session.flush()
    return code


def find_code(session: Session, text: str | None) -> ReferralCode | None:
    value = codes.normalise(text)
    return session.get(ReferralCode, value) if value else None


def active_code(session: Session, text: str | None) -> ActiveCode | None:
    """The live code ``text`` names, or None for malformed, unknown and revoked codes."""
    value = codes.normalise(text)
    if value is None:
        return None
    row = session.execute(
        select(ReferralCode.code, PeerEducator.id, PeerEducator.organisation, PeerEducator.region,
               PeerEducator.language)
        .join(PeerEducator, PeerEducator.id == ReferralCode.educator_id)
        .where(ReferralCode.code == value, ReferralCode.revoked_at.is_(None))
    ).one_or_none()
    return ActiveCode(*row) if row else None


def educators(session: Session) -> list[PeerEducator]:
    return list(session.scalars(
        select(PeerEducator).options(selectinload(PeerEducator.codes)).order_by(PeerEducator.id)))
