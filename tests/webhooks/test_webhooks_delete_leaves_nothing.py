"""DELETE really deletes: no bytes in SQLite's files, no exact times beside a case
reference, no rate-limit keys in Redis (issue 13, items 12, 13, 16).

A person on SMS opens a case with a call-back number, then sends DELETE and YES."""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.escalation.models import Case, Notification
from bot.identity import pseudonym
from tests.webhooks.conftest import SMS_PATH, load, signed_sms
from tests.webhooks.urgent_world import add_paralegal, wait_until
from webhooks.ratelimit import RedisRateLimiter

REDIS_URL = os.environ.get("HAKI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NUMBER = "+27820000777"


class SmsPerson:
    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.n = 0

    def says(self, body: str) -> str:
        self.n += 1
        form = load("twilio/sms_text") | {"From": NUMBER, "Body": body,
                                          "MessageSid": f"SM{uuid.uuid4().hex}"}
        answer = self.client.post(SMS_PATH, **signed_sms(form))
        assert answer.status_code == 200
        return "\n".join(m.text or "" for m in ET.fromstring(answer.data).iter("Message"))

    def opens_a_case(self) -> None:
        assert "10111" in self.says("police are beating me now help")
        self.says("1")  # paralegal
        self.says("1")  # the first region
        assert "If you say YES" in self.says("YES")  # yes, call me back
        assert "case number" in self.says("YES")
        self.says("They took me to the station in town")  # the one line for the paralegal

    def deletes_everything(self) -> None:
        self.says("DELETE")
        assert "deleted" in self.says("YES").lower()


def _db_files(database_url: str) -> list[Path]:
    path = Path(database_url.removeprefix("sqlite:///"))
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]


def test_after_delete_the_sqlite_files_hold_none_of_the_persons_bytes(  # type: ignore[no-untyped-def]
        make_app, telegram_api, sqlite_url) -> None:
    app = make_app(sqlite_url, **telegram_api.settings())
    services = app.haki.services
    add_paralegal(services)
    person = SmsPerson(app.test_client())
    person.opens_a_case()
    who = pseudonym(services.settings.secret_key, "sms", NUMBER)
    with services.db.session() as session:
        case = session.scalars(select(Case)).one()
        secrets_on_disk = [who, case.contact_encrypted, case.summary_encrypted]
    assert all(secrets_on_disk)
    wait_until(lambda: all(n.status == "sent" for n in _notifications(services)), 10)
    person.deletes_everything()
    for path in _db_files(sqlite_url):
        data = path.read_bytes()
        for secret in secrets_on_disk:
            assert secret.encode() not in data, f"{path.name} still holds it"


def _notifications(services) -> list[Notification]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return list(session.scalars(select(Notification)).all())


def test_after_delete_no_exact_time_stays_beside_the_case(make_app, telegram_api, database_url) -> None:  # type: ignore[no-untyped-def]
    from bot.escalation import escalation_of
    from bot.escalation.sweeps import sweep

    app = make_app(database_url, **telegram_api.settings())
    services = app.haki.services
    add_paralegal(services)
    person = SmsPerson(app.test_client())
    person.opens_a_case()
    assert wait_until(lambda: any(n.status == "sent" for n in _notifications(services)), 15)
    person.deletes_everything()
    # The responder is told to drop the case; then the sweep runs as it does every minute.
    wait_until(lambda: all(n.status not in ("pending", "sending")
                           for n in _notifications(services)), 15)
    sweep(services, escalation_of(services).queue)
    with services.db.session() as session:
        [case] = session.scalars(select(Case)).all()
    month = case.created_at
    assert (month.day, month.hour, month.minute, month.second) == (1, 0, 0, 0)
    for notification in _notifications(services):
        for name in ("created_at", "queued_at", "sent_at", "delivered_at", "next_attempt_at",
                     "locked_until"):
            value = getattr(notification, name)
            assert value is None or value == month, (notification.kind, name, value)


def test_delete_drops_the_rate_limit_keys_in_redis(make_app) -> None:  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"haki-test:{uuid.uuid4().hex[:12]}:"
    limiter = RedisRateLimiter(REDIS_URL, limit=30, window_seconds=60, prefix=prefix)
    try:
        app = make_app(limiter=limiter)
        who = pseudonym(app.haki.services.settings.secret_key, "sms", NUMBER)
        person = SmsPerson(app.test_client())
        person.says("hi")
        assert [k for k in client.scan_iter(f"{prefix}*") if who.encode() in k]
        person.deletes_everything()
        assert [k for k in client.scan_iter(f"{prefix}*") if who.encode() in k] == []
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        limiter.close()
        client.close()
