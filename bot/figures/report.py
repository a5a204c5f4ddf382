"""The monthly oversight report: what happened, where, and what became of it.

Everything is computed per calendar month and only for complete months, so a figure, once
published, never changes and no two publications can be subtracted from each other:

- **incidents** (consented cases and anonymous records made that month): violation ×
  region, violation, region, perpetrator, total;
- **funnel** (consented cases; each stage counted in the month it was reached): stage ×
  violation, stage, and violation × outcome, outcome for the outcomes recorded that month;
- **time to ACK** for cases acknowledged that month: count, median and 90th percentile in
  minutes, shown only when the count is shown.

Each month's incident tables are one base and its funnel tables another, and each goes
through bot/figures/disclosure.py as a whole. Sandbox and test records are never read.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.escalation.cases import minutes_between
from bot.escalation.models import CLOSED, AnonymousReport, Case
from bot.figures.disclosure import SMALLEST_SHOWN, Base, Publication, TableSpec, protect
from bot.figures.taxonomy import NOT_RECORDED, Taxonomy, load

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
UNKNOWN_REGION = "unknown"
NO_OUTCOME = "-"
STAGES = ("reported", "referred", "acknowledged", "actioned", "outcome")
INCIDENT_DIMS = ("violation", "region", "perpetrator")
INCIDENT_TABLES = (
    TableSpec("violation_by_region", ("violation", "region")),
    TableSpec("violation", ("violation",)),
    TableSpec("region", ("region",)),
    TableSpec("perpetrator", ("perpetrator",)),
    TableSpec("incidents_total", ()),
)
FUNNEL_DIMS = ("stage", "violation", "outcome")
FUNNEL_TABLES = (
    TableSpec("funnel", ("stage", "violation")),
    TableSpec("stage", ("stage",)),
    TableSpec("violation_by_outcome", ("violation", "outcome"), (("stage", "outcome"),)),
    TableSpec("outcome", ("outcome",), (("stage", "outcome"),)),
)


class ReportError(ValueError):
    """A bad month range; the message says what to change."""


@dataclass(frozen=True)
class AckTimes:
    """Minutes from report to ACK for one month; None values are hidden."""

    count: int | None
    median_minutes: float | None
    p90_minutes: float | None


@dataclass
class MonthReport:
    month: str
    incidents: Publication
    funnel: Publication
    ack: AckTimes


@dataclass
class Report:
    jurisdiction: str
    first_month: str
    last_month: str
    taxonomy: Taxonomy
    months: list[MonthReport] = field(default_factory=list)

    def rows(self) -> Iterator[dict[str, object]]:
        """Every published figure as one flat record (the CSV and JSON shape).

        ``count`` is None where the figure is hidden.
        """
        for month in self.months:
            for publication in (month.incidents, month.funnel):
                for table, cells in publication.tables.items():
                    dims = publication.dims[table]
                    for key, value in cells:
                        record: dict[str, object] = {"month": month.month, "table": table}
                        record.update(zip(dims, key))
                        record["count"] = value
                        yield record

    def series(self, table: str, dim_value: str | None = None) -> list[tuple[str, int | None]]:
        """(month, figure) of one cell over the months: a trend line."""
        out = []
        for month in self.months:
            publication = month.incidents if table in month.incidents.tables else month.funnel
            key = (dim_value,) if dim_value is not None else ()
            out.append((month.month, publication.as_dict(table).get(key)))
        return out


def months_between(first: str, last: str) -> list[str]:
    for value in (first, last):
        if not MONTH.match(value):
            raise ReportError(f"{value!r} is not a month like 2026-11")
    if first > last:
        raise ReportError(f"--from {first} is after --to {last}")
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def last_complete_month(now: datetime) -> str:
    first_of_this = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    return (first_of_this - timedelta(days=1)).strftime("%Y-%m")


def _start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=timezone.utc)


def _after(month: str) -> datetime:
    year, number = int(month[:4]), int(month[5:])
    return datetime(year + (number == 12), 1 if number == 12 else number + 1, 1, tzinfo=timezone.utc)


def requested_months(first: str | None, last: str | None) -> tuple[str, str]:
    """The months a reader asked for (API, console), defaulting to the last complete month."""
    last = last or last_complete_month(datetime.now(timezone.utc))
    return first or last, last


def build_report(session: Session, content_dir: Path, jurisdiction: str, first_month: str,
                 last_month: str, *, now: datetime | None = None) -> Report:
    """The published report for complete months ``first_month``..``last_month``."""
    months = months_between(first_month, last_month)
    newest = last_complete_month(now or datetime.now(timezone.utc))
    if last_month > newest:
        raise ReportError(f"only complete months are published: --to must be {newest} or earlier")
    taxonomy = load(content_dir, jurisdiction)
    regions = _regions(content_dir, jurisdiction)
    incidents, funnel, ack_minutes = _collect(session, taxonomy, jurisdiction, months)
    report = Report(jurisdiction, first_month, last_month, taxonomy)
    for month in months:
        inc = incidents.get(month, Counter())
        domains = {"violation": taxonomy.violation_ids,
                   "region": sorted(set(regions) | {k[1] for k in inc}),
                   "perpetrator": sorted(set(taxonomy.perpetrators) | {k[2] for k in inc})}
        incident_pub = protect(Base(INCIDENT_DIMS, inc, domains), INCIDENT_TABLES)
        fun = funnel.get(month, Counter())
        outcomes = sorted({k[2] for k in fun if k[0] == "outcome"} | {NOT_RECORDED})
        universe = [(stage, v, NO_OUTCOME) for stage in STAGES[:-1] for v in taxonomy.violation_ids]
        universe += [("outcome", v, o) for v in taxonomy.violation_ids for o in outcomes]
        funnel_pub = protect(Base(FUNNEL_DIMS, fun, universe=universe), FUNNEL_TABLES,
                             split_on=("stage",))
        report.months.append(MonthReport(month, incident_pub, funnel_pub,
                                         _ack_times(ack_minutes.get(month, []), funnel_pub)))
    return report


def _regions(content_dir: Path, jurisdiction: str) -> list[str]:
    from bot.escalation.regions import regions_for

    return [*regions_for(content_dir, jurisdiction), UNKNOWN_REGION]


def _collect(session: Session, taxonomy: Taxonomy, jurisdiction: str, months: list[str]
             ) -> tuple[dict[str, Counter], dict[str, Counter], dict[str, list[int]]]:  # type: ignore[type-arg]
    """Counts per month, added up by the database (one small GROUP BY per month and stage:
    no per-case work in Python, so 100,000 cases cost what a few hundred groups cost)."""
    incidents: dict[str, Counter] = {}  # type: ignore[type-arg]
    funnel: dict[str, Counter] = {}  # type: ignore[type-arg]
    ack: dict[str, list[int]] = {}
    counted = and_(Case.jurisdiction == jurisdiction, Case.is_test.is_(False))
    kind_columns = (Case.violation, Case.category, Case.urgency)

    def kind(violation: str | None, category: str, urgency: str) -> str:
        return taxonomy.known(violation) if violation else taxonomy.violation_for(category, urgency)

    for month in months:
        start, end = _start(month), _after(month)

        def within(column: Any) -> Any:
            return and_(column >= start, column < end)  # noqa: B023 (used at once)

        inc, fun = incidents.setdefault(month, Counter()), funnel.setdefault(month, Counter())
        # An anonymised case has no ACK time, only its minutes: it counts in its own month.
        acknowledged = or_(within(Case.acknowledged_at),
                           and_(Case.acknowledged_at.is_(None), Case.ack_minutes.is_not(None),
                                within(Case.created_at)))
        outcome = or_(within(Case.outcome_at),
                      and_(Case.outcome_at.is_(None), Case.status == CLOSED, within(Case.actioned_at)))
        stages = {"reported": within(Case.created_at), "referred": within(Case.referred_at),
                  "acknowledged": acknowledged, "actioned": within(Case.actioned_at),
                  "outcome": outcome}
        groups = (*kind_columns, Case.region, Case.perpetrator, Case.outcome_code)
        # One pass over the table per month: each stage is a conditional count.
        query = (select(*groups, *(func.sum(case((reached, 1), else_=0)) for reached in stages.values()))
                 .where(counted, or_(*stages.values())).group_by(*groups))
        for row in session.execute(query):
            violation_key, category, urgency, region, perpetrator, code = row[:6]
            violation = kind(violation_key, category, urgency)
            for stage, n in zip(stages, row[6:]):
                if not n:
                    continue
                if stage == "reported":
                    inc[(violation, region or UNKNOWN_REGION, perpetrator or NOT_RECORDED)] += n
                fun[(stage, violation, (code or NOT_RECORDED) if stage == "outcome" else NO_OUTCOME)] += n
        minutes: list[int] = []
        for value, n in session.execute(  # a histogram: one row per distinct minute count
                select(Case.ack_minutes, func.count()).where(
                    counted, acknowledged, Case.ack_minutes.is_not(None)).group_by(Case.ack_minutes)):
            minutes.extend([int(value)] * n)
        # Cases acknowledged before ack_minutes existed: work it out from the two times.
        for created, acked in session.execute(select(Case.created_at, Case.acknowledged_at).where(
                counted, within(Case.acknowledged_at), Case.ack_minutes.is_(None))):
            minutes.append(minutes_between(created, acked))
        ack[month] = minutes
    for month, category, violation, region, perpetrator, n in session.execute(
            select(AnonymousReport.month, AnonymousReport.category, AnonymousReport.violation,
                   AnonymousReport.region, AnonymousReport.perpetrator, func.count())
            .where(AnonymousReport.jurisdiction == jurisdiction, AnonymousReport.is_test.is_(False),
                   AnonymousReport.month >= months[0], AnonymousReport.month <= months[-1])
            .group_by(AnonymousReport.month, AnonymousReport.category, AnonymousReport.violation,
                      AnonymousReport.region, AnonymousReport.perpetrator)):
        violation = taxonomy.known(violation) if violation else taxonomy.violation_for(category, None)
        incidents.setdefault(month, Counter())[
            (violation, region or UNKNOWN_REGION, perpetrator or NOT_RECORDED)] += n
    return incidents, funnel, ack


def _ack_times(minutes: list[int], funnel: Publication) -> AckTimes:
    shown = funnel.as_dict("stage").get(("acknowledged",))
    if shown is None or shown < SMALLEST_SHOWN or not minutes:
        return AckTimes(shown, None, None)
    ordered = sorted(minutes)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return AckTimes(shown, float(statistics.median(ordered)), float(p90))
