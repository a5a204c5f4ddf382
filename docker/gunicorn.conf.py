"""gunicorn settings for Haki, shared by the Docker image and the native stack (`make stack`).

Run: ``gunicorn -c docker/gunicorn.conf.py webhooks.wsgi:app``. Everything an operator
tunes comes from the environment, so one file serves every deployment:

- ``HAKI_BIND`` (default ``0.0.0.0:8000``), ``WEB_CONCURRENCY`` worker processes
  (default 2), ``GUNICORN_THREADS`` threads per worker (default 4),
  ``GUNICORN_WORKER_CLASS`` (default ``gthread``; ``sync`` saves about 5-10% CPU per
  webhook with the embedded NLU behind a buffering proxy, but then a slow Rasa holds the
  whole worker);
- ``PROMETHEUS_MULTIPROC_DIR``: when set, every worker writes its counters there and
  ``/metrics`` adds them up, whichever worker answers the scrape (see docs/deploy.md).

Shutdown is graceful: on SIGTERM the master stops accepting, each worker finishes the
webhooks it is answering (up to ``graceful_timeout``), runs the app's closers (in-process
queue drained, pools closed) and exits. Providers retry anything that was cut off.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

# The file is loaded by path, not as a module of the project: make `bot` importable
# when gunicorn is started from another folder (the image's WORKDIR is the project).
_PROJECT = Path(__file__).resolve().parent.parent
if str(_PROJECT) not in sys.path:
    sys.path.insert(0, str(_PROJECT))

from bot.logging_setup import gunicorn_logconfig  # noqa: E402
from bot.settings import SettingsError, load_settings  # noqa: E402

try:
    _settings = load_settings()
except SettingsError as error:  # one line naming the variable, not a traceback
    sys.stderr.write(f"haki: configuration error: {error}\n")
    raise SystemExit(2) from None

bind = os.environ.get("HAKI_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads overlap the waits of one webhook (database, Rasa over HTTP) with another's.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Each worker builds its own services (database pool, NLU model): no state shared by fork.
preload_app = False
# Providers give up after ~15 s (Twilio) and retry; a webhook never needs longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
# Webhook bodies are small; the app enforces HAKI_MAX_REQUEST_BYTES as well.
limit_request_line = 4094
limit_request_fields = 60
# TLS ends at the proxy in front; trust its X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
proc_name = "haki-web"

logconfig_dict = gunicorn_logconfig(_settings)
# Path only (%(U)s, no query string), status, duration in ms: no addresses, no bodies.
access_log_format = '%(m)s %(U)s %(s)s %(M)sms'
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "1" else None
errorlog = "-"


def on_starting(server: Any) -> None:
    """Empty the metrics folder: files of workers from an earlier run would be summed."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay in the totals, as they should)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
