"""The escalation service: every change to a case, whoever asks for it.

Callers — the chat flow, a responder's ACK/DONE by SMS or Telegram, the console, the
`haki cases` commands, the sweep — all go through :class:`EscalationService`. Each use
case runs inside a :class:`UnitOfWork`: the change, its audit rows and its outbox rows
commit together, and only after the commit are the notifications handed to the queue. A
rolled-back change therefore never announces anything, and a committed one is never lost
(the sweep re-queues what the queue dropped).

Who may do what is decided here too, by the :class:`Actor`: a responder acts on cases
assigned to them, a coordinator on their organisation's cases, an operator (the server
CLI) and the system on any case. Anything else is :class:`Denied`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.escalation import cases
from bot.escalation.cases import NewCase, Outcome
from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    OPEN_STATES,
    TO_RESPONDER,
    WITHDRAWN,
    AuditEntry,
    Case,
    CaseEvent,
    CaseNote,
    Notification,
    Responder,
)
from bot.escalation.outbox import add_notification, cancel_pending
from bot.escalation.outcomes import OutcomeCode, find_outcome
from bot.escalation.sla import ack_minutes_for
from bot.storage.base import utcnow

if TYPE_CHECKING:
    from bot.escalation import Escalation
    from bot.turn import Turn

MAX_NOTE_CHARS = cases.MAX_NOTE_CHARS


class Denied(Exception):
    """The actor may not see or change this case. Says nothing about whether it exists."""


class NotFound(Exception):
    """No case with that reference."""


class Invalid(ValueError):
    """The request is malformed (unknown outcome code, empty note); the message says why."""


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``label`` goes into the audit and never holds a number or chat id."""

    role: str  # responder | coordinator | admin | operator | system
    label: str
    via: str  # sms | telegram | console | cli | sweep
    responder_id: int | None = None
    organisation: str | None = None
    account_id: int | None = None

    @classmethod
    def responder(cls, responder: Responder, via: str, account_id: int | None = None,
                  name: str | None = None) -> Actor:
        return cls("responder", f"{name or 'responder #' + str(responder.id)} via {via}", via,
                   responder_id=responder.id, organisation=responder.organisation,
                   account_id=account_id)

    @classmethod
    def coordinator(cls, name: str, organisation: str, account_id: int | None = None) -> Actor:
        return cls("coordinator", f"{name} (coordinator) via console", "console",
                   organisation=organisation, account_id=account_id)

    @classmethod
    def operator(cls) -> Actor:
        return cls("operator", "operator via cli", "cli")

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "system", "sweep")

    @property
    def event_actor(self) -> str:
        """The ``case_events.actor`` word (that table predates the console)."""
        return {"responder": "responder", "coordinator": "coordinator",
                "system": "system"}.get(self.role, "operator")


@dataclass
class UnitOfWork:
    """One transaction: changes, audit and outbox rows commit together; then the queue."""

    session: Session
    notifications: list[Notification] = field(default_factory=list)

    def add(self, notifications: list[Notification]) -> None:
        self.notifications += notifications

    def audit(self, actor: Actor, action: str, case: Case | None = None, detail: str = "",
              at: datetime | None = None) -> None:
        self.session.add(AuditEntry(
            at=at or utcnow(), actor=actor.label[:80], account_id=actor.account_id,
            action=action[:32], case_id=case.id if case is not None else None,
            organisation=(case.organisation if case is not None else actor.organisation),
            detail=detail[:80]))


@dataclass(frozen=True)
class Done:
    """What a use case did: ``outcome`` DONE, or why nothing changed (ALREADY, CLOSED ...)."""

    outcome: Outcome
    case: Case


