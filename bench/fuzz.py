"""The fuzz run: 100,000 generated requests across every endpoint, bounded in time.

    .venv/bin/python bench/fuzz.py                          # 100,000 requests, at most 40 min
    .venv/bin/python bench/fuzz.py --requests 5000 --seconds 120 --seed 7

Haki is built as in production (real services, a migrated SQLite file, the embedded NLU,
the sandbox on, the stats endpoint on, Telegram replies through a stand-in Bot API) and
driven in-process through Flask's test client with the requests of
tests/webhooks/fuzzing.py: malformed and mistyped Telegram updates, signed-but-edited and
unsigned Twilio forms, odd sandbox JSON (nesting deeper than the parser's stack), odd
methods, queries and headers on every other endpoint.

Passes when no request got a 5xx and nothing was logged at ERROR or above; prints the
status counts and, on failure, where the ERROR lines came from (code location, no content).
Results: docs/benchmarks.md, "Fuzzing".
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=2400.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    from bot.services import build_services
    from bot.storage import migrate
    from tests.conftest import make_settings
    from tests.standins.fixtures import TelegramApi
    from tests.webhooks.conftest import (
        FIXTURES,
        PUBLIC_URL,
        TELEGRAM_SECRET,
        TWILIO_TOKEN,
        load,
    )
    from tests.webhooks.fuzzing import Generator, run_in_process
    from webhooks.app import build_app

    # Records at WARNING and above are made (the run counts those at ERROR itself) but not
    # printed: bad input is meant to produce WARNINGs, tens of thousands of them.
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    root.addHandler(logging.NullHandler())
    telegram = TelegramApi()
    telegram.start()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/haki.db"
        migrate.upgrade(url)
        services = build_services(make_settings(
            url, twilio_auth_token=TWILIO_TOKEN, telegram_secret=TELEGRAM_SECRET,
            public_url=PUBLIC_URL, sandbox=True, stats_token="fuzz-stats-token",
            rate_limit_messages=1_000_000, **telegram.settings()))
        app = build_app(services=services)

        def fixtures(kind: str) -> list[dict]:  # type: ignore[type-arg]
            return [load(f"{kind}/{p.stem}") for p in sorted((FIXTURES / kind).glob("*.json"))]

        generator = Generator(telegram_updates=fixtures("telegram"), twilio_forms=fixtures("twilio"),
                              telegram_secret=TELEGRAM_SECRET, twilio_token=TWILIO_TOKEN,
                              public_url=PUBLIC_URL, seed=args.seed)
        report = run_in_process(app, generator, args.requests, args.seconds)
        services.close()
    telegram.stop()
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(report.statuses.items()))
    print(f"{report.requests} requests in {report.seconds} s "
          f"({report.requests / max(report.seconds, 0.001):.0f}/s), seed {args.seed}")
    print(f"statuses: {statuses}")
    print(f"5xx: {len(report.server_errors)}; ERROR log lines: {report.error_count}")
    for where, count in sorted(report.error_lines.items(), key=lambda item: -item[1]):
        print(f"  {count:6d}  {where}")
    for number, method, path, status in report.server_errors[:20]:
        print(f"  request {number}: {method} {path} -> {status}")
    return 0 if not report.server_errors and not report.error_count else 1


if __name__ == "__main__":
    raise SystemExit(main())
