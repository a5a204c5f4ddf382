"""Webhook throughput and latency: Haki under gunicorn versus Rasa's own REST channel server.

    .venv/bin/python bench/webhooks.py                       # SQLite + PostgreSQL + Rasa
    .venv/bin/python bench/webhooks.py --requests 400 --databases sqlite --no-rasa
    .venv/bin/python bench/webhooks.py --write-docs          # also update docs/benchmarks.md

For each database the script creates a fresh one (SQLite file, or a throw-away PostgreSQL
database on HAKI_BENCH_POSTGRES_URL), migrates it, starts gunicorn (2 workers, the
production config docker/gunicorn.conf.py) on a free port with the embedded NLU, and a
stand-in Telegram Bot API for replies that go through the API. It then sends signed
Twilio SMS webhooks and secret-token Telegram updates from a thread pool: many people, each
writing several realistic messages, as providers deliver them. Each request is timed from
send to full response. Reported: messages/s over the whole run, p50 and p99 per channel.

The peer is Rasa's own channel server on the same machine: `rasa run --enable-api` with the
model trained from nlu/ (var/rasa/haki-nlu.tar.gz, `make rasa`), driven through its REST
channel (POST /webhooks/rest/webhook) with the same texts and concurrency.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

PUBLIC_URL = "https://bench.haki.example"
TWILIO_TOKEN = secrets.token_hex(16)
TELEGRAM_SECRET = "bench_" + secrets.token_hex(8)
SMS_PATH = "/webhooks/twilio/sms"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- webhooks:start -->"
SECTION_END = "<!-- webhooks:end -->"

#: What people write: questions, menu numbers, command words, greetings.
TEXTS = [
    "What are my rights if the police arrest me?",
    "Can the police search my bag without a warrant?",
    "police took my condoms as evidence is that legal",
    "menu", "1", "2", "hi", "thanks",
    "Amaphoyisa angibophile ngenzeni?",
    "Die polisie het my gearresteer, wat nou?",
    "can i get bail",
    "where can I get legal help",
    "is sex work illegal in south africa",
    "They want a bribe to let me go",
    "how do I report a police officer",
    "can police take my needles",
]


@dataclass
class Result:
    label: str
    channel: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    #: CPU seconds the server's processes (gunicorn master and workers, or `rasa run`)
    #: and this load generator used during the run: throughput per core, which is what
    #: decides how far a server can go on this machine.
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def cpu_per_message(self, seconds: float) -> float:
        return 1000 * seconds / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and all its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(used.get(pid, 0.0) for pid in tree)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- databases -------------------------------------------------------------------------
@contextmanager
def database(kind: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bot.storage import migrate

    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="haki-bench-"))
        url = f"sqlite:///{folder / 'haki.db'}"
        migrate.upgrade(url)
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = os.environ.get("HAKI_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    name = f"haki_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# --- Haki under gunicorn ----------------------------------------------------------------
def haki_environment(database_url: str) -> dict[str, str]:
    """The settings of a Haki under benchmark: signed webhooks, the embedded NLU, no
    sandbox, no Redis, the rate limit out of the way, warnings-only logs."""
    return {
        "HAKI_SECRET_KEY": secrets.token_urlsafe(48),
        "HAKI_ENCRYPTION_KEYS": "q2xGQ1Q3d3J0b0p3cm1XZ1ZQbW1Ec2F3d0c4eFZ0bVk=",
        "HAKI_ENVIRONMENT": "development",
        "HAKI_DATABASE_URL": database_url,
        "HAKI_PUBLIC_URL": PUBLIC_URL,
        "HAKI_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "HAKI_TWILIO_ACCOUNT_SID": "",
        "HAKI_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "HAKI_NLU_BACKEND": "embedded",
        "HAKI_SANDBOX": "0",
        "HAKI_REDIS_URL": "",
        "HAKI_RATE_LIMIT_MESSAGES": "1000",
        "HAKI_LOG_LEVEL": "WARNING",
    }


@contextmanager
def haki_server(database_url: str, workers: int, telegram_api_url: str,
                telegram_token: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = dict(os.environ)
    env.update(haki_environment(database_url))
    env.update({
        "HAKI_TELEGRAM_TOKEN": telegram_token,
        "HAKI_TELEGRAM_API_URL": telegram_api_url,
        "HAKI_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "0",
    })
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # The server's log goes to a file (a pipe nobody reads would fill up and block it);
    # it is shown when something went wrong.
    log_file = tempfile.NamedTemporaryFile(prefix="haki-bench-gunicorn-", suffix=".log",
                                           delete=False)
    process = subprocess.Popen([gunicorn, "-c", str(ROOT / "docker" / "gunicorn.conf.py"),
                                "webhooks.wsgi:app"], cwd=ROOT, env=env,
                               stdout=log_file, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/webhooks/telegram", 120, process)
        yield base, process.pid
    finally:
        stop(process)
        log_file.close()
        log = Path(log_file.name)
        problems = [line for line in log.read_text(errors="replace").splitlines()
                    if " ERROR " in line or "Traceback" in line or "[CRITICAL]" in line]
        if problems:
            print(f"gunicorn reported {len(problems)} problems, e.g.: {problems[0][:200]}",
                  file=sys.stderr)
        log.unlink(missing_ok=True)


def signed_sms_form(person: int, serial: int, text: str) -> tuple[dict[str, str], str]:
    """A Twilio SMS webhook form as Twilio sends it, and its X-Twilio-Signature."""
    form = {
        "ToCountry": "ZA", "ToState": "", "SmsMessageSid": f"SM{serial:032x}", "NumMedia": "0",
        "ToCity": "", "FromZip": "", "SmsSid": f"SM{serial:032x}", "FromState": "",
        "SmsStatus": "received", "FromCity": "", "Body": text, "FromCountry": "ZA",
        "To": "+27820009999", "ToZip": "", "NumSegments": "1", "ReferralNumMedia": "0",
        "MessageSid": f"SM{serial:032x}", "AccountSid": "AC" + "0" * 32,
        "From": f"+2782{person:07d}", "ApiVersion": "2010-04-01",
    }
    return form, RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, form)


def sms_request(base: str, person: int, serial: int, text: str) -> Callable[[requests.Session], requests.Response]:
    form, signature = signed_sms_form(person, serial, text)
    body = urlencode(form)
    headers = {"X-Twilio-Signature": signature,
               "Content-Type": "application/x-www-form-urlencoded"}
    return lambda session: session.post(base + SMS_PATH, data=body, headers=headers, timeout=30)


def telegram_request(base: str, person: int, serial: int, text: str) -> Callable[[requests.Session], requests.Response]:
    chat = 5_000_000 + person
    update = {"update_id": 900_000_000 + serial, "message": {
        "message_id": serial, "date": int(time.time()), "text": text,
        "from": {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "en"},
        "chat": {"id": chat, "first_name": "Bench", "type": "private"}}}
    body = json.dumps(update)
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
               "Content-Type": "application/json"}
    return lambda session: session.post(base + "/webhooks/telegram", data=body,
                                        headers=headers, timeout=30)


def rasa_request(base: str, person: int, serial: int, text: str) -> Callable[[requests.Session], requests.Response]:
    body = json.dumps({"sender": f"bench-{person}", "message": text})
    headers = {"Content-Type": "application/json"}
    return lambda session: session.post(base + "/webhooks/rest/webhook", data=body,
                                        headers=headers, timeout=60)


def drive(label: str, channel: str, make: Callable[..., Callable[[requests.Session], requests.Response]],
          base: str, count: int, concurrency: int, serial_start: int,
          server_pid: int | None = None) -> Result:
    """``count`` requests from ``count // 4`` people (four messages each), timed one by one."""
    people = max(1, count // 4)
    texts = itertools.cycle(TEXTS)
    jobs = [make(base, serial % people, serial_start + serial, next(texts))
            for serial in range(count)]
    local = threading.local()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def run(job: Callable[[requests.Session], requests.Response]) -> None:
        nonlocal errors
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        try:
            ok = job(session).status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            errors += 0 if ok else 1

    server_before = process_tree_cpu(server_pid) if server_pid else 0.0
    client_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, jobs))
    seconds = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    server_cpu = process_tree_cpu(server_pid) - server_before if server_pid else 0.0
    return Result(label, channel, count, seconds, latencies, errors, server_cpu, client_cpu)


