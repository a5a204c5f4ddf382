"""The whole production topology, end to end: `make stack-test`.

One fresh stack (gunicorn with two workers, Celery worker and beat, Rasa when
.venv-rasa has a model, PostgreSQL, Redis) is started next to stand-in Telegram and
Twilio APIs, and driven the way the providers drive it: a signed Twilio webhook, a
Telegram update with the secret header, an urgent case through consent to a responder's
Telegram chat. Then everything is stopped again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.stack.harness import StackRun, telegram_texts_to

pytestmark = pytest.mark.stack

RESPONDER_CHAT = 7_000_001


@pytest.fixture(scope="module")
def stack() -> Iterator[StackRun]:
    run = StackRun(workers=2)
    run.start()
    try:
        yield run
    finally:
        run.stop()


def test_migrations_are_at_head(stack: StackRun) -> None:
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    from bot.storage.migrate import alembic_config

    url = stack.info["database_url"]
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = create_engine(url)
    with engine.connect() as connection:
        applied = tuple(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    # Feature branches meet through depends_on, so alembic_version lists only the tips that
    # nothing else needs: every revision must be applied, directly or as what a tip needs.
    everything = {revision.revision for revision in script.walk_revisions()}
    assert {revision.revision for revision in script.iterate_revisions(applied, "base")} == everything


def test_the_stack_is_ready_with_every_part_it_runs(stack: StackRun) -> None:
    assert requests.get(f"{stack.base_url}/healthz", timeout=5).status_code == 200
    ready = requests.get(f"{stack.base_url}/readyz?strict=1", timeout=10)
    assert ready.status_code == 200, ready.text
    expected = {"database", "redis"} | ({"rasa"} if stack.info["nlu_backend"] == "rasa" else set())
    assert set(ready.json()["checks"]) == expected
    if stack.info["nlu_backend"] != "rasa":
        print("\nWARNING: no Rasa model/.venv-rasa: this run used the EMBEDDED NLU")


def test_a_signed_sms_is_answered_in_twiml(stack: StackRun) -> None:
    provider = stack.provider()
    first = provider.sms("+27825550001", "hi")
    assert first.status == 200
    assert any("Haki" in text for text in first.texts)
    answer = provider.sms("+27825550001", "can the police search my bag without a warrant")
    assert answer.status == 200 and answer.texts


def test_a_forged_sms_signature_is_refused(stack: StackRun) -> None:
    response = requests.post(f"{stack.base_url}/webhooks/twilio/sms",
                             data={"From": "+27825550002", "Body": "hi", "MessageSid": "SMx"},
                             headers={"X-Twilio-Signature": "forged"}, timeout=5)
    assert response.status_code == 403


def test_a_telegram_update_is_answered(stack: StackRun) -> None:
    provider = stack.provider()
    chat = 6_000_001
    reply = provider.telegram(chat, "what is an NSP letter")
    assert reply.status == 200
    # A first contact gets the welcome and the answer: more than one message, so they go
    # out through the Bot API (the stand-in), not in the webhook response.
    sent = stack.telegram.wait_for(
        lambda _: len(telegram_texts_to(stack.telegram, chat)) + len(reply.texts) >= 2, timeout=15)
    assert sent is not None


def test_a_wrong_telegram_secret_is_refused(stack: StackRun) -> None:
    response = requests.post(f"{stack.base_url}/webhooks/telegram", json={"update_id": 1},
                             headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}, timeout=5)
    assert response.status_code == 403


def test_an_urgent_case_reaches_the_responders_telegram_after_consent(stack: StackRun) -> None:
    stack.add_responder(RESPONDER_CHAT)
    provider = stack.provider()
    person = "+27825550003"
    provider.sms(person, "hi")
    urgent = provider.sms(person, "the police arrested me and are beating me in the cells now")
    offer = "\n".join(urgent.texts)
    assert urgent.status == 200 and re.search(r"^1 ", offer, re.MULTILINE), offer
    region = provider.sms(person, "1")  # 1 = a paralegal
    assert region.status == 200 and region.texts
    callback = provider.sms(person, "1")  # the first region
    assert callback.status == 200 and callback.texts
    consent = provider.sms(person, "NO")  # no call-back by phone
    assert consent.status == 200 and consent.texts
    created = provider.sms(person, "YES")  # consent to pass the case on
    reference = re.search(r"\b[A-Z0-9]{2}-[A-Z0-9]{3}\b", "\n".join(created.texts))
    assert reference, created.texts
    stack.telegram.wait_for(
        lambda _: any(reference.group(0) in text
                      for text in telegram_texts_to(stack.telegram, RESPONDER_CHAT)),
        timeout=30)


def sms_turns_counted(stack: StackRun) -> float:
    text = requests.get(f"{stack.base_url}/metrics", timeout=10).text
    assert "+2782666" not in text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('haki_messages_total{channel="sms"'))


def test_metrics_add_up_every_workers_messages(stack: StackRun) -> None:
    provider = stack.provider()
    before = sms_turns_counted(stack)
    # Eight people at once, each on its own connection: both gunicorn workers answer some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda n: provider.sms(f"+2782666{n:04d}", "what is an NSP letter"),
                                range(8)))
    assert [reply.status for reply in replies] == [200] * 8
    # Whichever worker answers the scrape, it reports every worker's turns.
    assert [sms_turns_counted(stack) - before for _ in range(4)] == [8] * 4
    text = requests.get(f"{stack.base_url}/metrics", timeout=10).text
    assert "haki_escalation_metrics_up 1.0" in text


def test_slow_clients_do_not_starve_the_webhooks(stack: StackRun) -> None:
    """Issue 13, item 10: 24 connections that send their headers (or body) a byte at a time
    used to block every gunicorn thread. nginx in front reads requests whole before gunicorn
    sees them, so a provider's webhook still answers at once."""
    import socket
    import time
    from urllib.parse import urlparse

    url = urlparse(stack.base_url)
    slow: list[socket.socket] = []
    try:
        for n in range(24):
            sock = socket.create_connection((url.hostname, url.port), timeout=5)
            if n % 2:
                sock.sendall(b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\n")  # headers never end
            else:
                sock.sendall(b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: 60000\r\nContent-Type: application/x-www-form-urlencoded"
                             b"\r\n\r\nBody=")  # the body never comes
            slow.append(sock)
        time.sleep(1.0)
        reply = stack.provider().sms("+27825550077", "MENU")
        assert reply.status == 200 and reply.texts, reply
        assert reply.seconds < 3.0, f"a webhook waited {reply.seconds:.1f}s behind slow clients"
    finally:
        for sock in slow:
            sock.close()


def test_gunicorn_is_reached_only_through_the_proxy(stack: StackRun) -> None:
    assert stack.info["web_port"] != stack.info["port"]
    answer = requests.get(f"{stack.base_url}/healthz", timeout=5)
    # nginx answers (server_tokens off: no version), not gunicorn.
    assert answer.status_code == 200 and answer.headers.get("Server") == "nginx"
