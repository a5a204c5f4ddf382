"""The production topology without Docker: ``make stack`` / ``make stack-stop``.

Starts, in the background, what docker/compose.yml runs in containers, on this machine:

- nginx in front (scripts/stack/nginx.conf.template): the only listening port; it buffers
  whole requests with client timeouts, so slow clients never hold a gunicorn thread;
- gunicorn (docker/gunicorn.conf.py) serving ``webhooks.wsgi:app`` with several workers,
  on an internal port only nginx talks to;
- a Celery worker and Celery beat (``bot.escalation.tasks``), Redis as broker;
- the Rasa server from ``.venv-rasa`` with the model ``make rasa`` trained into var/rasa/;
- on the machine's PostgreSQL (a dedicated database, created if missing and migrated with
  ``haki db upgrade``) and Redis (a dedicated database number).

Process ids go to ``<state>/<name>.pid`` and output to ``<state>/<name>.log`` (state is
var/stack/ unless ``--state-dir``). Each process leads its own process group, so ``stop``
signals exactly the processes it started (SIGTERM, then SIGKILL after a grace period),
found by the ids in its pid files — never by name.

Everything is configured through the same ``HAKI_*`` variables as production. The stack
sets its own topology (database, Redis, ports, queue, NLU backend, public URL); every other
variable passes through from the environment or .env. Secrets come from the environment or .env; with neither, a
private ``<state>/secrets.env`` is generated once so pseudonyms stay stable across restarts.

Usage: python scripts/stack/stack.py start|stop|status [options]   (see --help)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_MODELS = ROOT / "var" / "rasa"
DEFAULT_STATE = ROOT / "var" / "stack"
POSTGRES_SERVER = os.environ.get("HAKI_STACK_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("HAKI_STACK_REDIS", "redis://127.0.0.1:6379")
#: Start order; stop goes the other way (the proxy and web first, so nothing new arrives).
ORDER = ("rasa", "worker", "beat", "web", "proxy")
NGINX_TEMPLATE = Path(__file__).resolve().with_name("nginx.conf.template")


def say(message: str) -> None:
    print(f"stack: {message}", flush=True)


def shout(message: str) -> None:
    bar = "!" * 78
    print(f"{bar}\nstack: {message}\n{bar}", file=sys.stderr, flush=True)


# --- configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    state: Path
    port: int
    #: gunicorn's own port, reached only through nginx on ``port``.
    web_port: int
    rasa_port: int
    workers: int
    database: str
    redis_db: int
    nlu_backend: str
    rasa_model: Path | None

    @property
    def database_url(self) -> str:
        return f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+psycopg://', 1)}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"{REDIS_SERVER}/{self.redis_db}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def newest_rasa_model() -> Path | None:
    models = sorted(RASA_MODELS.rglob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


def dotenv_has(name: str) -> bool:
    env_file = ROOT / ".env"
    if not env_file.exists():
        return False
    return any(line.split("=", 1)[0].strip() == name for line in env_file.read_text().splitlines()
               if "=" in line and not line.lstrip().startswith("#"))


def stack_secrets(state: Path) -> dict[str, str]:
    """Secrets for a stack started where neither the environment nor .env has them."""
    if os.environ.get("HAKI_SECRET_KEY") or dotenv_has("HAKI_SECRET_KEY"):
        return {}
    path = state / "secrets.env"
    if not path.exists():
        values = {
            "HAKI_SECRET_KEY": secrets.token_urlsafe(48),
            "HAKI_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "HAKI_TELEGRAM_SECRET": secrets.token_urlsafe(24).replace("-", "_"),
            "HAKI_TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        }
        path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        path.chmod(0o600)
        say(f"no HAKI_SECRET_KEY in the environment or .env: generated {path.relative_to(ROOT)}")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def environment(plan: Plan) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in stack_secrets(plan.state).items():
        env.setdefault(key, value)
    topology = {
        "HAKI_DATABASE_URL": plan.database_url,
        "HAKI_REDIS_URL": plan.redis_url,
        "HAKI_QUEUE": "celery",
        "HAKI_NLU_BACKEND": plan.nlu_backend,
        "HAKI_RASA_URL": f"http://127.0.0.1:{plan.rasa_port}",
        "HAKI_PUBLIC_URL": plan.base_url,
        "HAKI_LOG_JSON": "1",
        "HAKI_BIND": f"127.0.0.1:{plan.web_port}",
        "WEB_CONCURRENCY": str(plan.workers),
        "PROMETHEUS_MULTIPROC_DIR": str(plan.state / "metrics"),
        "PYTHONUNBUFFERED": "1",
    }
    # The topology is the stack's to decide; everything else (provider API URLs, tokens,
    # secrets) passes through from the environment or .env.
    env.update(topology)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def commands(plan: Plan) -> dict[str, list[str]]:
    python = str(VENV_BIN / "python")
    # --quiet: no ASCII-art banner; the log stays one JSON object per line.
    celery = [python, "-m", "bot.logging_setup", "celery", "--quiet", "--app", "bot.escalation.tasks"]
    found = {
        "web": [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
                "webhooks.wsgi:app"],
        "worker": [*celery, "worker", "--hostname", worker_node(plan), "--concurrency", "2",
                   "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        "beat": [*celery, "beat", "--schedule", str(plan.state / "celerybeat-schedule"),
                 "--loglevel", "INFO"],
    }
    found["proxy"] = [nginx_binary(), "-p", str(plan.state), "-c", str(plan.state / "nginx.conf"),
                      "-e", str(plan.state / "nginx.log"), "-g", "daemon off;"]
    if plan.nlu_backend == "rasa" and plan.rasa_model is not None:
        found["rasa"] = [str(RASA_BIN), "run", "--enable-api", "--interface", "127.0.0.1",
                         "--port", str(plan.rasa_port), "--model", str(plan.rasa_model)]
    return found


# --- the reverse proxy ----------------------------------------------------------------------
def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        raise StackError("nginx not found: `make stack` installs it (apt-get install nginx)")
    return found


def write_nginx_conf(plan: Plan) -> None:
    """The proxy's config in the state dir; its temp folders writable by its workers."""
    user = ""
    if os.geteuid() == 0:
        user = "user nobody nogroup;"  # root starts nginx; its workers must not stay root
    for name in ("nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi"):
        folder = plan.state / name
        folder.mkdir(exist_ok=True)
        if user:
            shutil.chown(folder, "nobody", "nogroup")
    (plan.state / "nginx.conf").write_text(NGINX_TEMPLATE.read_text().format(
        state=plan.state, port=plan.port, upstream_port=plan.web_port, user=user))


