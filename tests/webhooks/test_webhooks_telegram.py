"""Telegram webhook: updates in, one Bot API call in the response, the rest via the API."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.messages import Channel, InboundKind, OutboundMessage
from tests.conftest import make_settings, person_row
from tests.webhooks.conftest import TELEGRAM_PATH, load, telegram_headers
from webhooks.telegram import parse_update


def parsed(fixture: str):  # type: ignore[no-untyped-def]
    return parse_update(Update.de_json(load(f"telegram/{fixture}"), None),
                        make_settings("sqlite://"))


# --- parsing: fixture -> InboundMessage or "ignore" -------------------------------------
@pytest.mark.parametrize(("fixture", "kind", "text", "payload", "hint"), [
    ("text", InboundKind.TEXT, "What can I do if police search me?", None, "en"),
    ("unicode_zulu", InboundKind.TEXT, "Amaphoyisa angibophile \u2014 ngenzeni? \U0001F622", None, "zu"),
    ("start_payload", InboundKind.START, "", "PEER7K2Q", "en"),
    ("start_plain", InboundKind.START, "", None, "af"),
    ("command_help", InboundKind.TEXT, "help", None, "en"),
    ("callback_query", InboundKind.BUTTON, "", "intent:rights_arrest", "en"),
    ("sticker", InboundKind.MEDIA, "", None, "en"),
    ("photo", InboundKind.MEDIA, "", None, "en"),
    ("voice", InboundKind.MEDIA, "", None, "en"),
    ("photo_caption", InboundKind.TEXT, "Is this letter from the clinic valid?", None, "en"),
])
def test_updates_become_inbound_messages(fixture: str, kind: InboundKind, text: str,
                                         payload: str | None, hint: str) -> None:
    data = load(f"telegram/{fixture}")
    result = parsed(fixture)
    assert result.inbound is not None
    inbound = result.inbound
    assert (inbound.channel, inbound.kind, inbound.text, inbound.payload) == (
        Channel.TELEGRAM, kind, text, payload)
    assert inbound.external_id == str(data["update_id"])
    assert inbound.language_hint == hint
    assert inbound.address == result.chat_id and inbound.address.startswith("555")


@pytest.mark.parametrize(("fixture", "reason"), [
    ("edited_message", "edited_message"),
    ("channel_post", "channel_post"),
    ("group_message", "group_chat"),
    ("my_chat_member", "blocked"),
    ("my_chat_member_unblocked", "unblocked"),
])
def test_updates_we_do_not_answer(fixture: str, reason: str) -> None:
    result = parsed(fixture)
    assert result.inbound is None and result.ignored == reason


def test_a_start_payload_with_odd_characters_is_dropped() -> None:
    data = load("telegram/start_payload")
    data["message"]["text"] = "/start <script>"
    result = parse_update(Update.de_json(data, None), make_settings("sqlite://"))
    assert result.inbound is not None and result.inbound.kind is InboundKind.START
    assert result.inbound.payload is None


# --- the webhook ----------------------------------------------------------------------------
@pytest.mark.parametrize(("headers", "configured"), [
    ({}, "test-Secret_token-123"),
    (telegram_headers("wrong"), "test-Secret_token-123"),
    (telegram_headers("test-Secret_token-12"), "test-Secret_token-123"),
    (telegram_headers(""), ""),
])
def test_secret_token_missing_or_wrong_gets_403(make_app, headers, configured) -> None:  # type: ignore[no-untyped-def]
    client = make_app(telegram_secret=configured).test_client()
    response = client.post(TELEGRAM_PATH, json=load("telegram/text"), headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("fixture", ["edited_message", "channel_post", "group_message",
                                     "my_chat_member", "my_chat_member_unblocked"])
def test_ignored_updates_get_an_empty_200(make_app, fixture: str) -> None:  # type: ignore[no-untyped-def]
    response = make_app().test_client().post(TELEGRAM_PATH, json=load(f"telegram/{fixture}"),
                                             headers=telegram_headers())
    assert response.status_code == 200 and response.data == b""


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"update_id": "x"}', b'{"message": 1}',
                                  b'{"update_id": 5, "message": {"chat": "broken"}}'])
def test_garbage_with_the_right_secret_is_a_quiet_200(make_app, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = make_app().test_client().post(TELEGRAM_PATH, data=body, headers={
        **telegram_headers(), "Content-Type": "application/json"})
    assert response.status_code == 200


def test_without_a_token_replies_are_merged_into_the_webhook_response(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    response = client.post(TELEGRAM_PATH, json=load("telegram/text"), headers=telegram_headers())
    call = response.get_json()
    assert call["method"] == "sendMessage" and call["chat_id"] == "5550001"
    assert "Haki" in call["text"] and "search" in call["text"].lower()


def test_one_reply_goes_back_in_the_webhook_response(make_app, telegram_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**telegram_api.settings())
    client = app.test_client()
    client.post(TELEGRAM_PATH, json=load("telegram/start_plain"), headers=telegram_headers())
    app.haki.background.drain()
    telegram_api.clear()
    update = load("telegram/start_plain") | {"update_id": 700000104}
    update["message"] = update["message"] | {"text": "menu"}
    call = client.post(TELEGRAM_PATH, json=update, headers=telegram_headers()).get_json()
    assert call["method"] == "sendMessage" and call["chat_id"] == "5550004"
    keyboard = call["reply_markup"]["inline_keyboard"]
    assert all(len(button["callback_data"].encode()) <= 64 for row in keyboard for button in row)
    assert telegram_api.sent_messages() == []  # nothing else needed the API


def test_first_contact_sends_every_reply_through_the_api(make_app, telegram_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**telegram_api.settings())
    response = app.test_client().post(TELEGRAM_PATH, json=load("telegram/text"),
                                      headers=telegram_headers())
    assert response.status_code == 200 and response.data == b""
    app.haki.background.drain()
    sent = telegram_api.sent_messages()
    assert len(sent) >= 2 and {message["chat_id"] for message in sent} == {"5550001"}
    assert "Haki" in sent[0]["text"]  # the welcome comes first, the answer after it
    assert "search" in sent[-1]["text"].lower()


def test_a_button_press_is_answered_and_run(make_app, telegram_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**telegram_api.settings())
    client = app.test_client()
    response = client.post(TELEGRAM_PATH, json=load("telegram/callback_query"),
                           headers=telegram_headers())
    assert response.get_json() == {"method": "answerCallbackQuery",
                                   "callback_query_id": "4382bfdwdsb323b2d9"}
    app.haki.background.drain()
    sent = telegram_api.sent_messages()
    assert sent and "arrest" in sent[-1]["text"].lower()
    # The same press delivered again: answered (the spinner stops) but not run twice.
    again = client.post(TELEGRAM_PATH, json=load("telegram/callback_query"),
                        headers=telegram_headers())
    assert again.get_json()["method"] == "answerCallbackQuery"
    app.haki.background.drain()
    assert len(telegram_api.sent_messages()) == len(sent)


def test_start_payload_reaches_the_core(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    seen: list[str | None] = []

    def remember(turn, payload):  # type: ignore[no-untyped-def]
        seen.append(payload)
        return [OutboundMessage("referral noted")]

    app.haki.services.registry.start_hooks.insert(0, remember)
    call = app.test_client().post(TELEGRAM_PATH, json=load("telegram/start_payload"),
                                  headers=telegram_headers()).get_json()
    assert seen == ["PEER7K2Q"]
    assert "referral noted" in call["text"]


@pytest.mark.parametrize("fixture", ["sticker", "photo", "voice"])
def test_media_gets_a_clear_text_reply(make_app, fixture: str) -> None:  # type: ignore[no-untyped-def]
    call = make_app().test_client().post(TELEGRAM_PATH, json=load(f"telegram/{fixture}"),
                                         headers=telegram_headers()).get_json()
    assert "cannot read pictures" in call["text"]


def test_a_replayed_update_id_is_answered_once(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    first = client.post(TELEGRAM_PATH, json=load("telegram/text"), headers=telegram_headers())
    second = client.post(TELEGRAM_PATH, json=load("telegram/text"), headers=telegram_headers())
    assert first.get_json()["method"] == "sendMessage"
    assert second.status_code == 200 and second.data == b""


def blocked(app, chat_id: int) -> bool:  # type: ignore[no-untyped-def]
    person = person_row(app.haki.services, Channel.TELEGRAM, str(chat_id))
    return bool(person and person.blocked)


def test_blocking_the_bot_is_remembered_until_they_write_again(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    hello = load("telegram/text")
    chat_id = load("telegram/my_chat_member")["my_chat_member"]["chat"]["id"]
    hello["message"]["chat"]["id"] = hello["message"]["from"]["id"] = chat_id
    client.post(TELEGRAM_PATH, json=hello, headers=telegram_headers())

    client.post(TELEGRAM_PATH, json=load("telegram/my_chat_member"), headers=telegram_headers())
    assert blocked(app, chat_id)
    client.post(TELEGRAM_PATH, json=load("telegram/my_chat_member_unblocked"),
                headers=telegram_headers())
    assert not blocked(app, chat_id)

    client.post(TELEGRAM_PATH, json=load("telegram/my_chat_member"), headers=telegram_headers())
    hello["update_id"] += 100
    response = client.post(TELEGRAM_PATH, json=hello, headers=telegram_headers())
    assert response.get_json()["method"] == "sendMessage"  # answered as usual
    assert not blocked(app, chat_id)  # writing to us proves they unblocked


def test_blocking_by_someone_we_never_met_stores_nothing(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    response = app.test_client().post(TELEGRAM_PATH, json=load("telegram/my_chat_member"),
                                      headers=telegram_headers())
    assert response.status_code == 200
    from bot.storage.models import Person

    with app.haki.services.db.session() as session:
        assert session.query(Person).count() == 0