def bench_haki(kind: str, count: int, concurrency: int, workers: int) -> list[Result]:
    from tests.standins.telegram import TelegramStandin

    api = TelegramStandin()
    api.start()
    try:
        with database(kind) as url, haki_server(url, workers, api.url, api.token) as (base, pid):
            # Warm-up: every worker loads the model and opens its pool before timing.
            drive("warm-up", "sms", sms_request, base, 40, concurrency, 10_000_000)
            label = f"Haki, gunicorn {workers} workers, {kind}"
            return [drive(label, "sms", sms_request, base, count, concurrency, 0, pid),
                    drive(label, "telegram", telegram_request, base, count, concurrency, 0, pid)]
    finally:
        api.stop()


# --- Rasa -------------------------------------------------------------------------------
def rasa_model() -> Path | None:
    from bot.settings import PROJECT_ROOT
    from nlu import rasa_project

    model = rasa_project.model_dir(PROJECT_ROOT / "var") / f"{rasa_project.MODEL_NAME}.tar.gz"
    return model if model.exists() and rasa_project.available() else None


def bench_rasa(count: int, concurrency: int) -> Result | str:
    from nlu import rasa_project

    model = rasa_model()
    if model is None:
        return ("no Rasa model: run `make rasa` (creates .venv-rasa with python3.10 and "
                "trains var/rasa/haki-nlu.tar.gz), then run this benchmark again")
    port = free_port()
    process = subprocess.Popen(rasa_project.serve_command(model, port), cwd=ROOT,
                               env=rasa_project.env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/", 300, process)
        probe = requests.post(base + "/webhooks/rest/webhook",
                              json={"sender": "probe", "message": "hi"}, timeout=60)
        if probe.status_code != 200:
            return f"Rasa's REST channel answered HTTP {probe.status_code} to a probe"
        drive("warm-up", "rest", rasa_request, base, 20, concurrency, 0)
        return drive("Rasa 3.6 `rasa run` REST channel (NLU model)", "rest", rasa_request,
                     base, count, concurrency, 0, process.pid)
    finally:
        stop(process)


# --- report ---------------------------------------------------------------------------
def table(results: list[Result]) -> str:
    lines = ["| server | channel | requests | errors | messages/s | p50 ms | p99 ms "
             "| server CPU ms/msg | load generator CPU ms/msg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.label} | {r.channel} | {r.requests} | {r.errors} | {r.rate:.0f} | "
                     f"{r.percentile(50):.1f} | {r.percentile(99):.1f} | "
                     f"{r.cpu_per_message(r.server_cpu):.2f} | "
                     f"{r.cpu_per_message(r.client_cpu):.2f} |")
    return "\n".join(lines)


def machine() -> str:
    import platform

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    # The load average says whether anything else competed for the CPUs during the run.
    return (f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), Python "
            f"{platform.python_version()}, load average before the run {load}")


