"""Oversight figures benchmark: the monthly report for 100,000 cases (target < 2 s).

    .venv/bin/python bench/figures.py [--cases 100000] [--postgres] [--write]

Every run is cold: the cache of computed months (bot/figures/disclosure.py) is cleared
first, so these are the times of a month nobody asked for before. Fills a throw-away database with ``--cases`` consented cases (random violation, region,
acknowledgement and closing times) plus anonymous records, then times ``build_report``
(reading, counting, disclosure control for every table) for:

* one month holding all the cases (the target: 100,000 cases in one monthly report);
* the same number of cases spread over twelve months: one month, and the whole year;
* a sparse month (60 cases): few people, many small cells, the most suppression work.

SQLite always; PostgreSQL too with --postgres (HAKI_TEST_POSTGRES_URL server). Median of
five runs after one warm-up. Writes the "Oversight figures" section of docs/benchmarks.md
with --write.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.escalation.models import AnonymousReport, Case
from bot.figures.disclosure import clear_cache
from bot.figures.report import build_report
from bot.figures.taxonomy import load
from bot.storage import migrate
from bot.storage.db import Database

CONTENT = PROJECT / "content"
NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)
CATEGORIES = ("urgent_arrested_now", "urgent_violence", "police_bribe", "needles_confiscated",
              "rights_search", "urgent_medical_custody", "talk_to_person", "rights_48_hours")
REGIONS = ("eastern_cape", "free_state", "gauteng", "kwazulu_natal", "limpopo", "mpumalanga",
           "north_west", "northern_cape", "western_cape", "unknown")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fill(url: str, months: list[str], cases: int, seed: int) -> None:
    rng = random.Random(seed)
    taxonomy = load(CONTENT, "za")
    engine = create_engine(url)
    rows = []
    for i in range(cases):
        month = rng.choice(months)
        created = datetime(int(month[:4]), int(month[5:]), 1, tzinfo=timezone.utc) + timedelta(
            minutes=rng.randrange(27 * 24 * 60))
        category = rng.choice(CATEGORIES)
        urgency = "urgent" if category.startswith("urgent") else "normal"
        acked = created + timedelta(minutes=rng.randint(2, 240)) if rng.random() < 0.85 else None
        closed = created + timedelta(hours=rng.randint(1, 72)) if acked and rng.random() < 0.6 else None
        rows.append({
            "reference": f"{i:08X}"[-8:], "pseudonym": None, "channel": "sms", "language": "en",
            "jurisdiction": "za", "category": category, "region": rng.choice(REGIONS),
            "urgency": urgency, "responder_kind": "paralegal",
            "status": "closed" if closed else ("acknowledged" if acked else "assigned"),
            "callback_allowed": False, "tried_responders": [], "route_count": 1,
            "created_at": created, "assigned_at": created, "referred_at": created,
            "acknowledged_at": acked, "closed_at": closed, "actioned_at": closed,
            "ack_minutes": int((acked - created).total_seconds() // 60) if acked else None,
            "violation": taxonomy.violation_for(category, urgency),
            "perpetrator": rng.choice(("saps", "metro_police", "other", "not_recorded")),
            "is_test": rng.random() < 0.01,
            "outcome_code": rng.choice(("resolved", "referred_ipid", "no_action")) if closed else None,
            "outcome_at": closed,
        })
    anonymous = [{"jurisdiction": "za", "category": rng.choice(CATEGORIES),
                  "region": rng.choice(REGIONS), "month": rng.choice(months)}
                 for _ in range(cases // 10)]
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(Case.__table__), rows[start:start + 5000])
        if anonymous:
            connection.execute(insert(AnonymousReport.__table__), anonymous)
    engine.dispose()


def timed(url: str, first: str, last: str, runs: int = 5) -> float:
    database = Database(url)
    try:
        samples = []
        for attempt in range(runs + 1):
            clear_cache()  # cold: the disclosure control runs every time
            with database.session() as session:
                started = time.perf_counter()
                build_report(session, CONTENT, "za", first, last, now=NOW)
                elapsed = time.perf_counter() - started
            if attempt:  # the first run warms caches and imports
                samples.append(elapsed)
        return statistics.median(samples)
    finally:
        database.dispose()


def scenario(url: str, label: str, cases: int) -> list[tuple[str, str, int, float]]:
    """Fill three databases (one month, a year, a sparse month) under ``url`` factory."""
    results = []
    year = [f"2026-{m:02d}" for m in range(1, 13)]
    with new_database(url) as one_month:
        fill(one_month, ["2026-03"], cases, seed=1)
        results.append((label, f"{cases:,} cases in one month: that month", cases,
                        timed(one_month, "2026-03", "2026-03")))
    with new_database(url) as spread:
        fill(spread, year, cases, seed=2)
        results.append((label, f"{cases:,} cases over 12 months: one month", cases // 12,
                        timed(spread, "2026-06", "2026-06")))
        results.append((label, f"{cases:,} cases over 12 months: the whole year", cases,
                        timed(spread, "2026-01", "2026-12", runs=3)))
    with new_database(url) as sparse:
        fill(sparse, ["2026-03"], 60, seed=3)
        results.append((label, "60 cases in one month (sparse: most suppression work)", 60,
                        timed(sparse, "2026-03", "2026-03")))
    return results


class new_database:
    """A migrated throw-away database: a SQLite file, or a PostgreSQL database."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.url = ""
        self.cleanup = lambda: None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            folder = tempfile.TemporaryDirectory()
            self.url = f"sqlite:///{folder.name}/figures.db"
            self.cleanup = folder.cleanup
        else:
            server = os.environ.get("HAKI_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
            name = f"haki_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.url = make_url(server).set(database=name).render_as_string(hide_password=False)

            def drop() -> None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

            self.cleanup = drop
        migrate.upgrade(self.url)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def write(results: list[tuple[str, str, int, float]], cases: int) -> None:
    cpus = os.cpu_count()
    lines = [
        (f"`.venv/bin/python bench/figures.py --cases {cases} --postgres --write`. Machine: "
        f"{cpus} CPU ({platform.machine()}), shared with other work; {datetime.now(timezone.utc):%Y-%m-%d}. "
        "Time of `build_report` (read the month's rows, count, run disclosure control on every "
        "table, time to ACK), median of five runs after a warm-up (three for the year). "
        "Target: the monthly report for 100,000 cases under 2 s."),
        "",
        "| database | what | cases in the report | seconds |",
        "|---|---|---|---|",
        *(f"| {db} | {what} | {n:,} | {seconds:.2f} |" for db, what, n, seconds in results),
    ]
    path = PROJECT / "docs" / "benchmarks.md"
    body = path.read_text(encoding="utf-8")
    section = "<!-- figures:start -->\n" + "\n".join(lines) + "\n<!-- figures:end -->"
    if "<!-- figures:start -->" in body:
        body = re.sub(r"<!-- figures:start -->.*?<!-- figures:end -->", section, body, flags=re.DOTALL)
    else:
        body = body.rstrip("\n") + "\n\n## Oversight figures (bench/figures.py)\n\n" + section + "\n"
    path.write_text(body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    results = scenario("sqlite", "SQLite", options.cases)
    if options.postgres:
        results += scenario("postgres", "PostgreSQL", options.cases)
    for db, what, n, seconds in results:
        print(f"{db:<10} {what:<55} {n:>7} cases  {seconds:6.2f} s")
    if options.write:
        write(results, options.cases)


if __name__ == "__main__":
    main()
