"""Sending one notification, safely repeatable: the database row is the truth.

``deliver(services, id)`` is what every queue runs (the in-process worker and the Celery
task alike):

1. claim: in one short transaction, lock the row, check it still needs sending and is
   still relevant (a case re-routed or acknowledged meanwhile cancels its old notice),
   mark it ``sending`` with a lease, and build the message from the case;
2. send through ``services.senders[channel]`` outside any transaction;
3. record: ``sent`` with the provider's id, or back to ``pending`` with a back-off.

A redelivered task finds ``sent`` and does nothing. A worker killed between 2 and 3 leaves
a ``sending`` row whose lease runs out; the sweep then queues it again and it is sent a
second time. That window (the provider accepted, we had not yet written it down) is the
one place delivery is at-least-once rather than exactly-once: Telegram and Twilio have no
idempotency key we could pass. It is harmless by design: the responder's ACK is
idempotent, so two copies still give one acknowledgement (docs/escalation.md).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.escalation import notices
from bot.escalation.cases import record
from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    TO_PERSON,
    TO_RESPONDER,
    UNASSIGNED,
    WITHDRAWN,
    Case,
    Notification,
    Responder,
)
from bot.escalation.sla import TO_COORDINATOR, organisation_row
from bot.messages import Channel, OutboundMessage
from bot.storage.base import utcnow
from bot.storage.models import Person

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("haki.escalation.delivery")

BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
#: Updates to the person give up after this many tries (about an hour of back-off);
#: notices to responders never give up while the case is theirs (the re-route moves on).
MAX_PERSON_ATTEMPTS = 16


@dataclass(frozen=True)
class Attempt:
    """What one run of ``deliver`` did; ``retry_in`` asks the queue to run it again."""

    outcome: str  # sent, retry, busy, early, skipped, cancelled, failed, missing
    retry_in: float | None = None


@dataclass(frozen=True)
class _Target:
    channel: str
    address: str
    message: OutboundMessage
    attempt: int


class NoSender(Exception):
    """No sender is configured for the channel (missing credentials)."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"no sender for {channel}")
        self.reason = f"no sender for {channel}"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """2, 4, 8 ... seconds up to 5 minutes, with jitter so retries do not march in step;
    never sooner than the provider asked (Telegram's retry_after)."""
    delay = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    delay *= random.uniform(0.85, 1.15)
    if retry_after:
        delay = max(delay, float(retry_after))
    return round(delay, 2)


def deliver(services: Services, notification_id: int) -> Attempt:
    claimed = _claim(services, notification_id)
    if isinstance(claimed, Attempt):
        return claimed
    sender = services.senders.get(Channel(claimed.channel))
    try:
        if sender is None:
            raise NoSender(claimed.channel)
        provider_id = sender.send(claimed.address, claimed.message)
    except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
        return _failed(services, notification_id, claimed.attempt, error)
    return _sent(services, notification_id, provider_id)


def _claim(services: Services, notification_id: int) -> _Target | Attempt:
    """Take the row with one conditional UPDATE: atomic on PostgreSQL and SQLite alike,
    so two workers handed the same id cannot both send it."""
    now = utcnow()
    lease_end = now + timedelta(seconds=services.settings.delivery_lease_seconds)
    claimable = or_(
        and_(Notification.status == PENDING,
             Notification.next_attempt_at <= now + timedelta(seconds=0.5)),
        and_(Notification.status == SENDING, Notification.locked_until <= now),
    )
    with services.db.session() as session:
        # An UPDATE returns a CursorResult (which has rowcount); execute() is typed Result.
        claimed = cast(CursorResult[Any], session.execute(
            update(Notification).where(Notification.id == notification_id, claimable)
            .values(status=SENDING, attempts=Notification.attempts + 1, locked_until=lease_end)
            .execution_options(synchronize_session=False)
        )).rowcount
        notification = session.get(Notification, notification_id)
        if notification is None:
            return Attempt("missing")
        if not claimed:
            return _why_not(notification, now)
        case = session.get(Case, notification.case_id)
        target = _target(session, services, notification, case, now) if case else "case gone"
        if isinstance(target, str):
            notification.status = CANCELLED
            notification.last_error = target[:80]
            notification.locked_until = None
            return Attempt("cancelled")
        return _Target(target[0], target[1], target[2], notification.attempts)


def _why_not(notification: Notification, now: datetime) -> Attempt:
    if notification.status == SENDING and notification.locked_until:
        return Attempt("busy", _seconds(notification.locked_until - now) + 0.5)
    if notification.status == PENDING:
        return Attempt("early", _seconds(notification.next_attempt_at - now))
    return Attempt("skipped")