def write_docs(text: str) -> None:
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    block = f"{SECTION_START}\n{text.strip()}\n{SECTION_END}"
    if SECTION_START in current and SECTION_END in current:
        head, rest = current.split(SECTION_START, 1)
        _, tail = rest.split(SECTION_END, 1)
        current = head + block + tail
    else:
        current = current.rstrip() + "\n\n## Webhooks (bench/webhooks.py)\n\n" + block + "\n"
    DOCS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per channel and server")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--no-rasa", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    host = machine()
    results: list[Result] = []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        print(f"benchmarking Haki on {kind} ...", file=sys.stderr)
        results += bench_haki(kind, args.requests, args.concurrency, args.workers)
    rasa_note = ""
    if not args.no_rasa:
        print("benchmarking Rasa's REST channel server ...", file=sys.stderr)
        rasa = bench_rasa(args.requests, args.concurrency)
        if isinstance(rasa, Result):
            results.append(rasa)
            haki_best = max((r.rate for r in results if r is not rasa), default=0.0)
            haki = [r for r in results if r is not rasa]
            rasa_cpu = rasa.cpu_per_message(rasa.server_cpu)
            haki_cpu = [r.cpu_per_message(r.server_cpu) for r in haki]
            rasa_note = (f"Haki's slowest channel/database vs Rasa's REST channel: "
                         f"{min(r.rate for r in haki) / rasa.rate:.1f}x; "
                         f"best: {haki_best / rasa.rate:.1f}x. Server CPU per message: "
                         f"Rasa {rasa_cpu:.2f} ms, Haki {min(haki_cpu):.2f}-{max(haki_cpu):.2f} ms "
                         f"({rasa_cpu / max(haki_cpu):.1f}-{rasa_cpu / min(haki_cpu):.1f}x less).")
        else:
            rasa_note = f"Rasa column skipped: {rasa}."
    report = "\n\n".join(filter(None, [
        f"Measured {time.strftime('%Y-%m-%d')} on {host}; {args.requests} requests per "
        f"row, {args.concurrency} concurrent clients, `python bench/webhooks.py "
        + " ".join(sys.argv[1:]) + "`.",
        table(results),
        rasa_note,
    ]))
    print(report)
    if args.write_docs:
        write_docs(report)
        print(f"written to {DOCS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
