"""Helpers for the webhook tests: the app on real services, signed provider requests,
the payload fixtures, and a real HTTP server for concurrency tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

from tests.standins.twilio import DEFAULT_AUTH_TOKEN

FIXTURES = Path(__file__).parent / "fixtures"
PUBLIC_URL = "https://haki.example"
TWILIO_TOKEN = DEFAULT_AUTH_TOKEN
TELEGRAM_SECRET = "test-Secret_token-123"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
TELEGRAM_PATH = "/webhooks/telegram"


def load(name: str) -> dict[str, Any]:
    """A payload fixture: ``twilio/sms_text`` or ``telegram/callback_query``."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def twilio_signature(path: str, form: dict[str, str], token: str = TWILIO_TOKEN,
                     base: str = PUBLIC_URL) -> str:
    """What Twilio puts in X-Twilio-Signature for this form posted to base + path."""
    return RequestValidator(token).compute_signature(base + path, form)


def signed_sms(form: dict[str, str], path: str = SMS_PATH) -> dict[str, Any]:
    """Keyword arguments for a test client or requests: the form and its signature.

    Twilio sends a message's id under every name it has (MessageSid, SmsSid,
    SmsMessageSid), so a test that sets a new MessageSid gets it under all of them."""
    if "MessageSid" in form:
        form = form | {name: form["MessageSid"] for name in ("SmsSid", "SmsMessageSid")
                       if name in form}
    return {"data": form, "headers": {"X-Twilio-Signature": twilio_signature(path, form)}}


def telegram_headers(secret: str = TELEGRAM_SECRET) -> dict[str, str]:
    return {"X-Telegram-Bot-Api-Secret-Token": secret}


def form_body(form: dict[str, str]) -> bytes:
    return urlencode(form).encode("utf-8")


@pytest.fixture
def make_app(services_for, sqlite_url):  # type: ignore[no-untyped-def]
    """Build the Flask app on real services: ``make_app(database_url=..., **settings)``."""
    from webhooks.app import build_app

    def make(database_url: str | None = None, *, limiter: Any = None, **overrides: Any):  # type: ignore[no-untyped-def]
        values: dict[str, Any] = {"twilio_auth_token": TWILIO_TOKEN,
                                  "telegram_secret": TELEGRAM_SECRET,
                                  "public_url": PUBLIC_URL, "sandbox": True}
        values.update(overrides)
        services = services_for(database_url or sqlite_url, **values)
        return build_app(services=services, limiter=limiter)

    return make


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Serve an app on a real socket (threaded werkzeug server); returns its base URL."""
    servers: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def start(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        server.socket.listen(128)  # 50 simultaneous connections must not be refused
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
