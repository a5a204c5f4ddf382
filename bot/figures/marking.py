"""Give each new case and anonymous record its violation type, and mark test records.

The violation comes from the intent the record was made from (its ``category``) and its
urgency, through the jurisdiction's taxonomy: never from anything the person typed. It is
set when the row is inserted, whoever inserts it (a conversation, a script, a test).

Sandbox and test records are kept (the sandbox must behave like the real thing) but carry
``is_test`` and are never counted. A turn is a test turn when the channel layer says so
(``InboundMessage.sandbox`` or ``.is_test``, or the person's ``sandbox``/``is_test`` flag,
whichever the sandbox work adds) or when it comes from the web sandbox, whose addresses
start with ``sandbox-`` (webhooks/web.py). Operators can mark a case by hand:
``haki figures mark-test REFERENCE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import object_session

from bot.escalation.models import AnonymousReport, Case
from bot.figures.taxonomy import TaxonomyError, load
from bot.turn import Turn

_INSERTED = "haki_figures_inserted"
_CONTENT_DIR: list[Path] = []
SANDBOX_ADDRESS_PREFIX = "sandbox-"


def install(content_dir: Path) -> None:
    """Listen for inserts of cases and anonymous reports (once per process)."""
    _CONTENT_DIR[:] = [content_dir]
    for model in (Case, AnonymousReport):
        if not event.contains(model, "before_insert", _before_insert):
            event.listen(model, "before_insert", _before_insert)


def violation_of(content_dir: Path, jurisdiction: str, category: str, urgency: str | None,
                 situation: str | None = None) -> str | None:
    try:
        return load(content_dir, jurisdiction).violation_for(category, urgency, situation)
    except TaxonomyError:
        return None  # a jurisdiction without a taxonomy yet: derived again when read


def _before_insert(mapper: Any, connection: Any, target: Any) -> None:
    if target.violation is None and _CONTENT_DIR:
        target.violation = violation_of(_CONTENT_DIR[0], target.jurisdiction, target.category,
                                        getattr(target, "urgency", None))
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_INSERTED, []).append(target)


def is_test_turn(turn: Turn) -> bool:
    flags = (getattr(turn.inbound, "sandbox", False), getattr(turn.inbound, "is_test", False),
             getattr(turn.person, "sandbox", False), getattr(turn.person, "is_test", False))
    return any(flag is True for flag in flags) or \
        turn.inbound.address.startswith(SANDBOX_ADDRESS_PREFIX)


def observe_turn(turn: Turn) -> None:
    """After every turn, before its commit: records made in a test turn are test records."""
    inserted = turn.session.info.pop(_INSERTED, [])
    if not is_test_turn(turn):
        return
    for row in [*inserted, *turn.session.new]:
        if isinstance(row, (Case, AnonymousReport)):
            row.is_test = True