# --- database and Redis ----------------------------------------------------------------------
def prepare_database(plan: Plan, fresh: bool) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    (plan.database,)).fetchone()
        if exists and fresh:
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = %s", (plan.database,))
            connection.execute(f'DROP DATABASE "{plan.database}"')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{plan.database}"')
            say(f"created PostgreSQL database {plan.database}")


def flush_redis(plan: Plan) -> None:
    import redis

    redis.Redis.from_url(plan.redis_url).flushdb()


def migrate(env: dict[str, str], log: Path) -> None:
    with log.open("ab") as output:
        done = subprocess.run([str(VENV_BIN / "haki"), "db", "upgrade"], env=env, cwd=ROOT,
                              stdout=output, stderr=subprocess.STDOUT, timeout=120, check=False)
    if done.returncode != 0:
        raise StackError("migrations failed", log)
    say("migrations applied (haki db upgrade)")


# --- processes -------------------------------------------------------------------------------
class StackError(RuntimeError):
    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def pid_file(state: Path, name: str) -> Path:
    return state / f"{name}.pid"


def read_pid(state: Path, name: str) -> int | None:
    try:
        return int(pid_file(state, name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def start_ticks(pid: int) -> str:
    """When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()[19].decode()


def ours(pid: int, state: Path, name: str) -> bool:
    """The pid is alive and is the process we started (not a recycled id)."""
    try:
        recorded = pid_file(state, name).read_text().split(maxsplit=1)[1].strip()
        return start_ticks(pid) == recorded
    except (OSError, IndexError):
        return False


def spawn(name: str, argv: list[str], env: dict[str, str], state: Path) -> subprocess.Popen[bytes]:
    log = state / f"{name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    # "<pid> <start time in clock ticks>": the pair identifies this process for good.
    pid_file(state, name).write_text(f"{process.pid} {start_ticks(process.pid)}\n")
    return process


def tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(name: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path,
               timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with status {process.returncode} while starting", log)
        if ready():
            return
        time.sleep(0.5)
    raise StackError(f"{name} not ready after {timeout:.0f}s", log)


def worker_node(plan: Plan) -> str:
    return f"stack-{plan.port}@{socket.gethostname()}"


def celery_answers(plan: Plan, node: str) -> bool:
    """The worker is consuming: it answers a broadcast ping through Redis."""
    from celery import Celery

    probe = Celery("stack-probe", broker=plan.redis_url, set_as_current=False)
    try:
        return bool(probe.control.ping(destination=[node], timeout=1.0))
    except Exception:  # the broker not reachable yet: not ready
        return False
    finally:
        probe.close()


def start(args: argparse.Namespace) -> int:
    state: Path = args.state_dir
    state.mkdir(parents=True, exist_ok=True)
    if any(read_pid(state, name) for name in ORDER):
        running = [name for name in ORDER if (pid := read_pid(state, name)) and ours(pid, state, name)]
        if running:
            say(f"already running here ({', '.join(running)}); `make stack-stop` first")
            return 1
    port = args.port or (8088 if not port_busy(8088) else free_port())
    rasa_port = args.rasa_port or (5005 if not port_busy(5005) else free_port())
    model = newest_rasa_model() if RASA_BIN.exists() else None
    backend = "rasa" if model is not None and not args.embedded else "embedded"
    if backend == "embedded" and not args.embedded:
        shout("NO RASA: " + ("`.venv-rasa` is missing" if not RASA_BIN.exists()
                             else "no trained model in var/rasa/ (run `make rasa`)")
              + ". The stack runs with the EMBEDDED NLU; the Rasa tier is NOT exercised.")
    web_port = args.web_port or free_port()
    plan = Plan(state=state, port=port, web_port=web_port, rasa_port=rasa_port, workers=args.workers,
                database=args.database, redis_db=args.redis_db, nlu_backend=backend,
                rasa_model=model)
    for stale in [*state.glob("*.log"), *state.glob("celerybeat-schedule*")]:
        stale.unlink()
    env = environment(plan)
    (state / "stack.json").write_text(json.dumps({
        "base_url": plan.base_url, "port": plan.port, "web_port": plan.web_port,
        "rasa_port": plan.rasa_port,
        "workers": plan.workers, "database_url": plan.database_url, "redis_url": plan.redis_url,
        "nlu_backend": plan.nlu_backend, "rasa_model": str(model) if model else None,
    }, indent=2) + "\n")
    started_at = time.monotonic()
    try:
        prepare_database(plan, args.fresh)
        if args.fresh:
            flush_redis(plan)
        migrate(env, state / "migrate.log")
        write_nginx_conf(plan)
        processes = {name: spawn(name, argv, env, state) for name, argv in commands(plan).items()}
        say(f"started {', '.join(f'{n}={p.pid}' for n, p in processes.items())}")
        checks = {
            "worker": (lambda: celery_answers(plan, worker_node(plan)), 60),
            "beat": (lambda: any(state.glob("celerybeat-schedule*")), 60),
            "rasa": (lambda: http_ok(f"http://127.0.0.1:{rasa_port}/version"), args.rasa_timeout),
            "web": (lambda: http_ok(f"http://127.0.0.1:{plan.web_port}/readyz?strict=1"),
                    args.rasa_timeout + 30),
            "proxy": (lambda: http_ok(f"{plan.base_url}/healthz"), 30),
        }
        for name, (ready, timeout) in checks.items():
            if name in processes:
                wait_until(name, ready, processes[name], state / f"{name}.log", timeout)
                say(f"{name} ready")
    except StackError as error:
        shout(f"{error}; stopping what was started")
        if error.log is not None:
            print(f"--- last lines of {error.log}:\n{tail(error.log)}", file=sys.stderr)
        stop_all(state)
        return 1
    say(f"up in {time.monotonic() - started_at:.1f}s: {plan.base_url} "
        f"(web workers={plan.workers}, nlu={backend}, db={plan.database}, redis={plan.redis_url}); "
        f"logs in {state.relative_to(ROOT) if state.is_relative_to(ROOT) else state}/*.log")
    return 0


def group_alive(pgid: int) -> bool:
    try:
        os.waitpid(pgid, os.WNOHANG)  # reap the leader if this process started it
    except ChildProcessError:
        pass
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_one(state: Path, name: str, grace: float) -> None:
    pid = read_pid(state, name)
    if pid is None:
        return
    if ours(pid, state, name):
        # SIGTERM to the leader only: gunicorn's master and Celery's main process shut their
        # own workers down gracefully (requests and tasks in flight finish first).
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and group_alive(pid):
            time.sleep(0.2)
        if group_alive(pid):
            # Each process leads its own group (start_new_session), so this reaches what
            # we started and nothing else.
            say(f"{name} did not stop within {grace:.0f}s: SIGKILL")
            os.killpg(pid, signal.SIGKILL)
        else:
            say(f"{name} stopped")
    pid_file(state, name).unlink(missing_ok=True)


def stop_all(state: Path) -> None:
    for name in reversed(ORDER):
        stop_one(state, name, grace=40.0 if name in {"web", "worker"} else 15.0)
    for stale in state.glob("nginx-*"):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(state / "metrics", ignore_errors=True)


def stop(args: argparse.Namespace) -> int:
    stop_all(args.state_dir)
    return 0


def status(args: argparse.Namespace) -> int:
    state: Path = args.state_dir
    for name in ORDER:
        pid = read_pid(state, name)
        running = pid is not None and ours(pid, state, name)
        print(f"{name:7} {'running pid ' + str(pid) if running else 'stopped'}")
    info = state / "stack.json"
    if info.exists():
        print(f"last start: {json.loads(info.read_text())['base_url']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Haki's production topology, natively.")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE,
                        help="pid files, logs, stack.json (default var/stack)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("STACK_WORKERS", "3")),
                        help="gunicorn worker processes (default 3)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("STACK_PORT", "0")),
                        help="web port (default 8088, or a free one if taken)")
    parser.add_argument("--rasa-port", type=int, default=0)
    parser.add_argument("--web-port", type=int, default=0,
                        help="gunicorn's internal port behind nginx (default: a free one)")
    parser.add_argument("--database", default=os.environ.get("STACK_DATABASE", "haki_stack"))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("STACK_REDIS_DB", "5")))
    parser.add_argument("--fresh", action="store_true",
                        help="drop and recreate the database, empty the Redis database")
    parser.add_argument("--embedded", action="store_true", help="skip Rasa; embedded NLU")
    parser.add_argument("--rasa-timeout", type=float, default=150.0,
                        help="seconds Rasa may take to load its model")
    args = parser.parse_args(argv)
    args.state_dir = args.state_dir.resolve()
    return {"start": start, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
