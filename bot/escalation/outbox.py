"""The outbox: notification rows written in the same transaction as the change they
announce. A row commits with the case or not at all, so no notification is ever lost to
a crash between "saved" and "queued"; the queue is only a fast path, the sweep the
safety net."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.escalation.models import CANCELLED, PENDING, Case, Notification
from bot.storage.base import utcnow


def add_notification(session: Session, case: Case, recipient: str, kind: str, key: str, *,
                     responder_id: int | None = None) -> Notification | None:
    """Add a notification unless one with this idempotency key exists (then None).

    Keys are deterministic ("c12:acknowledged", "c12:assigned:2"), so doing the same
    thing twice can never announce it twice."""
    if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)):
        return None
    now = utcnow()
    notification = Notification(idempotency_key=key, case_id=case.id, recipient=recipient,
                                responder_id=responder_id, kind=kind, status=PENDING,
                                attempts=0, next_attempt_at=now, queued_at=now, created_at=now)
    session.add(notification)
    session.flush()
    return notification


def cancel_pending(session: Session, case_id: int, *, recipient: str | None = None,
                   responder_id: int | None = None, kinds: Iterable[str] | None = None) -> None:
    """Cancel notifications of a case that have not gone out (they would be out of date).

    Rows a worker is sending right now are left alone: cancelling them under its feet
    could not stop the send, only hide it from the audit."""
    statement = update(Notification).where(Notification.case_id == case_id,
                                           Notification.status == PENDING)
    if recipient is not None:
        statement = statement.where(Notification.recipient == recipient)
    if responder_id is not None:
        statement = statement.where(Notification.responder_id == responder_id)
    if kinds is not None:
        statement = statement.where(Notification.kind.in_(tuple(kinds)))
    session.execute(statement.values(status=CANCELLED).execution_options(synchronize_session="fetch"))


def ids(notifications: Iterable[Notification]) -> list[int]:
    return [n.id for n in notifications]

