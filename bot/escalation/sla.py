"""Service levels per organisation: the ACK deadline, the reminder before it, and the
coordinator's alert when a case is overdue or nobody could be assigned.

The sweep calls :func:`remind_and_alert`; it adds outbox rows in the sweep's transaction
(idempotency keys make a second sweep add nothing), so reminders and alerts are as
reliable as the case notices themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation.models import (
    ASSIGNED,
    TO_RESPONDER,
    UNASSIGNED,
    Case,
    Notification,
    Organisation,
)
from bot.escalation.outbox import add_notification

if TYPE_CHECKING:
    from bot.services import Services

#: Who a coordinator alert goes to (the organisation's alert address).
TO_COORDINATOR = "coordinator"
#: A case nobody acknowledged this long after its deadline alerts the coordinator; an
#: unassigned case alerts at once. Alerts repeat at most this often per case.
ALERT_EVERY = timedelta(minutes=30)
BATCH = 200


def organisation_row(session: Session, name: str | None) -> Organisation | None:
    if not name:
        return None
    return session.scalar(select(Organisation).where(Organisation.name == name))


def ack_minutes_for(session: Session, services: Services, organisation: str | None) -> int:
    """The organisation's ACK deadline in minutes, else HAKI_ACK_MINUTES."""
    found = organisation_row(session, organisation)
    return found.ack_minutes if found is not None else services.settings.ack_minutes


def remind_before_for(session: Session, services: Services, organisation: str | None) -> timedelta:
    found = organisation_row(session, organisation)
    minutes = found.remind_before_minutes if found is not None else services.settings.remind_before_minutes
    return timedelta(minutes=minutes)


def responsible_organisation(session: Session, kind: str, region: str) -> str | None:
    """Whose coordinator should hear of a case nobody on duty could take: the organisation
    of the best-placed active responder of that kind, on duty or not (same tiers as the
    routing: region, national backup, anywhere). None if there is no such responder."""
    from bot.escalation.models import Responder
    from bot.escalation.regions import ALL

    found = session.scalars(select(Responder).where(Responder.kind == kind,
                                                    Responder.active.is_(True))
                            .order_by(Responder.id)).all()
    for wanted in (lambda r: region in (r.regions or []), lambda r: ALL in (r.regions or []),
                   lambda r: True):
        for responder in found:
            if wanted(responder):
                return responder.organisation
    return None


def is_overdue(case: Case, now: datetime) -> bool:
    return case.status == ASSIGNED and case.ack_deadline is not None and case.ack_deadline <= now


def remind_and_alert(session: Session, services: Services, now: datetime) -> list[Notification]:
    """Reminders to responders whose ACK deadline is near; alerts to coordinators of
    unassigned cases (and of cases whose deadline passed: the sweep re-routes those, but
    a coordinator should know a case is bouncing)."""
    notes: list[Notification] = []
    horizon = now + timedelta(hours=24)
    near = session.scalars(select(Case).where(
        Case.status == ASSIGNED, Case.reminded_at.is_(None), Case.ack_deadline.is_not(None),
        Case.ack_deadline > now, Case.ack_deadline <= horizon).limit(BATCH)).all()
    for case in near:
        before = remind_before_for(session, services, case.organisation)
        if not before or case.ack_deadline is None or case.ack_deadline - before > now:
            continue
        case.reminded_at = now
        found = add_notification(session, case, TO_RESPONDER, "reminder",
                                 f"c{case.id}:reminder:{case.route_count}",
                                 responder_id=case.responder_id)
        notes += [found] if found else []
    waiting = session.scalars(select(Case).where(
        Case.status.in_((UNASSIGNED, ASSIGNED)),
        (Case.alerted_at.is_(None)) | (Case.alerted_at <= now - ALERT_EVERY)).limit(BATCH)).all()
    for case in waiting:
        if case.status == ASSIGNED and not is_overdue(case, now):
            continue
        case.alerted_at = now
        organisation = organisation_row(session, case.organisation)
        if organisation is None or not organisation.alert_address_encrypted:
            continue  # the console's inbox shows it; nowhere else to send
        stamp = now.strftime("%Y%m%d%H%M")
        found = add_notification(session, case, TO_COORDINATOR, f"alert_{case.status}"[:24],
                                 f"c{case.id}:alert:{stamp}")
        notes += [found] if found else []
    return notes
