"""Container health checks, one per role: ``python docker/healthcheck.py web|worker|beat``.

Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK and compose's ``healthcheck``).
Only the standard library and the project are used: the slim image has no curl.

- web:    ``GET /healthz`` on the local gunicorn answers 200 (the process serves);
- worker: the local Celery node answers a broker ping (it is consuming);
- beat:   the beat schedule file was written recently (beat is ticking).
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

BEAT_SCHEDULE = Path(os.environ.get("HAKI_BEAT_SCHEDULE", "/tmp/celerybeat-schedule"))
#: Beat syncs its schedule file at most every 3 minutes while it sends tasks.
BEAT_STALE_SECONDS = 600


def web() -> bool:
    port = os.environ.get("HAKI_BIND", "0.0.0.0:8000").rsplit(":", 1)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
        return bool(response.status == 200)


def worker() -> bool:
    from bot.escalation.tasks import app as celery_app

    node = f"celery@{socket.gethostname()}"
    return bool(celery_app.control.ping(destination=[node], timeout=3))


def beat() -> bool:
    written = [path.stat().st_mtime for path in BEAT_SCHEDULE.parent.glob(BEAT_SCHEDULE.name + "*")]
    return bool(written) and time.time() - max(written) < BEAT_STALE_SECONDS


CHECKS = {"web": web, "worker": worker, "beat": beat}

if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    try:
        healthy = CHECKS[role]()
    except Exception as error:  # any failure is "unhealthy"; say which, never a traceback
        print(f"{role}: {type(error).__name__}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)
