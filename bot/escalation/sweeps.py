"""The periodic sweep: the safety net under every queue.

Every HAKI_SWEEP_SECONDS (Celery beat, or the in-process sweeper thread, or
`haki worker sweep` from cron) it:

1. re-routes assigned cases whose acknowledgement deadline has passed, and retries
   unassigned ones (someone may have come on duty);
2. removes personal parts of closed cases past their grace period;
3. re-queues notifications that are due but not moving: pending rows nobody queued
   (Redis was down), and ``sending`` rows whose worker died (lease ran out);
4. forgets the core's inbound de-duplication receipts past their retention
   (bot/storage/retention.py): the sweep is the one periodic job every deployment runs;
5. so it also runs the jobs other features registered (``registry.periodic_jobs``), such
   as erasing a deleted person's SMS log at Twilio (webhooks/erasure.py).

Running two sweeps at once is safe: rows are claimed with ``SKIP LOCKED`` on PostgreSQL,
and delivery itself is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update

from bot.escalation import escalation_of
from bot.escalation.cases import expire_closed, route_case
from bot.escalation.models import ASSIGNED, PENDING, SENDING, UNASSIGNED, Case, Notification
from bot.escalation.outbox import ids
from bot.escalation.service import Actor, EscalationService, UnitOfWork
from bot.escalation.sla import remind_and_alert
from bot.storage.base import utcnow
from bot.storage.retention import purge_inbound_receipts

if TYPE_CHECKING:
    from bot.escalation.queues import NotificationQueue
    from bot.services import Services

log = logging.getLogger("haki.escalation.sweep")
#: Re-route and re-queue at most this many rows per run (the next run takes the rest).
BATCH = 200


@dataclass(frozen=True)
class SweepReport:
    rerouted: int
    assigned: int
    expired: int
    requeued: int


def requeue_grace(services: Services) -> timedelta:
    """How long a queued row may sit due before we assume its queue message is lost."""
    return timedelta(seconds=max(2.0, 2.0 * services.settings.sweep_seconds))


def sweep(services: Services, queue: NotificationQueue, now: datetime | None = None) -> SweepReport:
    now = now or utcnow()
    rerouted = assigned = 0
    new_ids: list[int] = []
    with services.db.session() as session:
        # SLA first (bot/escalation/sla.py): reminders before the ACK deadline, and the
        # coordinator's alert for a case that is overdue now, before the re-route below
        # gives it a new deadline.
        new_ids += ids(remind_and_alert(session, services, now))
        overdue = session.scalars(
            select(Case).where(Case.status == ASSIGNED, Case.ack_deadline.is_not(None),
                               Case.ack_deadline <= now)
            .order_by(Case.ack_deadline).limit(BATCH).with_for_update(skip_locked=True)
        ).all()
        # The re-route is the escalation service's use case, run as the system in the
        # sweep's own transaction; its notifications are queued below, after the commit.
        service = EscalationService(escalation_of(services))
        uow = UnitOfWork(session)
        for case in overdue:
            service.reroute(uow, case, Actor.system(), now=now)
            rerouted += 1
        new_ids += ids(uow.notifications)
        waiting = session.scalars(
            select(Case).where(Case.status == UNASSIGNED).order_by(Case.id).limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for case in waiting:
            new_ids += ids(route_case(session, services, case, now))
            assigned += case.status == ASSIGNED
        expired = expire_closed(session, now)
        purge_inbound_receipts(session, now)
        session.flush()
    requeue_ids = _claim_stuck(services, now)
    for notification_id in dict.fromkeys(new_ids + requeue_ids):
        queue.enqueue(notification_id)
    for job in services.registry.periodic_jobs:
        try:
            job(now)
        except Exception as error:  # noqa: BLE001 - one failing job must not stop the sweep
            log.error("periodic job failed", extra={"error": type(error).__name__,
                                                    "job": getattr(job, "__name__", "?")})
    report = SweepReport(rerouted, assigned, expired, len(requeue_ids))
    if rerouted or assigned or expired or requeue_ids:
        log.info("sweep: %d re-routed, %d assigned, %d expired, %d re-queued",
                 rerouted, assigned, expired, len(requeue_ids))
    return report


def _claim_stuck(services: Services, now: datetime) -> list[int]:
    grace = requeue_grace(services)
    stuck = or_(
        and_(Notification.status == PENDING, Notification.next_attempt_at <= now,
             or_(Notification.queued_at.is_(None), Notification.queued_at <= now - grace)),
        and_(Notification.status == SENDING, Notification.locked_until <= now),
    )
    with services.db.session() as session:
        found = list(session.scalars(
            select(Notification.id).where(stuck).order_by(Notification.id).limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all())
        if found:
            session.execute(update(Notification).where(Notification.id.in_(found))
                            .values(queued_at=now).execution_options(synchronize_session=False))
    return found
