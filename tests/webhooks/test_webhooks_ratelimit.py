"""Someone sends message after message: past the limit one short notice, then silence,
and the provider always gets 200."""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.webhooks.conftest import SMS_PATH, TELEGRAM_PATH, load, signed_sms, telegram_headers
from webhooks.ratelimit import (MemoryRateLimiter, RedisRateLimiter, Verdict,
                                build_rate_limiter)

REDIS_URL = os.environ.get("HAKI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_limiter() -> Iterator[RedisRateLimiter]:
    """A limiter on the machine's Redis under a prefix of its own, removed afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"haki-test:{uuid.uuid4().hex[:12]}:"
    limiter = RedisRateLimiter(REDIS_URL, limit=3, window_seconds=60, prefix=prefix)
    yield limiter
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    limiter.close()
    client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The same tests once in memory and once on the real Redis (limit 3 per minute)."""
    if request.param == "memory":
        return MemoryRateLimiter(limit=3, window_seconds=60)
    return request.getfixturevalue("redis_limiter")


def test_verdicts_count_distinct_messages(limiter) -> None:  # type: ignore[no-untyped-def]
    verdicts = [limiter.hit("person-a", f"m{n}") for n in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.NOTIFY, Verdict.SILENT, Verdict.SILENT]
    # Redeliveries: within the limit they pass (the core drops them), past it they are quiet.
    assert limiter.hit("person-a", "m0") is Verdict.SILENT
    assert limiter.hit("person-a", "m3") is Verdict.SILENT  # the notice is never repeated
    assert limiter.hit("person-b", "m0") is Verdict.ALLOW  # people are counted apart


def test_a_new_window_starts_afresh() -> None:
    now = [1000.0]
    limiter = MemoryRateLimiter(limit=1, window_seconds=60, clock=lambda: now[0])
    assert [limiter.hit("p", "1"), limiter.hit("p", "2")] == [Verdict.ALLOW, Verdict.NOTIFY]
    now[0] += 60
    assert limiter.hit("p", "3") is Verdict.ALLOW


def test_redis_unavailable_lets_messages_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", limit=1, window_seconds=60)
    assert [limiter.hit("p", str(n)) for n in range(3)] == [Verdict.ALLOW] * 3


def test_the_redis_limiter_is_chosen_when_configured() -> None:
    assert isinstance(build_rate_limiter("", 5, 60), MemoryRateLimiter)
    assert isinstance(build_rate_limiter(REDIS_URL, 5, 60), RedisRateLimiter)


def test_an_sms_flood_gets_one_notice_then_silence(make_app, limiter) -> None:  # type: ignore[no-untyped-def]
    client = make_app(limiter=limiter).test_client()
    bodies = []
    for n in range(6):
        form = load("twilio/sms_text") | {"MessageSid": f"SM{n:032x}", "Body": "menu"}
        response = client.post(SMS_PATH, **signed_sms(form))
        assert response.status_code == 200
        bodies.append([m.text for m in ET.fromstring(response.data).iter("Message")])
    assert all(bodies[:3])
    assert bodies[3] == ["Too many messages. Please wait a minute and try again."]
    assert bodies[4:] == [[], []]


def test_a_telegram_flood_gets_one_notice_then_silence(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(limiter=MemoryRateLimiter(limit=2, window_seconds=60)).test_client()
    answers = []
    for n in range(5):
        update = load("telegram/text") | {"update_id": 800000000 + n}
        response = client.post(TELEGRAM_PATH, json=update, headers=telegram_headers())
        assert response.status_code == 200
        answers.append(response.get_json(silent=True))
    assert answers[0] and answers[1]
    assert answers[2]["text"].startswith("Too many messages")
    assert answers[3:] == [None, None]