def _target(session: Session, services: Services, notification: Notification, case: Case,
            now: datetime) -> tuple[str, str, OutboundMessage] | str:
    """(channel, address, message), or why the notification no longer makes sense."""
    if notification.recipient == TO_RESPONDER:
        responder = session.get(Responder, notification.responder_id) if notification.responder_id else None
        if responder is None or not responder.active:
            if notification.kind == "assigned" and case.status == ASSIGNED:
                case.ack_deadline = now  # do not wait for the deadline: re-route next sweep
            return "responder gone"
        if notification.kind in ("assigned", "reminder") and (case.status != ASSIGNED
                                                              or case.responder_id != responder.id):
            return "case moved on"
        if notification.kind == "update" and (case.responder_id != responder.id
                                              or case.status not in (ASSIGNED, ACKNOWLEDGED)):
            return "case moved on"
        address = services.cipher.decrypt(responder.address_encrypted)
        return responder.channel, address, notices.for_responder(services, case, notification,
                                                                 responder.channel)
    if notification.recipient == TO_PERSON:
        if not case.contact_encrypted or not case.pseudonym:
            return "no contact kept"
        person = session.get(Person, case.pseudonym)
        if person is not None and person.opted_out:
            return "person opted out"
        if person is not None and person.blocked:
            return "person blocked us"
        address = services.cipher.decrypt(case.contact_encrypted)
        return case.channel, address, notices.for_person(services, case, notification)
    if notification.recipient == TO_COORDINATOR:
        organisation = organisation_row(session, case.organisation)
        if organisation is None or not organisation.alert_channel or not organisation.alert_address_encrypted:
            return "no coordinator address"
        if notification.kind.startswith("alert_") and case.status not in (ASSIGNED, UNASSIGNED):
            return "case moved on"
        address = services.cipher.decrypt(organisation.alert_address_encrypted)
        return organisation.alert_channel, address, notices.for_coordinator(services, case, notification)
    return "unknown recipient"


def _sent(services: Services, notification_id: int, provider_id: str | None) -> Attempt:
    now = utcnow()
    with services.db.session() as session:
        notification = session.scalar(select(Notification).where(Notification.id == notification_id)
                                      .with_for_update())
        if notification is None:
            return Attempt("sent")
        first_time = notification.status != SENT
        notification.status = SENT
        notification.provider_id = (provider_id or "")[:64] or None
        notification.sent_at = now
        notification.locked_until = None
        notification.last_error = ""
        if first_time:
            case = session.get(Case, notification.case_id)
            # An anonymised case keeps its month only: no new timestamps on it.
            if case is not None and case.status != WITHDRAWN:
                record(session, case, f"sent_{notification.kind}"[:24], "system", at=now,
                       responder_id=notification.responder_id,
                       detail=f"to {notification.recipient}, attempt {notification.attempts}")
    log.info("notification sent", extra={"notification": notification_id, "event": notification.kind})
    return Attempt("sent")


def _failed(services: Services, notification_id: int, attempt: int, error: Exception) -> Attempt:
    now = utcnow()
    reason = str(getattr(error, "reason", "") or type(error).__name__)[:80]
    permanent = bool(getattr(error, "permanent", False))
    retry_after = getattr(error, "retry_after", None)
    with services.db.session() as session:
        notification = session.scalar(select(Notification).where(Notification.id == notification_id)
                                      .with_for_update())
        if notification is None or notification.status != SENDING:
            return Attempt("skipped")
        notification.last_error = reason
        notification.locked_until = None
        case = session.get(Case, notification.case_id)
        give_up = permanent or (notification.recipient == TO_PERSON
                                and notification.attempts >= MAX_PERSON_ATTEMPTS)
        if give_up:
            notification.status = FAILED
            if case is not None:
                record(session, case, "delivery_failed", "system", at=now,
                       responder_id=notification.responder_id, detail=reason)
                if (notification.recipient == TO_RESPONDER and notification.kind == "assigned"
                        and case.status == ASSIGNED and case.responder_id == notification.responder_id):
                    case.ack_deadline = now  # unreachable responder: re-route at the next sweep
            log.warning("notification failed for good",
                        extra={"notification": notification_id, "reason": reason})
            return Attempt("failed")
        delay = backoff(notification.attempts, retry_after)
        notification.status = PENDING
        notification.next_attempt_at = now + timedelta(seconds=delay)
        notification.queued_at = now
    log.info("notification will be retried",
             extra={"notification": notification_id, "reason": reason, "seconds": delay,
                    "attempt": attempt})
    return Attempt("retry", delay)


def _seconds(delta: timedelta) -> float:
    return max(0.0, round(delta.total_seconds(), 2))