class EscalationService:
    def __init__(self, escalation: Escalation) -> None:
        self.escalation = escalation
        self.services = escalation.services

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        """A transaction of its own (console, CLI, sweep): queue after it commits."""
        with self.services.db.session() as session:
            uow = UnitOfWork(session)
            yield uow
            session.flush()
            queued = [n.id for n in uow.notifications]
        self.escalation.enqueue(queued)

    def in_turn(self, turn: Turn) -> UnitOfWork:
        """The chat turn's transaction: the conversation commits, then runs ``defer``."""
        uow = UnitOfWork(turn.session)
        queue: Callable[[], None] = lambda: self.escalation.enqueue([n.id for n in uow.notifications])
        turn.defer(queue)
        return uow

    # --- reading, with the actor's scope -----------------------------------------------------
    def case_for(self, uow: UnitOfWork, reference: str, actor: Actor, *,
                 for_update: bool = False) -> Case:
        normal = cases.normalise_reference(reference)
        if normal is None:
            raise NotFound(reference)
        case = cases.find_case(uow.session, normal, for_update=for_update)
        if case is None:
            raise NotFound(normal)
        if not may_see(uow.session, actor, case):
            raise Denied(normal)
        return case

    # --- use cases -----------------------------------------------------------------------------
    def open(self, uow: UnitOfWork, details: NewCase, now: datetime | None = None) -> Case:
        case, notifications = cases.create_case(uow.session, self.services, details, now or utcnow())
        uow.add(notifications)
        return case

    def acknowledge(self, uow: UnitOfWork, case: Case, actor: Actor,
                    now: datetime | None = None) -> Done:
        now = now or utcnow()
        responder = self._acting_responder(uow, case, actor)
        outcome, notifications = cases.acknowledge(uow.session, case, responder, now)
        uow.add(notifications)
        uow.audit(actor, "ack", case, outcome.value, at=now)
        return Done(outcome, case)

    def add_note(self, uow: UnitOfWork, case: Case, actor: Actor, text: str,
                 now: datetime | None = None) -> Done:
        now = now or utcnow()
        line = cases.one_line(text, MAX_NOTE_CHARS)
        if not line:
            raise Invalid("the note is empty")
        if case.status == WITHDRAWN:
            return Done(Outcome.WITHDRAWN, case)
        self._check_may_act(uow, case, actor)
        uow.session.add(CaseNote(case_id=case.id, at=now, author=actor.label[:80],
                                 text_encrypted=self.services.cipher.encrypt(line)))
        cases.record(uow.session, case, "note_added", actor.event_actor, at=now,
                     responder_id=actor.responder_id)
        uow.audit(actor, "note", case, at=now)
        return Done(Outcome.DONE, case)

    def close(self, uow: UnitOfWork, case: Case, actor: Actor, outcome_code: str, note: str,
              now: datetime | None = None) -> Done:
        now = now or utcnow()
        code = self.outcome(case, outcome_code)
        if actor.role == "responder":
            responder = self._acting_responder(uow, case, actor)
        else:
            # A coordinator or operator closes on behalf of the assigned responder.
            self._check_may_act(uow, case, actor)
            assigned = self._assigned(uow, case)
            if assigned is None:
                raise Invalid("the case has no responder: reassign it first")
            responder = assigned
        result, notifications = cases.close(uow.session, self.services.cipher, case, responder,
                                            note, now)
        if result is Outcome.DONE:
            # The funnel's last step (bot/figures): which outcome, and when.
            case.outcome_code = code.code
            case.outcome_at = now
        uow.add(notifications)
        uow.audit(actor, "close", case, f"{result.value} outcome={code.code}", at=now)
        return Done(result, case)

    def reassign(self, uow: UnitOfWork, case: Case, actor: Actor, responder_id: int,
                 now: datetime | None = None) -> Done:
        """A coordinator (or operator) hands the case to a named responder."""
        now = now or utcnow()
        if actor.role not in ("coordinator", "operator"):
            raise Denied(case.reference)
        self._check_may_act(uow, case, actor)
        if case.status not in OPEN_STATES + (ACKNOWLEDGED,):
            return Done(Outcome.CLOSED if case.status == CLOSED else Outcome.WITHDRAWN, case)
        target = uow.session.get(Responder, responder_id)
        if target is None or not target.active:
            raise Invalid(f"no active responder #{responder_id}")
        if actor.role == "coordinator" and target.organisation != actor.organisation:
            raise Denied(case.reference)  # a coordinator hands cases only within their organisation
        if case.responder_id == target.id:
            return Done(Outcome.ALREADY, case)
        previous = case.responder_id
        if previous is not None:
            cancel_pending(uow.session, case.id, recipient=TO_RESPONDER, responder_id=previous)
        case.responder_id = target.id
        case.organisation = target.organisation
        case.status = ASSIGNED
        case.assigned_at = now
        case.acknowledged_at = None
        case.ack_deadline = now + timedelta(minutes=ack_minutes_for(uow.session, self.services,
                                                                    target.organisation))
        case.reminded_at = case.alerted_at = None
        case.route_count = (case.route_count or 0) + 1
        case.tried_responders = list(case.tried_responders or []) + [target.id]
        target.last_assigned_at = now
        cases.record(uow.session, case, "reassigned", actor.event_actor, at=now,
                     responder_id=target.id, detail=f"route {case.route_count}")
        notes = [add_notification(uow.session, case, TO_RESPONDER, "assigned",
                                  f"c{case.id}:assigned:{case.route_count}", responder_id=target.id)]
        if previous is not None:
            notes.append(add_notification(uow.session, case, TO_RESPONDER, "reassigned",
                                          f"c{case.id}:reassigned:{case.route_count}",
                                          responder_id=previous))
        uow.add([n for n in notes if n is not None])
        uow.audit(actor, "reassign", case, f"to responder #{target.id}", at=now)
        return Done(Outcome.DONE, case)

    def reroute(self, uow: UnitOfWork, case: Case, actor: Actor, *, reason: str = "ack_timeout",
                now: datetime | None = None) -> Done:
        """Move the case to the next responder by the routing rules (deadline, bounce)."""
        now = now or utcnow()
        self._check_may_act(uow, case, actor)
        uow.add(cases.reroute_case(uow.session, self.services, case, now, reason=reason))
        if actor.role != "system":
            uow.audit(actor, "reroute", case, reason, at=now)
        return Done(Outcome.DONE, case)

    # --- helpers -------------------------------------------------------------------------------
    def outcome(self, case: Case, text: str) -> OutcomeCode:
        found = find_outcome(self.services.settings.content_dir, case.jurisdiction, text)
        if found is None:
            raise Invalid(f"unknown outcome code {text!r}")
        return found

    def _assigned(self, uow: UnitOfWork, case: Case) -> Responder | None:
        return uow.session.get(Responder, case.responder_id) if case.responder_id else None

    def _acting_responder(self, uow: UnitOfWork, case: Case, actor: Actor) -> Responder:
        """The responder on whose behalf the ACK/close happens (the actor, for a responder)."""
        if actor.role == "responder":
            responder = uow.session.get(Responder, actor.responder_id)
            # A responder the case moved away from may still read it, never act on it.
            if responder is None or (case.responder_id != responder.id and case.status != WITHDRAWN):
                raise Denied(case.reference)
            return responder
        self._check_may_act(uow, case, actor)
        responder = self._assigned(uow, case)
        if responder is None:
            raise Invalid("the case has no responder: reassign it first")
        return responder

    def _check_may_act(self, uow: UnitOfWork, case: Case, actor: Actor) -> None:
        if actor.role in ("operator", "system"):
            return
        if actor.role == "coordinator" and actor.organisation and case.organisation == actor.organisation:
            return
        if actor.role == "responder" and case.responder_id == actor.responder_id:
            return
        raise Denied(case.reference)


def may_see(session: Session, actor: Actor, case: Case) -> bool:
    """Deny by default: a responder sees cases that are or were assigned to them, a
    coordinator their organisation's, the operator (CLI) everything."""
    if actor.role in ("operator", "system"):
        return True
    if actor.role == "coordinator":
        return bool(actor.organisation) and case.organisation == actor.organisation
    if actor.role == "responder" and actor.responder_id is not None:
        if case.responder_id == actor.responder_id:
            return True
        return bool(session.scalar(select(exists().where(
            CaseEvent.case_id == case.id, CaseEvent.responder_id == actor.responder_id,
            CaseEvent.event.in_(("assigned", "reassigned"))))))
    return False  # admin: set-up only, no cases; any future role: nothing until granted


def service_of(escalation: Escalation) -> EscalationService:
    return EscalationService(escalation)
