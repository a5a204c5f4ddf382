"""The ``web`` sandbox: a chat page at ``/`` for trying the bot and previewing content.

The sandbox talks to a core of its own (``build_sandbox_pipeline``): the same content and
NLU, but a separate throw-away database (a ``.sandbox.db`` file next to the SQLite
database, or ``var/sandbox.db``), no provider credentials and the in-process queue. So
nothing typed here reaches the real database, a responder, the peers figures or the case
figures: a case opened in the sandbox waits in the sandbox database for a responder that
does not exist. ``build_app`` refuses to start at all with the sandbox on in production.

With ``"as": "sms"`` the sandbox talks to the core as an SMS person would, so editors can
preview the short SMS version of each answer and its segment count. On only when
``HAKI_SANDBOX=1`` (``make run`` writes it into the development .env; off by
default, and a warning in the log if someone turns it on in production). Messages go
through the same pipeline as SMS and Telegram (rate limit, core, content) on the ``web``
channel; each reply comes back with its SMS rendering and segment count, so content
editors see what an SMS will cost. The page has no external assets: no CDN, no fonts.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.render import render_plain, render_sms, render_telegram
from bot.sms_encoding import count_segments
from bot.storage.db import StorageUnavailable
from webhooks.pipeline import Pipeline
from webhooks.sandbox_page import PAGE

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings
    from webhooks.app import Haki
    from webhooks.ratelimit import RateLimiter

blueprint = Blueprint("web", __name__)
_SESSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_SANDBOX_TEXT = 2000


@blueprint.get("/")
def page() -> Response:
    response = Response(PAGE, mimetype="text/html")
    # Everything is inline; nothing may load from elsewhere.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def rendered(reply: OutboundMessage) -> dict[str, Any]:
    sms = render_sms(reply)
    count = count_segments(sms)
    telegram_text, rows = render_telegram(reply)
    return {
        "text": render_plain(reply) if not reply.options else reply.text.strip(),
        "options": [{"key": option.key, "label": option.label} for option in reply.options],
        "intent": reply.intent,
        "sms": sms,
        "sms_segments": count.segments,
        "sms_encoding": count.encoding,
        "telegram_text": telegram_text,
        "telegram_buttons": [label for row in rows for label, _ in row],
    }


@blueprint.post("/sandbox/message")
def message() -> tuple[Response, int] | Response:
    app: Haki = current_app  # type: ignore[assignment]
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the JSON parser's stack: not a message
        data = None
    if not isinstance(data, dict):
        return jsonify({"error": "send JSON: {\"session\": ..., \"text\": ...}"}), 400
    session = str(data.get("session", ""))
    if not _SESSION.match(session):
        return jsonify({"error": "session must be 16-64 letters, digits, _ or -"}), 400
    text = str(data.get("text") or "")[:MAX_SANDBOX_TEXT]
    button, start = data.get("button"), data.get("start")
    fields: dict[str, Any] = {"text": text}
    if isinstance(button, str) and button:
        fields = {"kind": InboundKind.BUTTON, "payload": button[:64]}
    elif start is not None:
        fields = {"kind": InboundKind.START, "payload": str(start)[:64] or None}
    language = data.get("language")
    # "as": "sms" talks to the core as an SMS person would (short SMS texts, numbered menus)
    # to preview what a text costs; the default is the web channel's full answers.
    channel = Channel.SMS if data.get("as") == "sms" else Channel.WEB
    inbound = InboundMessage(channel=channel, address=f"sandbox-{session}",
                             external_id=secrets.token_hex(12),
                             language_hint=language if isinstance(language, str) else None,
                             **fields)
    pipeline = app.haki.sandbox
    assert pipeline is not None, "the blueprint is only registered with a sandbox pipeline"
    try:
        replies = pipeline.handle(inbound)
    except StorageUnavailable:
        return jsonify({"error": "the database is unavailable; send it again shortly"}), 503
    return jsonify({"replies": [rendered(reply) for reply in replies]})


def sandbox_database_url(settings: Settings) -> str:
    """The sandbox's own SQLite file: beside the main SQLite database, else in var/."""
    main = make_url(settings.database_url)
    if main.get_backend_name() == "sqlite" and main.database and main.database != ":memory:":
        path = Path(main.database)
        return f"sqlite:///{path.with_name(path.stem + '.sandbox.db')}"
    return f"sqlite:///{settings.var_dir / 'sandbox.db'}"


def build_sandbox_pipeline(services: Services, limiter: RateLimiter) -> Pipeline:
    """A core on a separate database with no way to reach anyone (see the module doc)."""
    from bot.services import build_services
    from bot.storage.db import Database

    settings = services.settings.model_copy(update={
        "database_url": sandbox_database_url(services.settings),
        "telegram_token": "", "twilio_account_sid": "", "twilio_auth_token": "",
        "twilio_number": "", "queue": "inprocess", "redis_url": ""})
    database = Database(settings.database_url)
    try:
        database.create_all()
    except OperationalError:  # another worker created the tables at the same moment
        database.create_all()
    sandbox = build_services(settings, database=database, nlu=services.nlu,
                             content=services.content)
    services.closers.append(sandbox.close)
    return Pipeline(sandbox, limiter)
