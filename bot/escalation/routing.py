"""Who gets a case: an on-duty responder of the kind the person chose, for their region.

Tiers, best first (never another kind: a person who chose a paralegal did not consent to
the police seeing their case, and the other way round):

1. same kind, covering the person's region;
2. same kind, a national backup (regions include ``all``);
3. same kind, any other region (better someone far away than nobody).

Within a tier, round-robin: the responder least recently assigned goes first. A re-route
skips everyone already tried for this case; when all were tried, a new round starts (the
first one may simply have been away from their phone).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation.models import Responder
from bot.escalation.regions import ALL, UNKNOWN


def _tier(responder: Responder, region: str) -> int:
    regions = set(responder.regions or [])
    if region != UNKNOWN and region in regions:
        return 0
    if ALL in regions:
        return 1
    return 2


def ranked_candidates(session: Session, kind: str, region: str) -> list[Responder]:
    """Active, on-duty responders of ``kind``, best first."""
    responders = session.scalars(
        select(Responder).where(Responder.kind == kind, Responder.active.is_(True),
                                Responder.on_duty.is_(True))
    ).all()
    never = datetime.min.replace(tzinfo=None)

    def order(responder: Responder) -> tuple[int, datetime, int]:
        last = responder.last_assigned_at.replace(tzinfo=None) if responder.last_assigned_at else never
        return (_tier(responder, region), last, responder.id)

    return sorted(responders, key=order)


def choose(session: Session, kind: str, region: str, tried: list[int],
           current: int | None = None) -> tuple[Responder | None, bool]:
    """The next responder, and whether a new round started (everyone had been tried).

    ``current`` is the responder the case is leaving; in a new round they come last, so a
    case only goes back to them when nobody else is on duty."""
    candidates = ranked_candidates(session, kind, region)
    if not candidates:
        return None, False
    untried = [r for r in candidates if r.id not in tried]
    if untried:
        return untried[0], False
    others = [r for r in candidates if r.id != current]
    return (others[0] if others else candidates[0]), True
