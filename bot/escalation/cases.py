"""Cases: creation on consent, routing, acknowledgement, closing, erasure, key rotation.

Every function here works inside the caller's transaction and returns the notifications it
added to the outbox; the caller enqueues their ids after commit (``turn.defer`` in a
conversation turn, directly in the sweep). Nothing here sends anything itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.escalation.outbox import add_notification, cancel_pending
from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    OPEN_STATES,
    TO_PERSON,
    TO_RESPONDER,
    UNASSIGNED,
    WITHDRAWN,
    AnonymousReport,
    Case,
    CaseEvent,
    CaseNote,
    Notification,
    Responder,
)
from bot.escalation.routing import choose
from bot.escalation.sla import ack_minutes_for, responsible_organisation
from bot.storage.crypto import Cipher
from bot.storage.models import ProviderErasure

if TYPE_CHECKING:
    from bot.services import Services

#: No 0/O and no 1/I: references are read aloud and typed on old phones.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5  # "K7-3QF": 32**5 = 33.5 million references
#: How long a closed case keeps the person's contact and summary (STATUS, a last update).
CLOSED_GRACE = timedelta(days=7)
MAX_SUMMARY_CHARS = 300
MAX_NOTE_CHARS = 300


def new_reference() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{symbols[:2]}-{symbols[2:]}"


def normalise_reference(text: str) -> str | None:
    """``k7 3qf``, ``K73QF`` and ``K7-3QF`` all mean ``K7-3QF``; anything else is None."""
    symbols = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(symbols) != REFERENCE_LENGTH or any(ch not in ALPHABET for ch in symbols):
        return None
    return f"{symbols[:2]}-{symbols[2:]}"


def minutes_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=timezone.utc)


def record(session: Session, case: Case, event: str, actor: str, *, at: datetime,
           responder_id: int | None = None, detail: str = "") -> None:
    """One audit row. ``detail`` is for counters and states, never for anyone's words."""
    session.add(CaseEvent(case_id=case.id, at=at, event=event, actor=actor,
                          responder_id=responder_id, detail=detail[:80]))


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


# --- creating and routing -------------------------------------------------------------
@dataclass(frozen=True)
class NewCase:
    pseudonym: str
    channel: str
    address: str
    language: str
    jurisdiction: str
    category: str
    region: str
    urgency: str  # "urgent" or "normal"
    kind: str
    callback_allowed: bool


def create_case(session: Session, services: Services, details: NewCase,
                now: datetime) -> tuple[Case, list[Notification]]:
    """The person said YES: store the case (encrypted parts) and route it.

    Exactly one case per consent, however many YES arrive at once (a double tap, a
    provider's retry): the consent is claimed first (``_claim_consent``); a turn that finds
    it already claimed returns the case its twin created, with no notifications."""
    if not _claim_consent(session, details.pseudonym):
        existing = session.scalars(select(Case).where(Case.pseudonym == details.pseudonym)
                                   .order_by(Case.id.desc())).first()
        if existing is not None:
            return existing, []
    cipher = services.cipher
    reference = _free_reference(session)
    default_summary = f"{category_label(services, details.jurisdiction, details.category)}, {details.urgency}"
    case = Case(reference=reference, pseudonym=details.pseudonym, channel=details.channel,
                language=details.language, jurisdiction=details.jurisdiction,
                category=details.category, region=details.region, urgency=details.urgency,
                responder_kind=details.kind, status=ASSIGNED,
                callback_allowed=details.callback_allowed,
                summary_encrypted=cipher.encrypt(default_summary),
                contact_encrypted=cipher.encrypt(details.address),
                tried_responders=[], route_count=0, created_at=now)
    session.add(case)
    session.flush()
    record(session, case, "created", "person", at=now,
           detail=f"kind={details.kind} callback={'yes' if details.callback_allowed else 'no'}")
    return case, route_case(session, services, case, now)


#: The consent step (bot/escalation/flow.py STEP_CONSENT) and the one that follows a case.
_CONSENT_STEP = "esc_consent"
_CLAIMED_STEP = "esc_summary"


