"""Reach figures per month and per code, organisation or region, hidden where small.

Every figure goes through bot/figures/disclosure.py, the one place that decides what is
hidden: counts from 1 to 4 are hidden, and so is whatever else would let them be worked
out. The three groupings (code, organisation, region) are published from the same data,
so each month's figures for all three are protected *together*: comparing an
organisation's total with its codes' figures cannot narrow a hidden count (the bug this
replaced: each grouping hid its own small counts, and a subtraction gave them back).
Only complete months are published, so a figure never changes once seen.

A hidden figure is ``None`` (JSON null, ``x`` in tables). The same function feeds
``haki peers stats``, the JSON endpoint (per-organisation tokens) and STATS by SMS or
Telegram, which only filter the records: they never see another cut of the data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.figures.disclosure import SMALLEST_SHOWN, Base, Publication, TableSpec, protect
from bot.figures.report import last_complete_month
from bot.peers.models import PeerEducator, ReachCount, ReferralCode
from bot.peers.reach import ESCALATION, NEW, RETURNING, TOPIC

HIDDEN = "x"
#: Kept for webhooks/peers_api.py until bot/peers/api.py replaces it (docs/peer-educators.md).
SUPPRESS_BELOW = SMALLEST_SHOWN
Grouping = Literal["code", "organisation", "region"]
GROUPINGS: tuple[Grouping, ...] = ("code", "organisation", "region")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DIMS = ("code", "organisation", "region", "metric", "intent")
TABLES = tuple(TableSpec(by, (by, "metric", "intent")) for by in GROUPINGS)
PLAIN_METRICS = (NEW, RETURNING, ESCALATION)
FIELDS = {NEW: "new_people", RETURNING: "returning_people", ESCALATION: "escalations"}


def reach_stats(session: Session, *, by: Grouping = "code", first_month: str | None = None,
                last_month: str | None = None, codes: Collection[str] | None = None,
                now: datetime | None = None) -> list[dict[str, object]]:
    """One record per (month, group) that saw any activity, newest month first.

    ``codes`` limits the records to groups made only of those codes (an organisation's
    token, an educator's STATS); the figures are the same as everyone else sees.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    for value in (first_month, last_month):
        if value is not None and not MONTH.match(value):
            raise ValueError(f"{value!r} is not a month like 2026-11")
    newest = last_complete_month(now or datetime.now(timezone.utc))
    last = min(last_month or newest, newest)
    registry = session.execute(
        select(ReferralCode.code, PeerEducator.organisation, PeerEducator.region)
        .join(PeerEducator, PeerEducator.id == ReferralCode.educator_id)).all()
    places = {code: (organisation, region) for code, organisation, region in registry}
    query = (select(ReachCount.month, ReachCount.code, ReachCount.metric, ReachCount.intent,
                    ReachCount.count).where(ReachCount.month <= last))
    if first_month:
        query = query.where(ReachCount.month >= first_month)
    per_month: dict[str, dict[tuple[str, ...], int]] = {}
    for month, code, metric, intent, count in session.execute(query):
        if code not in places or not count:
            continue
        key = (code, *places[code], metric, intent or "")
        cells = per_month.setdefault(month, {})
        cells[key] = cells.get(key, 0) + int(count)
    records: list[dict[str, object]] = []
    for month in sorted(per_month, reverse=True):
        publication = _publish(per_month[month], places)
        records += _records(month, by, publication, per_month[month], places, codes)
    return records


def _publish(counts: dict[tuple[str, ...], int], places: dict[str, tuple[str, str]]) -> Publication:
    intents = sorted({key[4] for key in counts if key[3] == TOPIC})
    slices = [(metric, "") for metric in PLAIN_METRICS] + [(TOPIC, i) for i in intents]
    universe = [(code, org, region, metric, intent) for code, (org, region) in places.items()
                for metric, intent in slices]
    return protect(Base(DIMS, counts, universe=universe), TABLES, split_on=("metric", "intent"))


def _records(month: str, by: Grouping, publication: Publication,
             counts: dict[tuple[str, ...], int], places: dict[str, tuple[str, str]],
             codes: Collection[str] | None) -> list[dict[str, object]]:
    position = DIMS.index(by)
    active = sorted({key[position] for key in counts})
    allowed = set(places) if codes is None else set(codes)
    figures = publication.as_dict(by)
    out = []
    for group in active:
        members = {code for code, place in places.items()
                   if (code if by == "code" else place[0 if by == "organisation" else 1]) == group}
        if not members <= allowed:
            continue  # a group with someone else's codes in it is not this reader's to see
        record: dict[str, object] = {"month": month}
        if by == "code":
            record.update(code=group, organisation=places[group][0], region=places[group][1])
        else:
            record[by] = group
        for metric in PLAIN_METRICS:
            record[FIELDS[metric]] = figures.get((group, metric, ""), 0)
        topics = {key[2]: value for key, value in figures.items()
                  if key[0] == group and key[1] == TOPIC and value != 0}
        record["topics"] = dict(sorted(topics.items(), key=lambda item: (
            -(item[1] if item[1] is not None else 0), item[0])))
        out.append(_ordered(record))
    return out


def _ordered(record: dict[str, object]) -> dict[str, object]:
    order = ["month", "code", "organisation", "region", "new_people", "returning_people",
             "topics", "escalations"]
    return {key: record[key] for key in order if key in record}


def show(value: object) -> str:
    return HIDDEN if value is None else str(value)


def table_lines(records: Iterable[dict[str, object]], by: Grouping) -> list[str]:
    """A plain-text table for the terminal (topics as "intent n" pairs; x = hidden)."""
    header = ["month", *_group_names(by), "new", "returning", "escalations", "topics"]
    rows = [header]
    for record in records:
        topics = ", ".join(f"{intent} {show(count)}" for intent, count in
                           dict(record["topics"]).items())  # type: ignore[call-overload]
        rows.append([str(record["month"]), *(str(record[name]) for name in _group_names(by)),
                     show(record["new_people"]), show(record["returning_people"]),
                     show(record["escalations"]), topics or "-"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths)), row[-1]]).rstrip()
            for row in rows]


def _group_names(by: Grouping) -> tuple[str, ...]:
    return ("code", "organisation", "region") if by == "code" else (by,)
