"""A stand-in for the Telegram Bot API (https://core.telegram.org/bots/api).

Speaks the real protocol: ``POST /bot<token>/<method>`` with a form, multipart or JSON body
(python-telegram-bot sends a form whose non-string values are JSON-encoded), answering
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``.

Point a bot at it with ``telegram.Bot(token, base_url=f"{standin.url}/bot")`` or the
settings ``telegram_api_url=standin.url, telegram_token=standin.token``.

Failures you can script::

    api.fail_next(3)                      # HTTP 500 for the next three calls
    api.rate_limit_next(retry_after=2)    # 429 {"parameters": {"retry_after": 2}}
    api.block_chat(42)                    # 403 "bot was blocked by the user" for that chat
    api.chat_interval = 0.2               # enforce a per-chat pace, answering 429 when broken
    api.stop(); api.start()               # outage: connection refused in between
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from typing import Any

from tests.standins.server import RecordedRequest, Response, Scripted, StandinServer

DEFAULT_TOKEN = "123456789:AAHtestTOKENstandin-not-a-real-token_x"

#: Methods this stand-in implements. Anything else gets Telegram's 404 "Not Found".
METHODS = (
    "getMe", "sendMessage", "answerCallbackQuery", "editMessageReplyMarkup", "editMessageText",
    "deleteMessage", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands",
    "sendChatAction", "logOut", "close",
)
_METHODS_BY_LOWER = {name.lower(): name for name in METHODS}


def _decode(value: Any) -> Any:
    """Form values python-telegram-bot JSON-encodes (keyboards, lists) back into objects."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class TelegramStandin(StandinServer):
    name = "telegram"

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "haki_test_bot") -> None:
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_username = bot_username
        #: Minimum seconds between two messages to one chat; None = no limit enforced.
        self.chat_interval: float | None = None
        self._message_ids = itertools.count(1001)
        self._last_send: dict[str, float] = {}
        self._blocked: set[str] = set()
        self._webhook: dict[str, Any] = {}
        self._state_lock = threading.Lock()

    # --- scripting ---------------------------------------------------------------------
    def fail_next(self, times: int = 1, status: int = 500, method: str | None = None) -> None:
        """Answer the next ``times`` calls (of ``method``, or any) with an HTTP error."""
        descriptions = {500: "Internal Server Error", 502: "Bad Gateway",
                        400: "Bad Request: message text is empty"}
        self.script(status, {"ok": False, "error_code": status,
                             "description": descriptions.get(status, "Error")},
                    times, self._matcher(method))

    def rate_limit_next(self, retry_after: float = 1, times: int = 1,
                        method: str | None = None) -> None:
        """Answer 429 with ``parameters.retry_after`` (Telegram's flood control)."""
        self.script(429, {"ok": False, "error_code": 429,
                          "description": f"Too Many Requests: retry after {math.ceil(retry_after)}",
                          "parameters": {"retry_after": retry_after}},
                    times, self._matcher(method))

    def block_chat(self, chat_id: int | str) -> None:
        """The person blocked the bot: sends to this chat answer 403 from now on."""
        with self._state_lock:
            self._blocked.add(str(chat_id))

    @staticmethod
    def _matcher(method: str | None):  # type: ignore[no-untyped-def]
        if method is None:
            return None
        return lambda operation: operation.lower() == method.lower()

    # --- queries for tests ---------------------------------------------------------------
    def calls(self, method: str) -> list[RecordedRequest]:
        """Successful and failed calls of one Bot API method, oldest first."""
        return [request for request in self.requests
                if self.operation(request).lower() == method.lower()]

    def sent_messages(self) -> list[dict[str, Any]]:
        """The parameters of every sendMessage call that was accepted (HTTP 200)."""
        return [self.params(request) for request in self.calls("sendMessage")
                if request.status == 200]

    @staticmethod
    def params(request: RecordedRequest) -> dict[str, Any]:
        """Parameters with JSON-encoded form values (reply_markup, allowed_updates) decoded."""
        return {key: _decode(value) for key, value in request.params.items()}

    @property
    def webhook(self) -> dict[str, Any]:
        """What the last setWebhook call registered (url, secret_token, allowed_updates...)."""
        with self._state_lock:
            return dict(self._webhook)

    # --- the protocol -------------------------------------------------------------------
    def operation(self, request: RecordedRequest) -> str:
        parts = request.path.strip("/").split("/")
        return parts[1] if len(parts) == 2 else request.path

    def scripted_response(self, entry: Scripted, request: RecordedRequest) -> Response:
        return Response(entry.status, entry.body, entry.headers)

    def answer(self, request: RecordedRequest) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return _error(404, "Not Found")
        if parts[0][3:] != self.token:
            return _error(401, "Unauthorized")
        method = _METHODS_BY_LOWER.get(parts[1].lower())
        if method is None:
            return _error(404, "Not Found")
        params = self.params(request)
        handler = getattr(self, f"_m_{method}")
        return handler(params)  # type: ignore[no-any-return]

    # --- methods ------------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Haki",
                "username": self.bot_username}

    def _m_getMe(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return _ok({**self._bot_user(), "can_join_groups": False,
                    "can_read_all_group_messages": False, "supports_inline_queries": False,
                    "can_connect_to_business": False, "has_main_web_app": False})

    def _m_sendMessage(self, params: dict[str, Any]) -> Response:  # noqa: N802
        chat_id = str(params.get("chat_id", ""))
        text = params.get("text", "")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        with self._state_lock:
            if chat_id in self._blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            now = time.monotonic()
            last = self._last_send.get(chat_id)
            if self.chat_interval is not None and last is not None \
                    and now - last < self.chat_interval:
                wait = self.chat_interval - (now - last)
                return Response(429, {"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after "
                                                     f"{math.ceil(wait)}",
                                      "parameters": {"retry_after": round(wait, 3)}})
            self._last_send[chat_id] = now
            message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return _ok(message)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired "
                               "or query ID is invalid")
        return _ok(True)

    def _edited(self, params: dict[str, Any]) -> Response:
        if params.get("inline_message_id"):
            return _ok(True)
        if not params.get("chat_id") or not params.get("message_id"):
            return _error(400, "Bad Request: message identifier is not specified")
        message: dict[str, Any] = {
            "message_id": int(params["message_id"]),
            "from": self._bot_user(),
            "chat": _chat(str(params["chat_id"])),
            "date": int(time.time()) - 5,
            "edit_date": int(time.time()),
            "text": params.get("text", "…"),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        return _ok(message)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return self._edited(params)

    def _m_editMessageText(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if not params.get("text"):
            return _error(400, "Bad Request: message text is empty")
        return self._edited(params)

    def _m_deleteMessage(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if not params.get("chat_id") or not params.get("message_id"):
            return _error(400, "Bad Request: message to delete not found")
        return _ok(True)

    def _m_setWebhook(self, params: dict[str, Any]) -> Response:  # noqa: N802
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                               "webhook")
        secret = params.get("secret_token")
        if secret is not None and not _valid_secret(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        with self._state_lock:
            self._webhook = dict(params)
        return _ok(True, description="Webhook was set" if url else "Webhook was deleted")

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Response:  # noqa: N802
        with self._state_lock:
            self._webhook = {}
        return _ok(True, description="Webhook was deleted")

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> Response:  # noqa: N802
        hook = self.webhook
        info: dict[str, Any] = {"url": hook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": 0}
        if hook.get("allowed_updates"):
            info["allowed_updates"] = hook["allowed_updates"]
        if hook.get("max_connections"):
            info["max_connections"] = int(hook["max_connections"])
        return _ok(info)

    def _m_setMyCommands(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return _ok(True)

    def _m_sendChatAction(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return _ok(True)

    def _m_logOut(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return _ok(True)

    def _m_close(self, params: dict[str, Any]) -> Response:  # noqa: N802
        return _ok(True)


def _valid_secret(secret: str) -> bool:
    # Bot API: 1-256 characters, only A-Z, a-z, 0-9, _ and -.
    return 1 <= len(secret) <= 256 and all(ch.isascii() and (ch.isalnum() or ch in "_-")
                                           for ch in secret)


def _chat(chat_id: str) -> dict[str, Any]:
    if chat_id.startswith("-100"):
        return {"id": int(chat_id), "title": "Test channel", "type": "channel"}
    if chat_id.startswith("-"):
        return {"id": int(chat_id), "title": "Test group", "type": "group"}
    if chat_id.startswith("@"):
        return {"id": -1001000000001, "title": chat_id[1:], "username": chat_id[1:],
                "type": "channel"}
    return {"id": int(chat_id), "first_name": "Test", "type": "private"}


def _ok(result: Any, description: str | None = None) -> Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return Response(200, body)


def _error(status: int, description: str) -> Response:
    return Response(status, {"ok": False, "error_code": status, "description": description})