def _claim_consent(session: Session, person_pseudonym: str) -> bool:
    """Move the person's row off the consent step in the database, now; False when another
    turn already did (its YES created the case).

    A conditional UPDATE is the lock on both databases: on PostgreSQL a twin turn's UPDATE
    waits for our row lock and then, re-checking its WHERE, matches nothing; on SQLite it
    waits for our write transaction and then sees our commit. Two turns that both read
    "esc_consent" before either wrote can therefore still make only one case."""
    from bot.storage.models import Person

    result = session.execute(
        update(Person).where(Person.pseudonym == person_pseudonym,
                             Person.pending_step == _CONSENT_STEP)
        .values(pending_step=_CLAIMED_STEP)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def _free_reference(session: Session) -> str:
    # The unique constraint is the real guarantee; checking first keeps a collision (one in
    # tens of millions) from failing the person's whole turn.
    for _ in range(10):
        reference = new_reference()
        if session.scalar(select(Case.id).where(Case.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find a free case reference in 10 tries")


def route_case(session: Session, services: Services, case: Case,
               now: datetime) -> list[Notification]:
    """Assign the next responder (see routing.py) and queue their notification."""
    notes: list[Notification] = []
    responder, new_round = choose(session, case.responder_kind, case.region,
                                  list(case.tried_responders or []), case.responder_id)
    if responder is None:
        if case.organisation is None:  # so a coordinator sees it (console, SLA alert)
            case.organisation = responsible_organisation(session, case.responder_kind, case.region)
        if case.status != UNASSIGNED:
            record(session, case, "no_responder", "system", at=now)
            case.status = UNASSIGNED
            case.ack_deadline = None
            notes += _maybe(add_notification(session, case, TO_PERSON, "waiting",
                                             f"c{case.id}:waiting"))
        return notes
    tried = [] if new_round else list(case.tried_responders or [])
    tried.append(responder.id)
    case.tried_responders = tried
    case.responder_id = responder.id
    case.status = ASSIGNED
    case.assigned_at = now
    case.referred_at = case.referred_at or now  # the funnel's "referred": first routing
    # The console: the case now belongs to this responder's organisation, on its SLA.
    case.organisation = responder.organisation
    case.ack_deadline = now + timedelta(minutes=ack_minutes_for(session, services,
                                                                responder.organisation))
    case.reminded_at = None  # a reminder per assignment; alerts keep their own pace
    case.route_count = (case.route_count or 0) + 1
    responder.last_assigned_at = now
    record(session, case, "assigned", "system", at=now, responder_id=responder.id,
           detail=f"route {case.route_count}" + (" new round" if new_round else ""))
    notes += _maybe(add_notification(session, case, TO_RESPONDER, "assigned",
                                     f"c{case.id}:assigned:{case.route_count}",
                                     responder_id=responder.id))
    return notes


def reroute_case(session: Session, services: Services, case: Case, now: datetime, *,
                 reason: str = "ack_timeout") -> list[Notification]:
    """Move the case on, and tell the old responder and the person: the deadline passed
    without an ACK (``ack_timeout``), or the notice never reached the responder."""
    previous = case.responder_id
    if previous is not None:
        cancel_pending(session, case.id, recipient=TO_RESPONDER, responder_id=previous)
    record(session, case, reason, "system", at=now, responder_id=previous)
    notes = route_case(session, services, case, now)
    if case.status == ASSIGNED and previous is not None and case.responder_id != previous:
        notes += _maybe(add_notification(session, case, TO_RESPONDER, "moved",
                                         f"c{case.id}:moved:{case.route_count}",
                                         responder_id=previous))
        notes += _maybe(add_notification(session, case, TO_PERSON, "rerouted",
                                         f"c{case.id}:rerouted:{case.route_count}"))
    return notes


def add_summary(session: Session, services: Services, case: Case, text: str,
                now: datetime) -> list[Notification]:
    """The one line the person chose to add after YES, encrypted; the responder gets it
    with their notification, or as an update if that was already sent."""
    line = one_line(text, MAX_SUMMARY_CHARS)
    if not line or case.status not in OPEN_STATES + (ACKNOWLEDGED,):
        return []
    case.summary_encrypted = services.cipher.encrypt(line)
    record(session, case, "summary_added", "person", at=now)
    if case.responder_id is None:
        return []
    unsent = session.scalar(select(func.count(Notification.id)).where(
        Notification.case_id == case.id, Notification.recipient == TO_RESPONDER,
        Notification.kind == "assigned", Notification.responder_id == case.responder_id,
        Notification.status.in_(("pending", "sending"))))
    if unsent:
        return []  # the notification is built at send time and will carry the line
    return _maybe(add_notification(session, case, TO_RESPONDER, "update",
                                   f"c{case.id}:update:{case.route_count}",
                                   responder_id=case.responder_id))


# --- the responder's side -------------------------------------------------------------
class Outcome(str, Enum):
    DONE = "done"
    ALREADY = "already"
    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


def acknowledge(session: Session, case: Case, responder: Responder,
                now: datetime) -> tuple[Outcome, list[Notification]]:
    """ACK from the assigned responder. Repeats are harmless: one acknowledgement, one
    message to the person (the idempotency key makes a racing twin fail, not double)."""
    if case.status == WITHDRAWN:
        return Outcome.WITHDRAWN, []
    if case.status == CLOSED:
        return Outcome.CLOSED, []
    if case.responder_id != responder.id:
        return Outcome.NOT_YOURS, []
    if case.status == ACKNOWLEDGED:
        return Outcome.ALREADY, []
    case.status = ACKNOWLEDGED
    case.acknowledged_at = now
    case.ack_minutes = minutes_between(case.created_at, now)  # for the oversight figures
    case.ack_deadline = None
    cancel_pending(session, case.id, recipient=TO_RESPONDER, responder_id=responder.id,
                   kinds=("assigned",))
    record(session, case, "acknowledged", "responder", at=now, responder_id=responder.id)
    return Outcome.DONE, _maybe(add_notification(session, case, TO_PERSON, "acknowledged",
                                                 f"c{case.id}:acknowledged"))


def close(session: Session, cipher: Cipher, case: Case, responder: Responder, note: str,
          now: datetime) -> tuple[Outcome, list[Notification]]:
    """DONE from the assigned responder (an ACK is implied if they skipped it)."""
    if case.status == WITHDRAWN:
        return Outcome.WITHDRAWN, []
    if case.status == CLOSED:
        return Outcome.CLOSED if case.responder_id == responder.id else Outcome.NOT_YOURS, []
    if case.responder_id != responder.id:
        return Outcome.NOT_YOURS, []
    if case.acknowledged_at is None:
        case.acknowledged_at = now
        case.ack_minutes = minutes_between(case.created_at, now)
    case.status = CLOSED
    case.closed_at = now
    case.actioned_at = case.actioned_at or now  # the funnel's "actioned" (outcome: see figures)
    case.ack_deadline = None
    case.contact_expires_at = now + CLOSED_GRACE
    line = one_line(note, MAX_NOTE_CHARS)
    case.close_note_encrypted = cipher.encrypt(line) if line else None
    cancel_pending(session, case.id, recipient=TO_RESPONDER, kinds=("assigned", "update"))
    record(session, case, "closed", "responder", at=now, responder_id=responder.id,
           detail="with note" if line else "")
    return Outcome.DONE, _maybe(add_notification(session, case, TO_PERSON, "closed",
                                                 f"c{case.id}:closed"))


# --- privacy ------------------------------------------------------------------------------
def erase_person_cases(session: Session, person_pseudonym: str,
                       now: datetime) -> list[Notification]:
    """DELETE: strip every personal part of this person's cases.

    What stays is an anonymised row (reference, category, region, kind, month) so the case
    still counts in the monthly figures and a responder's late ACK gets a clear answer.
    A responder who already received the case is told to stop and delete their notes:
    we cannot reach into their phone, but we can ask.
    """
    notes: list[Notification] = []
    cases = session.scalars(select(Case).where(Case.pseudonym == person_pseudonym)).all()
    for case in cases:
        cancel_pending(session, case.id)
        handed_over = session.scalars(select(Notification.responder_id).where(
            Notification.case_id == case.id, Notification.recipient == TO_RESPONDER,
            Notification.kind.in_(("assigned", "update")), Notification.status == "sent")).all()
        for responder_id in sorted({r for r in handed_over if r is not None}):
            notes += _maybe(add_notification(session, case, TO_RESPONDER, "withdrawn",
                                             f"c{case.id}:withdrawn:r{responder_id}",
                                             responder_id=responder_id))
        _erase_sms_notices_at_provider(session, case, now)
        anonymise(session, case)
    return notes


def _erase_sms_notices_at_provider(session: Session, case: Case, now: datetime) -> None:
    """SMS notices to responders quote the summary and maybe the call-back number, and
    Twilio's log keeps them under the responder's number: queue each for deletion there
    (webhooks/erasure.py). The person's own messages go with their number's log."""
    sent = session.scalars(
        select(Notification.provider_id).join(Responder, Responder.id == Notification.responder_id)
        .where(Notification.case_id == case.id, Notification.recipient == TO_RESPONDER,
               Notification.provider_id.is_not(None), Responder.channel == "sms")).all()
    for provider_id in sorted({found for found in sent if found is not None}):
        session.add(ProviderErasure(channel="sms", message_id=provider_id, address_encrypted=None,
                                    not_before=now, attempts=0, last_error=""))


def anonymise(session: Session, case: Case) -> None:
    """Keep category, region, kind and month; drop everything else, audit trail included.

    For the oversight funnel, the stages reached stay with their month only, and the
    minutes from report to ACK stay as a number (docs/oversight.md).
    """
    month = month_start(case.created_at)
    if case.acknowledged_at is not None and case.ack_minutes is None:
        case.ack_minutes = minutes_between(case.created_at, case.acknowledged_at)
    case.referred_at = month_start(case.referred_at) if case.referred_at else None
    case.actioned_at = month_start(case.actioned_at) if case.actioned_at else None
    case.outcome_at = month_start(case.outcome_at) if case.outcome_at else None
    case.pseudonym = None
    case.summary_encrypted = None
    case.contact_encrypted = None
    case.close_note_encrypted = None
    case.callback_allowed = False
    case.status = WITHDRAWN if case.status != CLOSED else CLOSED
    case.created_at = month
    case.assigned_at = case.acknowledged_at = case.closed_at = None
    case.ack_deadline = case.contact_expires_at = None
    case.tried_responders = []
    session.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id))
    # Responders' working notes are about the person: they go too. The console's audit rows
    # (who looked, who acted) stay: they hold no personal data and keep staff accountable.
    session.execute(delete(CaseNote).where(CaseNote.case_id == case.id))
    record(session, case, "anonymised", "system", at=month)
    coarsen_notification_times(session, case.id, month)


#: Notification times that would say when something happened in an erased case.
_NOTIFICATION_TIMES = ("created_at", "queued_at", "sent_at", "delivered_at", "next_attempt_at",
                       "locked_until")


def coarsen_notification_times(session: Session, case_id: int, month: datetime) -> None:
    """An anonymised case keeps only its month: so do its finished notifications.

    Notifications still to be sent (the "withdrawn" notice DELETE just queued) keep their
    times until they are done; ``expire_closed`` (every sweep) coarsens them then."""
    for notification in session.scalars(select(Notification).where(
            Notification.case_id == case_id, Notification.status.not_in(("pending", "sending")))):
        for name in _NOTIFICATION_TIMES:
            if getattr(notification, name) is not None:
                setattr(notification, name, month)


def expire_closed(session: Session, now: datetime) -> int:
    """Closed cases past their grace period lose their personal parts (POPIA s14)."""
    due = session.scalars(select(Case).where(Case.status == CLOSED,
                                             Case.contact_expires_at.is_not(None),
                                             Case.contact_expires_at <= now)).all()
    for case in due:
        cancel_pending(session, case.id, recipient=TO_PERSON)
        anonymise(session, case)
    # Notifications of anonymised cases that were still on their way at the time (the
    # "withdrawn" notice after DELETE) lose their exact times once they are done.
    later = session.execute(
        select(Notification.case_id, Case.created_at).join(Case, Case.id == Notification.case_id)
        .where(Case.pseudonym.is_(None), Notification.status.not_in(("pending", "sending")),
               Notification.created_at != Case.created_at)).all()
    for case_id, month in {row.case_id: row.created_at for row in later}.items():
        coarsen_notification_times(session, case_id, month)
    return len(due)


# --- reading -----------------------------------------------------------------------------
def open_cases_of(session: Session, person_pseudonym: str) -> list[Case]:
    """The person's cases, newest first (closed ones too, while they are kept)."""
    return list(session.scalars(select(Case).where(Case.pseudonym == person_pseudonym)
                                .order_by(Case.id.desc())).all())


def find_case(session: Session, reference: str, *, for_update: bool = False) -> Case | None:
    query = select(Case).where(Case.reference == reference)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def monthly_figures(session: Session, month: str | None = None) -> list[tuple[str, str, str, int]]:
    """(month, category, region, count) from cases and anonymous reports together.

    Raw and unsuppressed, test records included: for tests and operators' checks only.
    Anything published goes through bot/figures/ (disclosure control, no test records).
    """
    totals: dict[tuple[str, str, str], int] = {}
    for case in session.scalars(select(Case)).all():
        key = (case.created_at.strftime("%Y-%m"), case.category, case.region)
        totals[key] = totals.get(key, 0) + 1
    for report in session.scalars(select(AnonymousReport)).all():
        key = (report.month, report.category, report.region)
        totals[key] = totals.get(key, 0) + 1
    rows = [(m, c, r, n) for (m, c, r), n in sorted(totals.items())]
    return [row for row in rows if month is None or row[0] == month]


def category_label(services: Services, jurisdiction: str, category: str,
                   language: str = "en") -> str:
    """A person-readable name for a category (the topic's title), else the intent name."""
    try:
        topic = services.content.topic(jurisdiction, category, language)
    except KeyError:
        topic = None
    return topic.title if topic is not None else category.replace("_", " ")


def _maybe(notification: Notification | None) -> list[Notification]:
    return [notification] if notification is not None else []
