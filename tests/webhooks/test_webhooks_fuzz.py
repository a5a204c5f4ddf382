"""A small bounded fuzz run over every endpoint (issue 13, item 11): bad input gets a 4xx
or a sensible reply, never a 5xx, and never a log line at ERROR. The large run (100,000
requests) is bench/fuzz.py; its results are in docs/benchmarks.md."""

from __future__ import annotations

from tests.webhooks.conftest import (
    FIXTURES,
    PUBLIC_URL,
    TELEGRAM_SECRET,
    TWILIO_TOKEN,
    load,
)
from tests.webhooks.fuzzing import Generator, run_in_process

REQUESTS = 1500
SECONDS = 120.0


def fixtures(kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [load(f"{kind}/{path.stem}") for path in sorted((FIXTURES / kind).glob("*.json"))]


def test_fuzzing_every_endpoint_gives_no_5xx_and_no_error_lines(make_app, telegram_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**telegram_api.settings(), rate_limit_messages=100000, stats_token="fuzz-token")
    generator = Generator(telegram_updates=fixtures("telegram"), twilio_forms=fixtures("twilio"),
                          telegram_secret=TELEGRAM_SECRET, twilio_token=TWILIO_TOKEN,
                          public_url=PUBLIC_URL, seed=13)
    report = run_in_process(app, generator, REQUESTS, SECONDS)
    assert report.requests >= min(REQUESTS, 300), report
    assert report.server_errors == [], report.server_errors[:10]
    assert report.error_lines == {}, report.error_lines
