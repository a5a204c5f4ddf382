"""Reach: attributing a first contact to a code, and counting what attributed people do.

Only counters are kept per (code, month): new people, returning people (once per person
per month, from the second month on), topics asked (per intent) and escalations. The one
link between a person and a code is their ``referral_attributions`` row, which DELETE
removes; the counters hold no pseudonym and stay.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import Table, delete, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, object_session

from bot.peers.models import ReachCount, ReferralAttribution
from bot.peers.registry import ActiveCode
from bot.turn import Turn

NEW, RETURNING, TOPIC, ESCALATION = "new", "returning", "topic", "escalation"
METRICS = (NEW, RETURNING, TOPIC, ESCALATION)
#: turn.notes keys a feature may set when the turn opened an escalation case; any truthy
#: value counts once (used only when no case insert was seen, see watch_escalation_cases).
ESCALATION_NOTES = ("escalation_case", "escalated")
#: session.info key: pseudonyms of escalation cases inserted in this session (this turn).
_NEW_CASES = "haki_peers_new_cases"


def month_of(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m")


def bump(session: Session, code: str, month: str, metric: str, intent: str = "", by: int = 1) -> None:
    """Add ``by`` to one counter, creating it if needed (safe under concurrent turns)."""
    table = cast(Table, ReachCount.__table__)  # a mapped class's __table__ is typed FromClause
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(code=code, month=month, metric=metric, intent=intent, count=by)
    statement = statement.on_conflict_do_update(
        index_elements=["code", "month", "metric", "intent"],
        set_={"count": table.c["count"] + by},
    )
    session.execute(statement)


def attribute(turn: Turn, code: ActiveCode) -> bool:
    """Attribute this person to ``code`` unless they are already attributed; True if new."""
    session, who = turn.session, turn.person.pseudonym
    if session.get(ReferralAttribution, who) is not None:
        return False
    month = month_of(turn.inbound.received_at)
    session.add(ReferralAttribution(pseudonym=who, code=code.code, first_month=month,
                                    last_active_month=month))
    session.flush()
    bump(session, code.code, month, NEW)
    turn.notes["referral"] = True  # for tests and `haki ask`; never the code itself in logs
    return True


def observe_turn(turn: Turn) -> None:
    """After every turn: count activity of attributed people (no text, no timeline)."""
    if turn.notes.get("erased"):
        return
    attribution = turn.session.get(ReferralAttribution, turn.person.pseudonym)
    if attribution is None:
        return
    month = month_of(turn.inbound.received_at)
    if attribution.last_active_month != month:
        if month > attribution.first_month:
            bump(turn.session, attribution.code, month, RETURNING)
        attribution.last_active_month = max(month, attribution.last_active_month)
    intent = turn.notes.get("intent")
    if isinstance(intent, str) and intent in _topic_intents(turn):
        bump(turn.session, attribution.code, month, TOPIC, intent)
    escalations = _escalations_this_turn(turn)
    if escalations:
        bump(turn.session, attribution.code, month, ESCALATION, by=escalations)


def _escalations_this_turn(turn: Turn) -> int:
    inserted = turn.session.info.pop(_NEW_CASES, [])
    mine = sum(1 for who in inserted if who == turn.person.pseudonym)
    if mine:
        return mine
    return 1 if any(turn.notes.get(key) for key in ESCALATION_NOTES) else 0


def watch_escalation_cases() -> None:
    """Note each escalation case inserted during a turn, so the observer can count it.

    Escalation (bot/escalation/) is a separate feature: when it is not installed there is
    nothing to count and this does nothing.
    """
    try:
        from bot.escalation.models import Case
    except ImportError:
        return
    if not event.contains(Case, "after_insert", _case_inserted):
        event.listen(Case, "after_insert", _case_inserted)


def _case_inserted(mapper: Any, connection: Any, target: Any) -> None:
    session = object_session(target)
    who = getattr(target, "pseudonym", None)
    if session is not None and who:
        session.info.setdefault(_NEW_CASES, []).append(who)


def _topic_intents(turn: Turn) -> tuple[str, ...]:
    try:
        return turn.content.topic_intents(turn.jurisdiction)
    except KeyError:  # a person in a jurisdiction without content yet
        return ()


def erase(turn: Turn) -> None:
    """DELETE: drop the link between this person and a code. Counters stay (anonymous)."""
    turn.session.execute(delete(ReferralAttribution)
                         .where(ReferralAttribution.pseudonym == turn.person.pseudonym))
