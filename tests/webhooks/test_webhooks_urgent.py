"""Urgent cases over the real webhook: one case per consent, the safety text always
arrives, a consent is never lost silently (issue 13, items 1-3)."""

from __future__ import annotations

import threading

import pytest
import requests

from bot.escalation.models import TO_RESPONDER
from tests.webhooks.urgent_world import (
    TelegramPerson,
    add_paralegal,
    button_update,
    cases,
    notifications,
    wait_until,
)


@pytest.mark.parametrize("taps", [2, 5])
def test_yes_tapped_several_times_at_once_opens_one_case(make_app, serve, telegram_api,  # type: ignore[no-untyped-def]
                                                         database_url, taps: int) -> None:
    app = make_app(database_url, **telegram_api.settings())
    services = app.haki.services
    paralegal = add_paralegal(services)
    person = TelegramPerson(serve(app))
    person.walk_to_consent()
    app.haki.background.drain()
    updates = [button_update(person.chat_id, "answer:yes") for _ in range(taps)]
    barrier = threading.Barrier(taps)
    answers: list[requests.Response] = []

    def tap(update: dict) -> None:  # type: ignore[type-arg]
        barrier.wait()
        answers.append(person.post(update))

    threads = [threading.Thread(target=tap, args=(update,)) for update in updates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200] * taps
    [case] = cases(services)
    assert [n.kind for n in notifications(services) if n.recipient == TO_RESPONDER] == ["assigned"]
    app.haki.background.drain()
    # Every tap was answered with the same reference: nobody is told "no case".
    told = [m["text"] for m in telegram_api.sent_messages()
            if m["chat_id"] == str(person.chat_id) and case.reference in m["text"]]
    assert len(told) >= taps
    assert wait_until(lambda: len([m for m in telegram_api.sent_messages()
                                   if m["chat_id"] == paralegal]) >= 1)
    assert len([m for m in telegram_api.sent_messages() if m["chat_id"] == paralegal]) == 1


def _texts_to(telegram_api, chat_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["text"] for m in telegram_api.sent_messages() if m["chat_id"] == str(chat_id)]


def test_the_safety_text_survives_a_bot_api_outage(make_app, serve, telegram_api,  # type: ignore[no-untyped-def]
                                                   database_url) -> None:
    from datetime import timedelta

    from bot.escalation import escalation_of
    from bot.escalation.sweeps import sweep
    from bot.storage.base import utcnow

    app = make_app(database_url, **telegram_api.settings())
    services = app.haki.services
    add_paralegal(services)
    person = TelegramPerson(serve(app))
    telegram_api.fail_next(3, status=500, method="sendMessage")
    assert person.says("police are beating me now help").status_code == 200
    app.haki.background.drain()
    assert _texts_to(telegram_api, person.chat_id) == []  # Telegram was down throughout
    # Telegram is back; the sweep (every HAKI_SWEEP_SECONDS) sends what is still owed.
    sweep(services, escalation_of(services).queue, utcnow() + timedelta(minutes=1))
    texts = _texts_to(telegram_api, person.chat_id)
    # The safety text, then the offer with a one-line welcome (a first contact that is urgent).
    assert len(texts) == 2, texts
    assert "10111" in texts[0]  # the safety text first ...
    assert "tell a person who can help" in texts[1]  # ... then the offer to tell someone
    # Sent once: the next sweep finds nothing left to send.
    sweep(services, escalation_of(services).queue, utcnow() + timedelta(minutes=10))
    assert _texts_to(telegram_api, person.chat_id) == texts


# --- item 3: a YES while the database is unreachable ---------------------------------------
@pytest.fixture
def cut_postgres(postgres_url):  # type: ignore[no-untyped-def]
    """The test's PostgreSQL database reached through a line the test can cut."""
    from sqlalchemy.engine import make_url

    from bot.storage.db import Database
    from tests.conftest import _truncate_all
    from tests.standins.tcp_cut import TcpCut

    url = make_url(postgres_url)
    line = TcpCut(url.host or "127.0.0.1", url.port or 5432)
    line.start()
    yield line, url.set(port=line.port).render_as_string(hide_password=False)
    line.cut()
    database = Database(postgres_url)
    _truncate_all(database)
    database.dispose()


@pytest.mark.postgres
def test_a_telegram_yes_during_a_database_outage_is_redelivered_and_counts(  # type: ignore[no-untyped-def]
        make_app, serve, telegram_api, cut_postgres) -> None:
    line, url = cut_postgres
    app = make_app(url, **telegram_api.settings())
    services = app.haki.services
    add_paralegal(services)
    person = TelegramPerson(serve(app))
    person.walk_to_consent()
    yes = button_update(person.chat_id, "answer:yes")
    line.cut()
    answer = person.post(yes)
    assert answer.status_code == 503  # Telegram redelivers anything but 2xx
    line.restore()
    assert person.post(yes).status_code == 200  # Telegram's redelivery, same update
    [case] = cases(services)
    app.haki.background.drain()
    assert any(case.reference in text for text in _texts_to(telegram_api, person.chat_id))


@pytest.mark.postgres
def test_an_sms_yes_during_a_database_outage_asks_to_send_it_again(  # type: ignore[no-untyped-def]
        make_app, cut_postgres) -> None:
    import xml.etree.ElementTree as ET

    from tests.webhooks.conftest import SMS_PATH, load, signed_sms

    line, url = cut_postgres
    app = make_app(url)
    add_paralegal(app.haki.services)
    client = app.test_client()
    sids = iter(range(1, 100))

    def texts(body: str) -> str:
        form = load("twilio/sms_text") | {"Body": body, "MessageSid": f"SM{next(sids):032x}"}
        answer = client.post(SMS_PATH, **signed_sms(form))
        assert answer.status_code == 200
        return "\n".join(m.text or "" for m in ET.fromstring(answer.data).iter("Message"))

    assert "10111" in texts("police are beating me now help")
    texts("1")  # a paralegal
    texts("1")  # the first region
    assert "If you say YES" in texts("NO")  # no call-back; the consent question
    line.cut()
    assert "send it again" in texts("YES")
    line.restore()
    assert "Your case number is" in texts("YES")
    [case] = cases(app.haki.services)
    assert case.status == "assigned"


# --- issue 18: a responder's Done and outcome buttons work once --------------------------------
def test_done_and_outcome_buttons_are_taken_off_once_used(make_app, serve, telegram_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**telegram_api.settings())
    services = app.haki.services
    paralegal_chat = add_paralegal(services)
    person = TelegramPerson(serve(app))
    person.walk_to_consent()
    person.presses("answer:yes")
    app.haki.background.drain()
    [case] = cases(services)
    paralegal = TelegramPerson(person.base)
    paralegal.chat_id = int(paralegal_chat)

    def removed() -> list[dict]:  # type: ignore[type-arg]
        return [telegram_api.params(r) for r in telegram_api.calls("editMessageReplyMarkup")]

    assert paralegal.presses(f"esc:ack:{case.reference}").status_code == 200
    app.haki.background.drain()
    assert removed() == []  # ACK keeps the notice's Done button
    assert paralegal.presses(f"esc:done:{case.reference}").status_code == 200
    app.haki.background.drain()
    assert [(str(r["chat_id"]), int(r["message_id"])) for r in removed()] == [(paralegal_chat, 2)]
    assert "reply_markup" not in removed()[0]  # no markup: Telegram drops the buttons
    assert paralegal.presses(f"esc:outcome:{case.reference}:released").status_code == 200
    app.haki.background.drain()
    assert len(removed()) == 2
