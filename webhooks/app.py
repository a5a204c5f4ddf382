"""The Flask application: channels as blueprints, one set of services per process."""

from __future__ import annotations

import importlib
import io
import logging
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from bot.messages import Channel
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError, get_settings
from bot.turn import Turn
from webhooks.outbound import BackgroundReplies, quiet_client_loggers
from webhooks.pipeline import Pipeline, log_failure
from webhooks.ratelimit import RateLimiter, build_rate_limiter
from webhooks.reply_outbox import ReplyStore

log = logging.getLogger("haki.webhooks")

#: Blueprints other features add, imported when their module exists:
#: webhooks/ops.py (/healthz /readyz /metrics), webhooks/peers_api.py.
OPTIONAL_BLUEPRINTS = ("webhooks.ops:blueprint", "bot.peers.api:blueprint", "bot.figures.api:blueprint")


@dataclass
class HakiState:
    """What the views need, hung on the app as ``app.haki``."""

    services: Services
    pipeline: Pipeline
    limiter: RateLimiter
    #: Sends Telegram replies that do not fit in the webhook response; None without a token.
    background: BackgroundReplies | None
    #: The sandbox's own core (webhooks/web.py), on a separate database; None when off.
    sandbox: Pipeline | None = None


class Haki(Flask):
    haki: HakiState


def build_app(settings: Settings | None = None, services: Services | None = None,
              *, limiter: RateLimiter | None = None) -> Haki:
    if services is None:
        services = build_services(settings or get_settings())
    settings = services.settings
    quiet_client_loggers()

    app = Haki(__name__)
    # Werkzeug answers 413 before reading a body larger than this (providers never send one).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    if limiter is None:
        limiter = build_rate_limiter(settings.redis_url, settings.rate_limit_messages,
                                     settings.rate_limit_window_seconds)
        services.closers.append(limiter.close)
    sender = services.senders.get(Channel.TELEGRAM)
    background = (BackgroundReplies(sender, store=ReplyStore(services, Channel.TELEGRAM))
                  if sender is not None else None)
    if background is not None:
        services.closers.append(background.close)
    app.haki = HakiState(services, Pipeline(services, limiter), limiter, background)
    services.registry.erasers.append(lambda turn: _forget_counts(turn, limiter))

    from webhooks import telegram, twilio_sms

    app.register_blueprint(twilio_sms.blueprint)
    app.register_blueprint(telegram.blueprint)
    if settings.sandbox:
        from webhooks import web

        refuse_sandbox_in_production(settings)
        app.haki.sandbox = web.build_sandbox_pipeline(services, limiter)
        app.register_blueprint(web.blueprint)
    for target in OPTIONAL_BLUEPRINTS:
        blueprint = _optional(target)
        if blueprint is not None:
            app.register_blueprint(blueprint)

    app.before_request(lambda: _read_chunked_within_limit(app))

    if settings.console:
        # The console for responders and coordinators (console/, docs/console.md).
        from console import init_console

        init_console(app, services)

    _error_handlers(app)
    return app


def _forget_counts(turn: Turn, limiter: RateLimiter) -> None:
    """DELETE: the rate limiter's counts are named by the pseudonym; they go at once
    (after the commit) rather than expiring with their window a minute later."""
    who = turn.person.pseudonym
    turn.defer(lambda: limiter.forget(who))


def _optional(target: str) -> Blueprint | None:
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None  # that feature is not in this build
        raise
    return getattr(module, attribute)


def refuse_sandbox_in_production(settings: Settings) -> None:
    """An unauthenticated page that talks to the bot has no place in production: the app
    does not start (``haki serve`` says so in one line before starting gunicorn)."""
    if settings.sandbox and settings.environment == "production":
        raise SettingsError("HAKI_SANDBOX=1 is refused with HAKI_ENVIRONMENT=production: "
                            "the sandbox is for development only")


def _read_chunked_within_limit(app: Haki) -> None:
    """A chunked body (no Content-Length) is read here, up to the limit and one byte more:
    over the limit it is 413, like a body whose Content-Length says so. Without this the
    parsers would read the first 64 KiB and parse them as if that were the whole body."""
    environ = request.environ
    if request.content_length is not None or "wsgi.input_terminated" not in environ:
        return  # Werkzeug already checks Content-Length, and ignores unterminated streams
    limit = app.config["MAX_CONTENT_LENGTH"]
    stream = environ["wsgi.input"]
    body = b""
    while len(body) <= limit:
        chunk = stream.read(limit + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["wsgi.input_terminated"]


def _error_handlers(app: Haki) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        # Only the size: the body is never read, let alone logged.
        log.warning("request body too large, refused",
                    extra={"path": request.path, "bytes": request.content_length,
                           "limit": app.config["MAX_CONTENT_LENGTH"]})
        return "request body too large\n", 413

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | HTTPException:
        if isinstance(error, HTTPException):
            return error
        log_failure(request.path, error)
        if request.path.startswith("/webhooks/"):
            return Response("", status=200)  # providers retry anything else
        return Response("internal error\n", status=500, mimetype="text/plain")
