"""The escalation service's unit of work: a change, its audit and its outbox rows commit
together, and the queue hears of a notification only once its row is committed; a change
that fails announces nothing. Deny by default for every caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.escalation import escalation_of
from bot.escalation.cases import NewCase
from bot.escalation.models import AuditEntry, Notification
from bot.escalation.service import Actor, Denied, EscalationService, Invalid


class RecordingQueue:
    """A queue that checks, when handed an id, that the row is already visible to others."""

    def __init__(self, services) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.seen: list[tuple[int, bool]] = []

    def enqueue(self, notification_id: int, delay: float = 0.0) -> None:
        with self.services.db.session() as session:
            committed = session.get(Notification, notification_id) is not None
        self.seen.append((notification_id, committed))

    def close(self) -> None:
        pass


def open_case(service: EscalationService) -> str:
    with service.unit() as uow:
        return service.open(uow, NewCase(
            pseudonym="a" * 64, channel="sms", address="+27820000001", language="en",
            jurisdiction="za", category="arrested_now", region="gauteng", urgency="urgent",
            kind="paralegal", callback_allowed=False)).reference


@pytest.fixture
def setup(sqlite_world):  # type: ignore[no-untyped-def]
    world = sqlite_world
    world.responder()
    escalation = escalation_of(world.services)
    queue = RecordingQueue(world.services)
    escalation.use_queue(queue)
    return world, EscalationService(escalation), queue


def test_notifications_are_queued_only_after_their_commit(setup) -> None:  # type: ignore[no-untyped-def]
    _world, service, queue = setup
    reference = open_case(service)
    assert queue.seen and all(committed for _, committed in queue.seen)
    queue.seen.clear()
    with service.unit() as uow:
        case = service.case_for(uow, reference, Actor.operator(), for_update=True)
        service.acknowledge(uow, case, Actor.operator())
        assert queue.seen == []  # nothing queued inside the transaction
    assert len(queue.seen) == 1 and queue.seen[0][1]


def test_a_change_that_fails_announces_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    world, service, queue = setup
    reference = open_case(service)
    queue.seen.clear()
    with pytest.raises(RuntimeError), service.unit() as uow:
        case = service.case_for(uow, reference, Actor.operator(), for_update=True)
        service.acknowledge(uow, case, Actor.operator())
        raise RuntimeError("the database went away")
    assert queue.seen == []
    assert world.case(reference).status == "assigned"
    with world.services.db.session() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "ack")).all() == []
        kinds = session.scalars(select(Notification.kind)).all()
    assert "acknowledged" not in kinds


def test_callers_outside_the_case_are_denied(setup) -> None:  # type: ignore[no-untyped-def]
    _world, service, _ = setup
    reference = open_case(service)
    strangers = [Actor.coordinator("eve", "Another NGO"), Actor("admin", "root (admin)", "console"),
                 Actor("oversight", "ipid (oversight)", "console")]
    for stranger in strangers:
        with pytest.raises(Denied), service.unit() as uow:
            service.case_for(uow, reference, stranger)


def test_an_outcome_must_come_from_the_jurisdictions_list(setup) -> None:  # type: ignore[no-untyped-def]
    world, service, _ = setup
    reference = open_case(service)
    with pytest.raises(Invalid), service.unit() as uow:
        case = service.case_for(uow, reference, Actor.operator(), for_update=True)
        service.close(uow, case, Actor.operator(), "made_up", "")
    assert world.case(reference).status == "assigned"
