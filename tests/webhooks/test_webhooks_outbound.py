"""Messages we send on our own (escalation notices): through the real client libraries,
over real HTTP, to stand-ins of Telegram's and Twilio's APIs."""

from __future__ import annotations

import time

import pytest

from bot.messages import Channel, OutboundMessage, ReplyOption
from tests.conftest import make_settings, person_row
from webhooks.outbound import DeliveryError, TelegramSender, TwilioSmsSender, register
from webhooks.pacing import ChatPacer

NOTICE = OutboundMessage("Your case K7-3QF was picked up \u2014 a paralegal will call.",
                         options=(ReplyOption("case:status", "Status"),))


@pytest.fixture
def telegram_sender(telegram_api):  # type: ignore[no-untyped-def]
    sender = TelegramSender(make_settings("sqlite://", **telegram_api.settings()),
                            pacer=ChatPacer(chat_rate=20, chat_burst=1))
    yield sender
    sender.close()


def test_telegram_send_with_buttons(telegram_sender, telegram_api) -> None:  # type: ignore[no-untyped-def]
    message_id = telegram_sender.send("5550001", NOTICE)
    assert message_id == "1001"
    [sent] = telegram_api.sent_messages()
    assert sent["chat_id"] == "5550001" and sent["text"] == NOTICE.text
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "Status",
                                                          "callback_data": "case:status"}]]}


def test_telegram_retry_after_is_honoured(telegram_sender, telegram_api) -> None:  # type: ignore[no-untyped-def]
    telegram_sender.send("5550001", NOTICE)  # getMe and the pool are ready: time only the 429
    telegram_api.rate_limit_next(retry_after=0.4, method="sendMessage")
    started = time.monotonic()
    telegram_sender.send("5550001", NOTICE)
    assert time.monotonic() - started >= 0.4
    calls = telegram_api.calls("sendMessage")
    assert [call.status for call in calls] == [200, 429, 200]
    assert calls[2].at - calls[1].at >= 0.4


def test_a_long_retry_after_goes_back_to_the_caller(telegram_sender, telegram_api) -> None:  # type: ignore[no-untyped-def]
    telegram_api.rate_limit_next(retry_after=30, method="sendMessage")
    with pytest.raises(DeliveryError) as caught:
        telegram_sender.send("5550001", NOTICE)
    assert caught.value.retry_after == 30 and not caught.value.permanent
    # The chat is held: the next send is refused here without calling Telegram.
    with pytest.raises(DeliveryError) as held:
        telegram_sender.send("5550001", NOTICE)
    assert held.value.retry_after and held.value.retry_after > 25
    assert len(telegram_api.calls("sendMessage")) == 1


def test_sends_to_one_chat_are_paced(telegram_api) -> None:  # type: ignore[no-untyped-def]
    """Telegram allows about one message a second to a chat; the stand-in enforces a pace
    and answers 429 when it is broken. Our pacer keeps to it, so no 429 is ever seen."""
    sender = TelegramSender(make_settings("sqlite://", **telegram_api.settings()),
                            pacer=ChatPacer(chat_rate=1 / 0.2, chat_burst=1))
    try:
        sender.send("5550009", NOTICE)  # warm up: getMe and the connection pool
        telegram_api.clear()
        telegram_api.chat_interval = 0.15
        for _ in range(4):
            sender.send("5550001", NOTICE)
        sender.send("5550002", NOTICE)  # another chat is not held up
    finally:
        sender.close()
    calls = telegram_api.calls("sendMessage")
    assert [call.status for call in calls] == [200] * 5
    same_chat = [call.at for call in calls if call.params["chat_id"] == "5550001"]
    assert all(later - earlier >= 0.15 for earlier, later in zip(same_chat, same_chat[1:]))


@pytest.mark.parametrize(("trouble", "permanent"), [("500", False), ("blocked", True),
                                                    ("outage", False)])
def test_telegram_failures_are_explained(telegram_sender, telegram_api, trouble: str,
                                         permanent: bool) -> None:  # type: ignore[no-untyped-def]
    telegram_sender.send("5550001", NOTICE)
    if trouble == "500":
        telegram_api.fail_next(1, method="sendMessage")
    elif trouble == "blocked":
        telegram_api.block_chat("5550001")
    else:
        telegram_api.stop()
    with pytest.raises(DeliveryError) as caught:
        telegram_sender.send("5550001", NOTICE)
    assert caught.value.permanent is permanent
    assert telegram_api.token not in str(caught.value)


def test_twilio_send_is_gsm7_and_one_message(twilio_api, services_for, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **twilio_api.settings())
    sid = services.senders[Channel.SMS].send("+27820000201", NOTICE)
    assert sid and sid.startswith("SM")
    [form] = twilio_api.sent_messages()
    assert form["To"] == "+27820000201" and form["From"] == twilio_api.number
    assert form["Body"] == "Your case K7-3QF was picked up - a paralegal will call.\n1 Status"


def test_twilio_21610_marks_the_person_opted_out(twilio_api, services_for, sqlite_url,
                                                 person_on) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **twilio_api.settings())
    number = "+27820000202"
    from bot.conversation import Conversation
    from tests.conftest import Person as Talker

    Talker(Conversation(services), Channel.SMS, number).says("menu")
    twilio_api.opt_out(number)
    with pytest.raises(DeliveryError) as caught:
        services.senders[Channel.SMS].send(number, NOTICE)
    assert caught.value.permanent and caught.value.opted_out
    person = person_row(services, Channel.SMS, number)
    assert person is not None and person.opted_out


def test_a_telegram_chat_that_blocked_us_is_marked(telegram_api, services_for,
                                                   sqlite_url) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **telegram_api.settings())
    chat_id = "5550203"
    from bot.conversation import Conversation
    from tests.conftest import Person as Talker

    Talker(Conversation(services), Channel.TELEGRAM, chat_id).says("menu")
    telegram_api.block_chat(chat_id)
    with pytest.raises(DeliveryError) as caught:
        services.senders[Channel.TELEGRAM].send(chat_id, NOTICE)
    assert caught.value.permanent and caught.value.blocked
    person = person_row(services, Channel.TELEGRAM, chat_id)
    assert person is not None and person.blocked and not person.opted_out


@pytest.mark.parametrize(("trouble", "retry_after", "permanent"), [
    ("429", 1.0, False), ("500", None, False), ("outage", None, False)])
def test_twilio_failures_are_explained(twilio_api, trouble, retry_after, permanent) -> None:  # type: ignore[no-untyped-def]
    sender = TwilioSmsSender(make_settings("sqlite://", **twilio_api.settings()))
    if trouble == "429":
        twilio_api.rate_limit_next()
    elif trouble == "500":
        twilio_api.fail_next()
    else:
        twilio_api.stop()
    with pytest.raises(DeliveryError) as caught:
        sender.send("+27820000203", NOTICE)
    assert (caught.value.retry_after, caught.value.permanent) == (retry_after, permanent)
    assert "+27820000203" not in str(caught.value)


def test_senders_are_installed_only_with_credentials(services_for, sqlite_url, telegram_api,
                                                     twilio_api) -> None:  # type: ignore[no-untyped-def]
    assert services_for(sqlite_url).senders == {}
    services = services_for(sqlite_url, **telegram_api.settings(), **twilio_api.settings())
    assert set(services.senders) == {Channel.TELEGRAM, Channel.SMS}
    register(services)  # idempotent in effect: one sender per channel
    assert isinstance(services.senders[Channel.TELEGRAM], TelegramSender)
