"""Urgent cases over the real webhook: one case per consent, the safety text always
arrives, a consent is never lost silently (issue 13, items 1-3)."""

from __future__ import annotations

import threading

import pytest
import requests

from bot.escalation.models import TO_RESPONDER
from tests.webhooks.urgent_world import (TelegramPerson, add_paralegal, button_update, cases,
                                         notifications, wait_until)


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

    from bot.escalation.sweeps import sweep
    from bot.escalation import escalation_of
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
    assert len(texts) == 3, texts  # safety text, offer, welcome (first contact)
    assert "Call 10111" in texts[0]  # the safety text first ...
    assert "tell a person who can help" in texts[1]  # ... then the offer to tell someone
    # Sent once: the next sweep finds nothing left to send.
    sweep(services, escalation_of(services).queue, utcnow() + timedelta(minutes=10))
    assert _texts_to(telegram_api, person.chat_id) == texts
