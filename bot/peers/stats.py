"""Reach figures per month and per code, organisation or region, with small counts hidden.

Every count from 1 to 4 is shown as "<5" (``SUPPRESSED``): with key populations a "2" next
to a small organisation's code in one month can point at a person. Zero is shown as 0.
The same function feeds ``haki peers stats`` and the JSON endpoint, so both hide the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.peers.models import PeerEducator, ReachCount, ReferralCode
from bot.peers.reach import ESCALATION, NEW, RETURNING, TOPIC

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
Grouping = Literal["code", "organisation", "region"]
GROUPINGS: tuple[Grouping, ...] = ("code", "organisation", "region")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
Shown = int | str


def shown(count: int) -> Shown:
    """What may be published for ``count`` people or events."""
    return count if count == 0 or count >= SUPPRESS_BELOW else SUPPRESSED


@dataclass
class _Cell:
    new: int = 0
    returning: int = 0
    escalations: int = 0
    topics: dict[str, int] = field(default_factory=dict)


def reach_stats(session: Session, *, by: Grouping = "code", first_month: str | None = None,
                last_month: str | None = None) -> list[dict[str, object]]:
    """One record per (month, group), newest month first, counts already suppressed."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    for value in (first_month, last_month):
        if value is not None and not MONTH.match(value):
            raise ValueError(f"{value!r} is not a month like 2026-11")
    group_columns = {
        "code": (ReferralCode.code, PeerEducator.organisation, PeerEducator.region),
        "organisation": (PeerEducator.organisation,),
        "region": (PeerEducator.region,),
    }[by]
    query = (
        select(ReachCount.month, *group_columns, ReachCount.metric, ReachCount.intent,
               func.sum(ReachCount.count))
        .join(ReferralCode, ReferralCode.code == ReachCount.code)
        .join(PeerEducator, PeerEducator.id == ReferralCode.educator_id)
        .group_by(ReachCount.month, *group_columns, ReachCount.metric, ReachCount.intent)
    )
    if first_month:
        query = query.where(ReachCount.month >= first_month)
    if last_month:
        query = query.where(ReachCount.month <= last_month)
    cells: dict[tuple[str, ...], _Cell] = {}
    width = len(group_columns)
    for row in session.execute(query):
        month, group = row[0], tuple(row[1:1 + width])
        metric, intent, total = row[1 + width], row[2 + width], int(row[3 + width] or 0)
        cell = cells.setdefault((month, *group), _Cell())
        _add(cell, metric, intent, total)
    names = [column.key for column in group_columns]
    # Newest month first; within a month, groups alphabetically (sorted is stable).
    ordered = sorted(sorted(cells.items(), key=lambda item: item[0][1:]),
                     key=lambda item: item[0][0], reverse=True)
    return [_record(key[0], dict(zip(names, key[1:])), cell) for key, cell in ordered]


def _add(cell: _Cell, metric: str, intent: str, total: int) -> None:
    if metric == NEW:
        cell.new += total
    elif metric == RETURNING:
        cell.returning += total
    elif metric == ESCALATION:
        cell.escalations += total
    elif metric == TOPIC:
        cell.topics[intent] = cell.topics.get(intent, 0) + total


def _record(month: str, group: dict[str, str], cell: _Cell) -> dict[str, object]:
    topics = {intent: shown(count) for intent, count in
              sorted(cell.topics.items(), key=lambda item: (-item[1], item[0])) if count}
    return {
        "month": month, **group,
        "new_people": shown(cell.new),
        "returning_people": shown(cell.returning),
        "topics": topics,
        "escalations": shown(cell.escalations),
    }


def table_lines(records: Iterable[dict[str, object]], by: Grouping) -> list[str]:
    """A plain-text table for the terminal (topics as "intent n" pairs)."""
    header = ["month", *_group_names(by), "new", "returning", "escalations", "topics"]
    rows = [header]
    for record in records:
        topics = ", ".join(f"{intent} {count}" for intent, count in
                           dict(record["topics"]).items())  # type: ignore[call-overload]
        rows.append([str(record["month"]), *(str(record[name]) for name in _group_names(by)),
                     str(record["new_people"]), str(record["returning_people"]),
                     str(record["escalations"]), topics or "-"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths)), row[-1]]).rstrip()
            for row in rows]


def _group_names(by: Grouping) -> tuple[str, ...]:
    return ("code", "organisation", "region") if by == "code" else (by,)
