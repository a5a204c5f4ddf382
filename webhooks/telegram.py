"""Telegram: ``POST /webhooks/telegram``.

1. ``X-Telegram-Bot-Api-Secret-Token`` must equal ``HAKI_TELEGRAM_SECRET`` (compared with
   ``hmac.compare_digest``); wrong, missing, or no secret configured -> 403.
2. The body is parsed with python-telegram-bot's ``Update.de_json``.
3. Only private chats are answered. Text is TEXT (``/start <payload>`` is START with the
   payload: referral codes arrive this way; other ``/commands`` become their command word),
   button presses are BUTTON (payload = callback_data, which is always an option key we
   sent), pictures, stickers, voice notes ... are MEDIA (a caption is answered as text).
   Edited messages, channel posts, group chats and anything else are acknowledged with
   200 and no reply. A private ``my_chat_member`` update (the person blocked or unblocked
   the bot) marks their row, so escalation updates are not sent into the void.
4. ``external_id`` is the update_id: the core's unique receipt de-duplicates redeliveries.
5. Replies: one Bot API call fits in the webhook response itself (Telegram performs it);
   when a turn needs more (several messages, or a message plus answering the button
   press), the extra messages go through the Bot API (``webhooks.outbound``), paced.

Every outcome after the secret check is 200 (Telegram redelivers on errors and holds back
all later updates for the bot until it gets one), with one exception: when the database
is unreachable nothing of the turn is saved, and we answer 503 so that Telegram *does*
redeliver the update once it is back (a YES to a case must not be lost).
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request
from telegram import Update
from werkzeug.exceptions import HTTPException

from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.render import render_telegram
from bot.storage.db import StorageUnavailable
from webhooks.outbound import mark_blocked
from webhooks.pipeline import log_failure

if TYPE_CHECKING:
    from bot.settings import Settings
    from webhooks.app import Haki

log = logging.getLogger("haki.webhooks.telegram")
blueprint = Blueprint("telegram", __name__)

#: The updates we ask for in setWebhook. Everything else is ignored even if it arrives.
#: my_chat_member tells us when a person blocks (or unblocks) the bot in their chat.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
#: A responder's Done button and the outcome buttons it brings (bot/escalation/handlers.py)
#: work once: the message loses its buttons when one is pressed.
SINGLE_USE_BUTTONS = ("esc:done:", "esc:outcome:")
#: Deep-link payloads are at most 64 characters of A-Z, a-z, 0-9, _ and -.
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.DOTALL)
#: Message contents we cannot read; a message carrying one is MEDIA.
MEDIA_FIELDS = ("photo", "sticker", "voice", "video", "video_note", "audio", "document",
                "animation", "location", "venue", "contact", "poll", "dice", "story")


@dataclass(frozen=True)
class Parsed:
    """What an update means for us. ``inbound`` None: acknowledge and say nothing."""

    inbound: InboundMessage | None
    chat_id: str | None = None
    callback_query_id: str | None = None
    #: The message whose button was pressed (its buttons are removed after some answers).
    callback_message_id: int | None = None
    ignored: str | None = None  # why, for the log (a category, never content)
    #: my_chat_member in a private chat: True = they blocked the bot, False = unblocked.
    blocked: bool | None = None


class MalformedUpdate(ValueError):
    """A field we read has the wrong type (Telegram always sends strings and integers
    where we read them, so this is not from Telegram). ``str(error)`` is the field name."""


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise MalformedUpdate(name)


def _chat_id(chat: Any) -> str:
    chat_id = getattr(chat, "id", None)
    if isinstance(chat_id, bool) or not isinstance(chat_id, int) or not isinstance(
            getattr(chat, "type", None), str):
        raise MalformedUpdate("chat")
    return str(chat_id)


def secret_valid(settings: Settings) -> bool:
    expected = settings.telegram_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _language_hint(user: Any, settings: Settings) -> str | None:
    code = getattr(user, "language_code", None)
    if not isinstance(code, str):
        return None  # absent, or not a string: no hint either way
    code = code[:2].lower()
    return code if code in settings.language_codes else None


def parse_update(update: Update, settings: Settings) -> Parsed:
    external_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if not isinstance(query.id, str):
            raise MalformedUpdate("callback_query.id")
        chat = query.message.chat if query.message is not None else None
        if chat is not None and _chat_id(chat) and chat.type != "private":
            return Parsed(None, callback_query_id=query.id, ignored="group_callback")
        address = _chat_id(chat if chat is not None else query.from_user)
        if not _text(query.data, "callback_query.data"):
            return Parsed(None, address, query.id, ignored="callback_without_data")
        message_id = getattr(query.message, "message_id", None) if query.message is not None else None
        return Parsed(InboundMessage(channel=Channel.TELEGRAM, address=address,
                                     kind=InboundKind.BUTTON, payload=query.data,
                                     external_id=external_id,
                                     language_hint=_language_hint(query.from_user, settings)),
                      address, query.id,
                      callback_message_id=message_id if type(message_id) is int else None)

    member = update.my_chat_member
    if member is not None:
        address = _chat_id(member.chat)
        if member.chat.type != "private":
            return Parsed(None, ignored="group_membership")
        blocked = member.new_chat_member.status in ("kicked", "left")
        return Parsed(None, address, ignored="blocked" if blocked else "unblocked",
                      blocked=blocked)

    message = update.message
    if message is None:
        if update.edited_message is not None:
            return Parsed(None, ignored="edited_message")
        if update.channel_post is not None or update.edited_channel_post is not None:
            return Parsed(None, ignored="channel_post")
        return Parsed(None, ignored="other_update")
    address = _chat_id(message.chat)
    if message.chat.type != "private":
        return Parsed(None, ignored="group_chat")
    if message.from_user is not None and message.from_user.is_bot is not False:
        return Parsed(None, ignored="from_bot")
    hint = _language_hint(message.from_user, settings)

    def inbound(**fields: Any) -> Parsed:
        return Parsed(InboundMessage(channel=Channel.TELEGRAM, address=address,
                                     external_id=external_id, language_hint=hint, **fields),
                      address)

    text, caption = _text(message.text, "text"), _text(message.caption, "caption")
    if text is not None:
        command = _COMMAND.match(text.strip())
        if command is not None:
            name, argument = command.group(1).lower(), (command.group(2) or "").strip()
            if name == "start":
                payload = argument if START_PAYLOAD.match(argument) else None
                return inbound(kind=InboundKind.START, payload=payload)
            # /menu, /help, /stop, /delete ... are the command words without the slash.
            return inbound(text=f"{name} {argument}".strip())
        return inbound(text=text)
    if caption:
        return inbound(text=caption)
    if any(getattr(message, name, None) for name in MEDIA_FIELDS):
        return inbound(kind=InboundKind.MEDIA)
    # Service messages (pinned, new members ...) say nothing to answer.
    return Parsed(None, ignored="service_message")


def send_message_call(chat_id: str, reply: OutboundMessage) -> dict[str, Any]:
    text, rows = render_telegram(reply)
    call: dict[str, Any] = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    if rows:
        call["reply_markup"] = {"inline_keyboard": [
            [{"text": label, "callback_data": key} for label, key in row] for row in rows]}
    return call


def merged(replies: list[OutboundMessage]) -> OutboundMessage:
    """Several replies as one message (only when no Bot API sender is configured)."""
    options = tuple(option for reply in replies for option in reply.options)
    return OutboundMessage(text="\n\n".join(reply.text.strip() for reply in replies),
                           options=options, intent=replies[-1].intent)


def respond(app: Haki, parsed: Parsed, replies: list[OutboundMessage]) -> Response:
    """Put one Bot API call in the webhook response; send the rest through the API."""
    calls: list[dict[str, Any]] = []
    if (parsed.callback_message_id is not None and parsed.chat_id and parsed.inbound is not None
            and (parsed.inbound.payload or "").startswith(SINGLE_USE_BUTTONS)
            and app.haki.background is not None):
        # Done and its outcome buttons work once: take them off the message (ACK stays, so the
        # notice still offers Done after an ACK).
        app.haki.background.remove_buttons(parsed.chat_id, parsed.callback_message_id)
    if parsed.callback_query_id:
        calls.append({"method": "answerCallbackQuery",
                      "callback_query_id": parsed.callback_query_id})
    replies = [reply for reply in replies if reply.text.strip()]
    if replies and parsed.chat_id:
        if len(calls) + len(replies) > 1 and app.haki.background is not None:
            app.haki.background.submit(parsed.chat_id, replies)
        else:
            if len(replies) > 1:
                replies = [merged(replies)]
            calls = [send_message_call(parsed.chat_id, replies[0])]  # the press shows a reply
    if not calls:
        return Response("", status=200)
    return jsonify(calls[0])


@blueprint.post("/webhooks/telegram")
def webhook() -> Response:
    app: Haki = current_app  # type: ignore[assignment]
    settings = app.haki.services.settings
    started = time.perf_counter()
    if not secret_valid(settings):
        log.warning("telegram secret token missing or wrong", extra={"channel": "telegram"})
        return Response("forbidden", status=403, mimetype="text/plain")
    try:
        try:
            data = request.get_json(force=True, silent=True)
        except RecursionError:  # nested deeper than the parser's stack: not an update
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int) \
                or isinstance(data.get("update_id"), bool):
            log.warning("telegram body is not an update", extra={"channel": "telegram"})
            return Response("", status=200)
        try:
            parsed = parse_update(Update.de_json(data, None), settings)
        except Exception as error:  # noqa: BLE001 - a malformed update is bad input, not a bug
            # PTB builds objects without checking types, so a wrong shape fails anywhere in
            # it; our own checks raise MalformedUpdate. Either way: the reason, no content.
            log.warning("telegram update malformed, ignored",
                        extra={"channel": "telegram", "reason": type(error).__name__,
                               "field": str(error)[:40] if isinstance(error, MalformedUpdate)
                               else None})
            return Response("", status=200)
        if parsed.blocked is not None and parsed.chat_id:
            mark_blocked(app.haki.services, Channel.TELEGRAM, parsed.chat_id, parsed.blocked)
        if parsed.inbound is None:
            log.info("telegram update ignored", extra={"reason": parsed.ignored})
            return respond(app, parsed, [])
        return respond(app, parsed, app.haki.pipeline.handle(parsed.inbound))
    except HTTPException:
        raise  # 413 for an oversized body: answered by the app's handler
    except StorageUnavailable:
        # Nothing of the turn was saved (its receipt neither): Telegram redelivers the
        # update after a non-2xx answer, and the redelivery runs the turn afresh.
        return Response("database unavailable, retry later\n", status=503,
                        mimetype="text/plain", headers={"Retry-After": "5"})
    except Exception as error:  # noqa: BLE001 - never a 5xx to Telegram
        log_failure("telegram", error, started)
        return Response("", status=200)
    finally:
        app.haki.services.metrics.webhook_latency.labels("telegram").observe(
            time.perf_counter() - started)
