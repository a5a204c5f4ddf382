"""Delivery reports: what the provider says *after* it accepted a notification.

Twilio accepting a message (``sent`` in our outbox) is not the responder's phone getting
it: the carrier can still report it ``undelivered`` (phone off for days, a landline, a
blocked number) through the status callback. For an urgent case that matters, because the
responder will never ACK a message they never got, and waiting out the whole ACK deadline
wastes minutes someone in a police cell does not have.

``apply_report`` (registered as a delivery listener) therefore:

* ``delivered``: stamps ``delivered_at`` and writes a ``delivered_<kind>`` audit row, once;
* ``undelivered``/``failed`` of the *current* responder's "assigned" notice: marks it
  failed and re-routes the case at once (next responder, person told), exactly as a
  missed deadline would;
* any other failed notification: sends it again with back-off when the failure may pass
  (handset unreachable), or gives up when it cannot (``permanent``: unknown number,
  landline, opted out);
* anything else (intermediate states, ids we do not know): nothing.

Every branch is idempotent: Twilio may post the same callback twice, and a second report
finds the row already in its final state. A report can beat our own "sent" record by a
few milliseconds (the callback races the worker's commit); it then finds no row and is
ignored, and the ACK deadline remains the safety net it always was.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation.cases import record, reroute_case
from bot.escalation.delivery import MAX_PERSON_ATTEMPTS, backoff
from bot.escalation.models import (
    ASSIGNED,
    FAILED,
    PENDING,
    SENT,
    TO_RESPONDER,
    WITHDRAWN,
    Case,
    Notification,
)
from bot.escalation.outbox import ids
from bot.messages import DeliveryReport
from bot.storage.base import utcnow

if TYPE_CHECKING:
    from bot.escalation import Escalation

log = logging.getLogger("haki.escalation.reports")


def apply_report(escalation: Escalation, report: DeliveryReport) -> str:
    """Act on one report; returns what happened (for logs and tests)."""
    if report.status != "delivered" and not report.final_failure:
        return "ignored"
    if not report.provider_id:
        return "unknown"
    services = escalation.services
    now = utcnow()
    requeue: list[int] = []
    with services.db.session() as session:
        notification = session.scalar(
            select(Notification).where(Notification.provider_id == report.provider_id[:64])
            .with_for_update())
        if notification is None:
            return "unknown"
        case = session.get(Case, notification.case_id)
        if report.status == "delivered":
            outcome = _delivered(session, notification, case, now)
        elif notification.status != SENT:
            outcome = "already"  # failed before, or already being sent again
        else:
            outcome, requeue = _undelivered(escalation, session, notification, case, report, now)
        notification_id, kind = notification.id, notification.kind
    escalation.enqueue(requeue)
    log.info("delivery report", extra={"notification": notification_id, "event": kind,
                                       "status": report.status, "outcome": outcome,
                                       "error_code": report.error_code})
    return outcome


def _delivered(session: Session, notification: Notification, case: Case | None,
               now: datetime) -> str:
    if case is None or case.status == WITHDRAWN:
        return "ignored"  # an anonymised case keeps its month only: no new timestamps
    if notification.delivered_at is not None:
        return "already"
    notification.delivered_at = now
    record(session, case, f"delivered_{notification.kind}"[:24], "system", at=now,
           responder_id=notification.responder_id, detail=f"to {notification.recipient}")
    return "delivered"


def _undelivered(escalation: Escalation, session: Session, notification: Notification,
                 case: Case | None, report: DeliveryReport,
                 now: datetime) -> tuple[str, list[int]]:
    reason = f"{report.channel.value} {report.status} {report.error_code}".strip()[:80]
    notification.last_error = reason
    if case is None or case.status == WITHDRAWN:
        notification.status = FAILED
        return "failed", []
    if (notification.recipient == TO_RESPONDER and notification.kind == "assigned"
            and case.status == ASSIGNED and case.responder_id == notification.responder_id):
        # The responder holding the case never got it: do not wait for the deadline.
        notification.status = FAILED
        return "rerouted", ids(reroute_case(session, escalation.services, case, now,
                                            reason="not_delivered"))
    # Each retry is another billed SMS to a phone that may stay off: the same cap as the
    # person's updates, whoever the notice is for.
    if not report.permanent and notification.attempts < MAX_PERSON_ATTEMPTS:
        # Back to the outbox; the sweep hands it to the queue once the back-off is over.
        notification.status = PENDING
        notification.next_attempt_at = now + timedelta(seconds=backoff(notification.attempts))
        notification.queued_at = None
        return "retry", []
    notification.status = FAILED
    record(session, case, "delivery_failed", "system", at=now,
           responder_id=notification.responder_id, detail=reason)
    return "failed", []
