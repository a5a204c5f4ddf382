"""Console benchmark: how long the inbox page takes with 10,000 cases in the database.

    .venv/bin/python bench/console.py [--cases 10000] [--requests 300] [--postgres] [--write]

The worst case for the coordinator: every one of the cases is open and belongs to their
organisation, so the inbox query sorts all of them (urgency, deadline) to show the first
page of 50. A responder holds 1 in 20 of them. Each request is the whole page as a signed-in
browser gets it through the Flask app: session check, the scoped query, the template,
and the audit row written and committed. Target: p99 < 100 ms.

SQLite file by default; --postgres uses a throw-away database on HAKI_TEST_POSTGRES_URL's
server. Writes docs/benchmarks.md (section "Console") with --write.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import pyotp
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.escalation.models import Case, CaseEvent, Responder
from bot.services import build_services
from bot.settings import load_settings
from bot.storage import migrate
from bot.storage.base import utcnow
from console.auth import create_account, invite
from webhooks.app import build_app

FERNET = "q2xGQ1Q3d3J0b0p3cm1XZ1ZQbW1Ec2F3d0c4eFZ0bVk="
SECRET = "bench-" + "s" * 40
START, END = "<!-- console:start -->", "<!-- console:end -->"
ORG = "Sisonke"
RESPONDERS = 20
PASSWORD = "benchmark password"
REGIONS = ["gauteng", "western_cape", "kwazulu_natal", "eastern_cape", "limpopo"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fill(services: Any, cases: int) -> list[int]:
    """Responders, then ``cases`` open cases spread over them, in bulk."""
    now = utcnow()
    with services.db.session() as session:
        ids = []
        for number in range(RESPONDERS):
            responder = Responder(name=f"Responder {number}", organisation=ORG, kind="paralegal",
                                  regions=["all"], channel="telegram", address_encrypted="x",
                                  pseudonym=f"bench{number:059d}", on_duty=True, active=True)
            session.add(responder)
            session.flush()
            ids.append(responder.id)
    rng = random.Random(7)
    rows = []
    for number in range(cases):
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        status = rng.choice(["assigned", "assigned", "acknowledged", "unassigned"])
        responder_id = None if status == "unassigned" else ids[number % RESPONDERS]
        deadline = created + timedelta(minutes=10) if status == "assigned" else None
        rows.append({"reference": f"B{number:07d}",
                     "pseudonym": f"{number:064d}", "channel": "sms", "language": "en",
                     "jurisdiction": "za", "category": "arrested_now",
                     "region": rng.choice(REGIONS), "urgency": rng.choice(["urgent", "normal"]),
                     "responder_kind": "paralegal", "status": status, "callback_allowed": False,
                     "summary_encrypted": None, "contact_encrypted": None, "responder_id": responder_id,
                     "tried_responders": [], "route_count": 1, "ack_deadline": deadline,
                     "created_at": created, "organisation": ORG})
    with services.db.session() as session:
        session.execute(insert(Case), rows)
        case_ids = [row[0] for row in session.execute(text("SELECT id, responder_id FROM cases")).all()
                    if row[1] is not None]
        responders = dict(session.execute(text("SELECT id, responder_id FROM cases")).all())
        session.execute(insert(CaseEvent), [
            {"case_id": cid, "at": now, "event": "assigned", "actor": "system",
             "responder_id": responders[cid], "detail": "route 1"} for cid in case_ids])
    return ids


def signed_in(app: Any, services: Any, **role: Any) -> Any:
    with services.db.session() as session:
        invitation = invite(session, now=utcnow(), hours=1, **role)
        from bot.escalation.models import ConsoleInvite
        from console.auth import sha256

        row = session.query(ConsoleInvite).filter_by(token_hash=sha256(invitation.token)).one()
        account, secret, _ = create_account(session, services.cipher, row, username=f"u{uuid.uuid4().hex[:8]}",
                                            password=PASSWORD, now=utcnow())
        account.totp_confirmed = True
        username = account.username
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"

    def token(path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
        assert found
        return found.group(1)

    client.post("/console/login", data={"csrf_token": token("/console/login"), "username": username,
                                        "password": PASSWORD})
    answer = client.post("/console/login/totp", data={"csrf_token": token("/console/login/totp"),
                                                      "code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def measure(client: Any, requests: int) -> list[float]:
    for _ in range(10):  # warm the template cache and the connection pool
        client.get("/console/")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get("/console/")
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    return timings


def run(database_url: str, cases: int, requests: int) -> dict[str, list[float]]:
    migrate.upgrade(database_url)
    settings = load_settings(secret_key=SECRET, encryption_keys=FERNET, environment="test",
                             database_url=database_url, console=True)
    services = build_services(settings)
    try:
        responder_ids = fill(services, cases)
        app = build_app(services=services)
        coordinator = signed_in(app, services, role="coordinator", organisation=ORG)
        responder = signed_in(app, services, role="responder", responder_id=responder_ids[0])
        return {"coordinator": measure(coordinator, requests), "responder": measure(responder, requests)}
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    results: list[tuple[str, str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(("SQLite", "sqlite", run(f"sqlite:///{folder}/bench.db", args.cases, args.requests)))
    if args.postgres:
        server = os.environ.get("HAKI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        name = f"haki_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            results.append(("PostgreSQL", "postgres", run(url, args.cases, args.requests)))
        finally:
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :n"), {"n": name})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

    lines = ["| database | inbox of | cases in the inbox's scope | requests | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---|---|---|---|---|---|---|"]
    for label, _, timings in results:
        for who, values in timings.items():
            scope = args.cases if who == "coordinator" else args.cases * 3 // 4 // RESPONDERS
            lines.append(f"| {label} | {who} | ~{scope} | {len(values)} | "
                         f"{statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | "
                         f"{percentile(values, 0.99):.1f} | {max(values):.1f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        cpus = os.cpu_count()
        section = (f"{START}\n`.venv/bin/python bench/console.py{' --postgres' if args.postgres else ''} --write`. "
                   f"Machine: {cpus} CPU, shared with other work; {time.strftime('%Y-%m-%d')}. "
                   f"{args.cases} cases in the database, all open and all in the coordinator's "
                   "organisation (the worst case for the "
                   "coordinator; the query reads index ranges in inbox order, so it never sorts "
                   "them all); the responder holds 1 in 20. Each request is the whole page "
                   "through the Flask app: session check, scoped query, template, and the audit row "
                   "committed (on SQLite that fsync is the largest part). Target: p99 < 100 ms.\n\n" + table + f"\n{END}")
        path = PROJECT / "docs" / "benchmarks.md"
        body = path.read_text(encoding="utf-8")
        if START in body:
            body = re.sub(re.escape(START) + ".*?" + re.escape(END), section, body, flags=re.DOTALL)
        else:
            body = body.rstrip() + "\n\n## Console (bench/console.py)\n\n" + section + "\n"
        path.write_text(body, encoding="utf-8")
        print(f"written to {path}")


if __name__ == "__main__":
    main()
