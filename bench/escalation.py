"""Escalation benchmark: the person's YES -> the responder's notification, and re-route
timing against the sweep interval.

    .venv/bin/python bench/escalation.py [--cases 200] [--celery] [--write]

* in-process: the embedded default (worker threads in this process), SQLite file;
* celery (--celery): our own redis-server, a real `celery worker` subprocess, PostgreSQL
  (HAKI_TEST_POSTGRES_URL server, a throw-away database);
* re-route: cases whose deadline falls at random moments, an in-process sweeper every
  S seconds; we measure how long after its deadline each case was re-routed (target:
  within one sweep interval).

The provider is the stand-in Telegram server from tests/standins (real HTTP on
127.0.0.1): latency is "our code + one local HTTP round trip", not Telegram's network.
Writes the results into docs/benchmarks.md (section "Escalation") with --write.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.conversation import Conversation  # noqa: E402
from bot.escalation import escalation_of  # noqa: E402
from bot.escalation.models import Case, CaseEvent  # noqa: E402
from bot.escalation.regions import all_region_ids  # noqa: E402
from bot.escalation.responders import add_responder  # noqa: E402
from bot.messages import Channel, InboundKind, InboundMessage  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage import migrate  # noqa: E402
from bot.storage.base import utcnow  # noqa: E402
from tests.standins.telegram import TelegramStandin  # noqa: E402

FERNET = "q2xGQ1Q3d3J0b0p3cm1XZ1ZQbW1Ec2F3d0c4eFZ0bVk="
SECRET = "bench-" + "s" * 40
START, END = "<!-- escalation:start -->", "<!-- escalation:end -->"
PLACEHOLDER = "(section written by bench/escalation.py)"
REFERENCE = re.compile(r"\b([2-9A-HJ-NP-Z]{2}-[2-9A-HJ-NP-Z]{3})\b")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def build(database_url: str, telegram: TelegramStandin, nlu: Any = None, **overrides: Any) -> Any:
    settings = load_settings(secret_key=SECRET, encryption_keys=FERNET, environment="test",
                             database_url=database_url, telegram_api_url=telegram.url,
                             telegram_token=telegram.token, **overrides)
    return build_services(settings, nlu=nlu)


def add_paralegals(services: Any, count: int) -> None:
    with services.db.session() as session:
        for number in range(count):
            add_responder(session, services.cipher, SECRET, name=f"P{number}", organisation="Bench",
                          kind="paralegal", regions=["gauteng"], channel="telegram",
                          address=str(700000 + number), on_duty=True,
                          known_regions=all_region_ids(services.settings.content_dir))


def say(conversation: Conversation, address: str, text: str = "", **fields: Any) -> list[Any]:
    return conversation.handle(InboundMessage(channel=Channel.TELEGRAM, address=address, text=text,
                                              external_id=secrets.token_hex(8), **fields))


def yes_to_notification(services: Any, telegram: TelegramStandin, cases: int) -> list[float]:
    """Seconds from handing the YES to the bot until the stand-in received the notice."""
    conversation = Conversation(services)
    latencies: list[float] = []
    for number in range(cases):
        address = str(100000 + number)
        press = {"kind": InboundKind.BUTTON}
        say(conversation, address, "police are beating me now help")
        say(conversation, address, payload="esc:kind:paralegal", **press)
        say(conversation, address, payload="esc:region:gauteng", **press)
        started = time.monotonic()
        replies = say(conversation, address, payload="answer:yes", **press)
        match = REFERENCE.search(" ".join(r.text for r in replies))
        assert match, [r.text for r in replies]
        reference = match.group(1)

        def arrived(requests: list[Any]) -> bool:
            return any(reference in str(r.params.get("text", "")) for r in requests)

        requests = telegram.wait_for(arrived, timeout=30)
        at = next(r.at for r in requests if reference in str(r.params.get("text", "")))
        latencies.append(at - started)
        time.sleep(random.uniform(0, 0.02))  # people do not arrive in lock-step
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    return {"n": len(latencies), "p50": percentile(latencies, 50) * 1000,
            "p95": percentile(latencies, 95) * 1000, "p99": percentile(latencies, 99) * 1000,
            "max": max(latencies) * 1000, "mean": statistics.mean(latencies) * 1000}


# --- modes ---------------------------------------------------------------------------------
def run_inprocess(cases: int, nlu: Any) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, TelegramStandin() as telegram:
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        services = build(url, telegram, nlu=nlu)
        add_paralegals(services, 3)
        try:
            return summary(yes_to_notification(services, telegram, cases))
        finally:
            services.close()


def run_celery(cases: int, nlu: Any) -> dict[str, float]:
    server = os.environ.get("HAKI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"haki_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    port = _free_port()
    redis_server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                     "--appendonly", "no"], stdout=subprocess.DEVNULL)
    worker = None
    try:
        with TelegramStandin() as telegram:
            redis_url = f"redis://127.0.0.1:{port}/13"
            services = build(url, telegram, nlu=nlu, queue="celery", redis_url=redis_url)
            add_paralegals(services, 3)
            env = {k: v for k, v in os.environ.items() if not k.startswith("HAKI_")}
            env.update({"HAKI_SECRET_KEY": SECRET, "HAKI_ENCRYPTION_KEYS": FERNET,
                        "HAKI_DATABASE_URL": url, "HAKI_REDIS_URL": redis_url, "HAKI_QUEUE": "celery",
                        "HAKI_TELEGRAM_API_URL": telegram.url, "HAKI_TELEGRAM_TOKEN": telegram.token,
                        "HAKI_ENVIRONMENT": "test", "HAKI_LOG_LEVEL": "WARNING"})
            worker = subprocess.Popen(
                [str(Path(sys.executable).with_name("celery")), "-A", "bot.escalation.tasks", "worker",
                 "--pool=threads", "--concurrency=4", "--without-gossip", "--without-mingle",
                 "--loglevel=WARNING"], cwd=PROJECT, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _warm_up(services, telegram)
            try:
                return summary(yes_to_notification(services, telegram, cases))
            finally:
                services.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        redis_server.terminate()
        redis_server.wait(10)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :n"), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _warm_up(services: Any, telegram: TelegramStandin) -> None:
    """One case before timing, so the worker has started and connected."""
    yes_to_notification(services, telegram, 1)
    telegram.clear()


def run_reroute(cases: int, sweep_seconds: int, nlu: Any) -> dict[str, float]:
    """Deadlines at random moments; how long after each did the sweeper re-route it?"""
    with tempfile.TemporaryDirectory() as folder, TelegramStandin() as telegram:
        url = f"sqlite:///{folder}/reroute.db"
        migrate.upgrade(url)
        services = build(url, telegram, nlu=nlu, sweep_seconds=sweep_seconds)
        add_paralegals(services, 2)
        conversation = Conversation(services)
        references = []
        for number in range(cases):
            address = str(200000 + number)
            say(conversation, address, "police are beating me now help")
            say(conversation, address, payload="esc:kind:paralegal", kind=InboundKind.BUTTON)
            say(conversation, address, payload="esc:region:gauteng", kind=InboundKind.BUTTON)
            replies = say(conversation, address, payload="answer:yes", kind=InboundKind.BUTTON)
            references.append(REFERENCE.search(" ".join(r.text for r in replies)).group(1))  # type: ignore[union-attr]
        # Pull every deadline into the next few sweep intervals, at random moments.
        now = utcnow()
        deadlines = {}
        with services.db.session() as session:
            for reference in references:
                deadline = now + timedelta(seconds=random.uniform(1, 3 * sweep_seconds))
                deadlines[reference] = deadline
                session.execute(update(Case).where(Case.reference == reference).values(ack_deadline=deadline))
        queue = escalation_of(services).queue
        queue.start_sweeper()  # type: ignore[attr-defined]
        time.sleep(3 * sweep_seconds + sweep_seconds + 1)
        lags = []
        with services.db.session() as session:
            for reference, deadline in deadlines.items():
                case = session.scalar(select(Case).where(Case.reference == reference))
                at = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == case.id,  # type: ignore[union-attr]
                                                               CaseEvent.event == "ack_timeout"))
                assert at is not None, f"{reference} was not re-routed"
                lags.append((at - deadline).total_seconds())
        services.close()
        return {"n": len(lags), "sweep": sweep_seconds, "max": max(lags),
                "p50": percentile(lags, 50), "within": sum(lag <= sweep_seconds for lag in lags)}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- report ----------------------------------------------------------------------------------
def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpus} CPU ({model})" if model else f"{cpus} CPU"


def render(results: dict[str, dict[str, float]]) -> str:
    lines = ["`.venv/bin/python bench/escalation.py --celery --write` (`make bench-escalation`). "
             f"Machine: {machine()}; {time.strftime('%Y-%m-%d')}. Provider: the stand-in "
             "Telegram server over local HTTP, so the figures are our own work plus one local "
             "round trip. Target: YES → responder notification p99 < 5 s with a worker running; "
             "a re-route within one sweep interval of its deadline. Cases arrive back to back for "
             "three responders, so each chat gets more than Telegram's ~1 message/s and the "
             "sender's per-chat pacing (webhooks/pacing.py) adds most of the wait: a deliberate "
             "worst case.", "",
             "| path | cases | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    for name, label in (("inprocess", "in-process worker, SQLite"),
                        ("celery", "Celery worker (threads ×4), Redis, PostgreSQL")):
        if name in results:
            r = results[name]
            lines.append(f"| {label} | {int(r['n'])} | {r['p50']:.0f} | {r['p95']:.0f} | "
                         f"{r['p99']:.0f} | {r['max']:.0f} |")
    if "reroute" in results:
        r = results["reroute"]
        lines += ["", f"Re-route: {int(r['n'])} cases with deadlines at random moments, sweep every "
                      f"{int(r['sweep'])} s: re-routed a median {r['p50']:.2f} s and at most "
                      f"{r['max']:.2f} s after the deadline; {int(r['within'])}/{int(r['n'])} within "
                      f"one sweep interval."]
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    """Replace our part of docs/benchmarks.md (between the escalation markers) only."""
    path = PROJECT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        current = before + block + rest.split(END, 1)[1]
    elif PLACEHOLDER in current:
        current = current.replace(PLACEHOLDER, block, 1)
    else:
        current = current.rstrip("\n") + f"\n\n## Escalation (bench/escalation.py)\n\n{block}\n"
    path.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--celery", action="store_true", help="also measure the Celery path")
    parser.add_argument("--reroute-cases", type=int, default=20)
    parser.add_argument("--sweep-seconds", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    from nlu import build_nlu

    nlu = build_nlu(load_settings(secret_key=SECRET, database_url="sqlite://"))
    results: dict[str, dict[str, float]] = {}
    results["inprocess"] = run_inprocess(args.cases, nlu)
    print("in-process", {k: round(v, 1) for k, v in results["inprocess"].items()}, flush=True)
    if args.celery:
        results["celery"] = run_celery(args.cases, nlu)
        print("celery", {k: round(v, 1) for k, v in results["celery"].items()}, flush=True)
    results["reroute"] = run_reroute(args.reroute_cases, args.sweep_seconds, nlu)
    print("re-route", {k: round(v, 2) for k, v in results["reroute"].items()}, flush=True)
    section = render(results)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
