"""The stand-ins answer the real client libraries the way the real APIs do."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import requests
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.standins.fixtures import TelegramApi, TwilioApi

# PTB 22 warns inside RetryAfter's constructor that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _bot(api: TelegramApi) -> telegram.Bot:
    return telegram.Bot(api.token, base_url=f"{api.url}/bot")


def _run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def _twilio(api: TwilioApi) -> Client:
    client = Client(api.account_sid, api.auth_token)
    client.api.base_url = api.url
    return client


def test_telegram_bot_sends_a_message_with_a_keyboard(telegram_api: TelegramApi) -> None:
    async def talk() -> telegram.Message:
        async with _bot(telegram_api) as bot:  # initialize() calls getMe
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Arrest", callback_data="intent:x")]])
            return await bot.send_message(chat_id=4242, text="Hello ✓", reply_markup=markup)

    message = _run(talk())
    assert message.text == "Hello ✓" and message.chat.id == 4242
    assert [r.status for r in telegram_api.calls("getMe")] == [200]
    sent = telegram_api.sent_messages()
    assert sent[0]["text"] == "Hello ✓"
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "intent:x"


def test_telegram_other_methods_answer_real_shapes(telegram_api: TelegramApi) -> None:
    async def talk() -> list[object]:
        async with _bot(telegram_api) as bot:
            return [
                await bot.answer_callback_query("cbq-1"),
                await bot.edit_message_reply_markup(chat_id=7, message_id=12, reply_markup=None),
                await bot.delete_message(chat_id=7, message_id=12),
                await bot.set_webhook("https://haki.example/webhooks/telegram",
                                      secret_token="s3cret_-X", allowed_updates=["message"]),
                (await bot.get_webhook_info()).url,
            ]

    answered, edited, deleted, hooked, url = _run(talk())
    assert answered is True and deleted is True and hooked is True
    assert isinstance(edited, telegram.Message) and edited.message_id == 12
    assert url == "https://haki.example/webhooks/telegram"
    assert telegram_api.webhook["secret_token"] == "s3cret_-X"
    assert telegram_api.webhook["allowed_updates"] == ["message"]


def test_telegram_json_bodies_and_wrong_tokens(telegram_api: TelegramApi) -> None:
    base = f"{telegram_api.url}/bot{telegram_api.token}"
    reply = requests.post(f"{base}/sendMessage", json={"chat_id": 5, "text": "hi"}, timeout=5)
    assert reply.status_code == 200 and reply.json()["result"]["chat"]["id"] == 5
    wrong = requests.post(f"{telegram_api.url}/bot1:nope/getMe", timeout=5)
    assert wrong.status_code == 401 and wrong.json() == {
        "ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = requests.post(f"{base}/sendUnicorn", timeout=5)
    assert unknown.status_code == 404


def test_telegram_scripted_failures(telegram_api: TelegramApi) -> None:
    telegram_api.fail_next(2, method="sendMessage")
    telegram_api.rate_limit_next(retry_after=3, method="sendMessage")
    telegram_api.block_chat(99)

    async def attempt(chat_id: int) -> type[Exception] | None:
        async with _bot(telegram_api) as bot:
            try:
                await bot.send_message(chat_id=chat_id, text="x")
            except telegram.error.TelegramError as error:
                if isinstance(error, telegram.error.RetryAfter):
                    assert error._retry_after == dt.timedelta(seconds=3)  # noqa: SLF001
                return type(error)
        return None

    outcomes = [_run(attempt(1)) for _ in range(4)] + [_run(attempt(99))]
    assert outcomes == [telegram.error.NetworkError, telegram.error.NetworkError,
                        telegram.error.RetryAfter, None, telegram.error.Forbidden]


def test_telegram_per_chat_pace_is_enforced(telegram_api: TelegramApi) -> None:
    telegram_api.chat_interval = 0.3
    base = f"{telegram_api.url}/bot{telegram_api.token}"
    first = requests.post(f"{base}/sendMessage", data={"chat_id": "8", "text": "a"}, timeout=5)
    second = requests.post(f"{base}/sendMessage", data={"chat_id": "8", "text": "b"}, timeout=5)
    other = requests.post(f"{base}/sendMessage", data={"chat_id": "9", "text": "c"}, timeout=5)
    assert (first.status_code, second.status_code, other.status_code) == (200, 429, 200)
    assert 0 < second.json()["parameters"]["retry_after"] <= 0.3


def test_standin_stop_and_start_is_an_outage(telegram_api: TelegramApi) -> None:
    telegram_api.stop()
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{telegram_api.url}/bot{telegram_api.token}/getMe", timeout=2)
    telegram_api.start()
    assert requests.post(f"{telegram_api.url}/bot{telegram_api.token}/getMe",
                         timeout=2).json()["ok"] is True


def test_twilio_client_creates_a_message(twilio_api: TwilioApi) -> None:
    message = _twilio(twilio_api).messages.create(to="+27820000001", from_=twilio_api.number,
                                                   body="Your rights: ...")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued" and message.num_segments == "1"
    [form] = twilio_api.sent_messages()
    assert form == {"To": "+27820000001", "From": twilio_api.number, "Body": "Your rights: ..."}


def test_twilio_errors_have_twilio_codes(twilio_api: TwilioApi) -> None:
    client = _twilio(twilio_api)
    twilio_api.opt_out("+27820000002")
    twilio_api.fail_next(1)
    twilio_api.rate_limit_next(1)
    codes = []
    for to in ("+27820000001", "+27820000001", "+27820000002"):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=to, from_=twilio_api.number, body="x")
        codes.append((caught.value.status, caught.value.code))
    assert codes == [(500, 20500), (429, 20429), (400, 21610)]

    wrong = Client(twilio_api.account_sid, "wrong-token")
    wrong.api.base_url = twilio_api.url
    with pytest.raises(TwilioRestException) as caught:
        wrong.messages.create(to="+27820000001", from_=twilio_api.number, body="x")
    assert (caught.value.status, caught.value.code) == (401, 20003)
