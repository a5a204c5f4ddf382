"""What a console user may list: the inbox query for each role, and the rows it shows.

Deny by default: :func:`scope` returns a WHERE clause for the role, and a role it does
not know gets ``false()`` — nothing. An ``oversight`` role (aggregates only) would get
``false()`` here too and its own page of counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    OPEN_STATES,
    ROLE_COORDINATOR,
    ROLE_RESPONDER,
    UNASSIGNED,
    Case,
)
from bot.escalation.service import Actor

PAGE = 50
ACTIVE_STATES = OPEN_STATES + (ACKNOWLEDGED,)


def scope(actor: Actor) -> ColumnElement[bool]:
    """The cases the actor may list: a responder's current cases, a coordinator's
    organisation's. (A responder may still open a case that moved on from them:
    ``bot.escalation.service.may_see`` decides for a single case.)"""
    if actor.role == ROLE_COORDINATOR and actor.organisation:
        return Case.organisation == actor.organisation
    if actor.role == ROLE_RESPONDER and actor.responder_id is not None:
        return Case.responder_id == actor.responder_id
    return false()


@dataclass(frozen=True)
class Row:
    reference: str
    status: str
    urgency: str
    category: str
    region: str
    responder_id: int | None
    age_minutes: int
    due_minutes: int | None  # minutes to the ACK deadline; negative = overdue
    overdue: bool
    unassigned: bool


#: The inbox order, as segments walked one after the other: nobody assigned, then waiting
#: for an ACK (nearest deadline first, so overdue ones lead), then acknowledged; urgent
#: before normal inside each. Each segment is one range of an index (models.py), read
#: already in order, so a page costs the same with 100 cases or 100,000: no sort.
SEGMENTS = [(status, urgency) for status in (UNASSIGNED, ASSIGNED, ACKNOWLEDGED)
            for urgency in ("urgent", "normal")]
COLUMNS = (Case.reference, Case.status, Case.urgency, Case.category, Case.region,
           Case.responder_id, Case.created_at, Case.ack_deadline)


def inbox(session: Session, actor: Actor, now: datetime, page: int = 0) -> list[Row]:
    """Open and acknowledged cases in inbox order, ``PAGE`` rows from page ``page``."""
    where = scope(actor)
    skip, wanted = page * PAGE, PAGE
    found: list[Any] = []
    for status, urgency in SEGMENTS:
        segment = [where, Case.status == status, Case.urgency == urgency]
        if skip:
            size = session.scalar(select(func.count()).select_from(Case).where(*segment)) or 0
            if skip >= size:
                skip -= size
                continue
        order = (Case.ack_deadline, Case.created_at) if status == ASSIGNED else (Case.created_at,)
        found += session.execute(select(*COLUMNS).where(*segment).order_by(*order)
                                 .limit(wanted).offset(skip)).all()
        skip, wanted = 0, PAGE - len(found)
        if wanted <= 0:
            break
    rows = []
    for ref, status, urgency, category, region, responder_id, created, deadline in found:
        due = int((deadline - now).total_seconds() // 60) if deadline is not None else None
        rows.append(Row(ref, status, urgency, category, region, responder_id,
                        int((now - created).total_seconds() // 60), due,
                        overdue=status == ASSIGNED and deadline is not None and deadline <= now,
                        unassigned=status == UNASSIGNED))
    return rows


def alerts(session: Session, actor: Actor, now: datetime) -> tuple[int, int]:
    """(overdue, unassigned) in the actor's scope: the banner above the inbox."""
    where = scope(actor)
    overdue = session.scalar(select(func.count()).select_from(Case).where(
        where, Case.status == ASSIGNED, Case.ack_deadline <= now)) or 0
    unassigned = session.scalar(select(func.count()).select_from(Case).where(
        where, Case.status == UNASSIGNED)) or 0
    return overdue, unassigned


def recent_closed(session: Session, actor: Actor, limit: int = 10) -> list[tuple[str, str, str | None]]:
    """(reference, status, outcome) of the latest cases the actor's scope closed (newest
    first: the index on (scope, status) holds them in id order)."""
    query = (select(Case.reference, Case.status, Case.outcome_code)
             .where(scope(actor), Case.status == CLOSED)
             .order_by(Case.id.desc()).limit(limit))
    return [(r, s, o) for r, s, o in session.execute(query)]
