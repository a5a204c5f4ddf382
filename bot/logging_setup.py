"""Structured logs: one JSON object per line, with no personal data and no message text.

``configure_logging(settings)`` is called once per process (the gunicorn config, the
Celery entry point, the CLI). With ``HAKI_LOG_JSON=1`` every record becomes::

    {"ts": "2025-01-01T10:00:00.123Z", "level": "INFO", "logger": "haki.conversation",
     "msg": "turn", "person": "3fa2b1c0", "channel": "sms", "intent": "rights_arrest", "ms": 41.2}

Only the ``extra`` fields named in :data:`ALLOWED_FIELDS` are written, and only as short
scalars; anything else a caller passes is dropped rather than trusted. A record that
carries a known-sensitive field (``text``, ``phone``, ``chat_id`` ...) has that field
removed and is marked ``"redacted": [...]`` so the mistake is visible in review without
the data ever reaching the log. Exception messages are not written either: database
errors quote the parameters of the failed statement, which may be encrypted addresses or
pseudonyms. The exception's type and the traceback's frames (file, line, function) are.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

#: ``extra`` fields a log line may carry: counts, timings, labels, short tags.
ALLOWED_FIELDS = frozenset({
    "person",      # the pseudonym's first 8 hex characters (bot.identity.log_tag)
    "responder",   # a responder's tag, same rule
    "case",        # a case reference such as K7-3QF (not personal)
    "channel", "intent", "urgent", "language", "confidence", "backend", "fallback",
    "ms", "seconds", "attempt", "attempts", "count", "state", "status", "reason",
    "event", "task", "queue", "method", "path", "worker", "pid", "revision", "service",
    "notification", "bytes", "limit",
    "where", "at",  # code locations: "twilio_sms", "pipeline.py:57"
    "error", "error_code", "retry_after",  # an exception's type name, provider codes
})
#: Keys that must never be logged, whatever the caller intended.
SENSITIVE_FIELDS = frozenset({
    "text", "body", "message_text", "content", "summary", "address", "phone", "phone_number",
    "number", "msisdn", "from", "to", "from_", "chat_id", "chat", "user_id", "username",
    "name", "first_name", "last_name", "email", "token", "secret", "password", "auth_token",
    "api_key", "key", "payload", "pseudonym", "ip", "remote_addr",
})
#: Values longer than this are cut: a label or tag is short, a message is not.
MAX_VALUE_CHARS = 64
#: A person tag is exactly the first 8 hex characters of a pseudonym, nothing longer.
_TAG = re.compile(r"^[0-9a-f]{1,8}$")
_TAG_FIELDS = frozenset({"person", "responder"})

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None).__dict__
) | {"message", "asctime", "taskName"}


class SensitiveFieldFilter(logging.Filter):
    """Removes known-sensitive ``extra`` fields from a record and notes that it did."""

    def filter(self, record: logging.LogRecord) -> bool:
        removed = [key for key in list(record.__dict__)
                   if key.lower() in SENSITIVE_FIELDS and key not in _STANDARD_ATTRIBUTES]
        for key in removed:
            delattr(record, key)
        if removed:
            record.redacted = sorted(removed)
        return True


def _scalar(key: str, value: Any) -> Any:
    """A JSON-safe short scalar, or None when the value is not fit for a log line."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # enums such as Channel
        value = value.value
    if not isinstance(value, str):
        return None
    if key in _TAG_FIELDS:
        return value if _TAG.match(value) else None
    return value[:MAX_VALUE_CHARS]


def _frames(exc_info: Any) -> list[str]:
    """Where an exception happened, without its message (which may quote data)."""
    _, _, tb = exc_info
    return [f"{frame.filename}:{frame.lineno} {frame.name}"
            for frame in traceback.extract_tb(tb)[-8:]]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg and the allowed extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRIBUTES or key not in ALLOWED_FIELDS:
                continue
            safe = _scalar(key, value)
            if safe is not None or value is None:
                entry[key] = safe
        redacted = getattr(record, "redacted", None)
        if redacted:
            entry["redacted"] = redacted
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc_frames"] = _frames(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Human-readable lines for development, with the same allowed extra fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = []
        for key, value in record.__dict__.items():
            if key in ALLOWED_FIELDS and key not in _STANDARD_ATTRIBUTES:
                safe = _scalar(key, value)
                if safe is not None:
                    extras.append(f"{key}={safe}")
        return line + (" " + " ".join(extras) if extras else "")


def build_handler(json_lines: bool, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    handler.addFilter(SensitiveFieldFilter())
    return handler


#: Libraries that log request details (URLs with query strings, SQL parameters) at INFO.
_NOISY_LOGGERS = ("werkzeug", "urllib3", "sqlalchemy.engine", "httpx", "telegram", "twilio.http_client")


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Route every logger through one handler on the root logger; returns that handler.

    Safe to call more than once: an earlier Haki handler is replaced, not duplicated.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "haki_handler", False):
            root.removeHandler(existing)
    handler = build_handler(settings.log_json, stream)
    handler.haki_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # gunicorn's and Celery's own loggers propagate to the root: one format everywhere.
    for name in ("gunicorn.error", "gunicorn.access", "celery", "celery.task"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return handler


def gunicorn_logconfig(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for gunicorn's ``logconfig_dict`` setting."""
    formatter = "bot.logging_setup.JsonFormatter" if settings.log_json else "bot.logging_setup.PlainFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"sensitive": {"()": "bot.logging_setup.SensitiveFieldFilter"}},
        "formatters": {"haki": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "haki", "filters": ["sensitive"]}},
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": settings.log_level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            **{name: {"level": "WARNING"} for name in _NOISY_LOGGERS},
        },
    }


def _keep_our_logging(**_: Any) -> None:
    """Connected to Celery's ``setup_logging`` signal: Celery then leaves logging alone."""


def run_celery(argv: list[str]) -> None:
    """Run the ``celery`` command (worker, beat) with Haki's log format.

    Celery installs its own handlers unless a ``setup_logging`` receiver exists, so this
    connects one and configures ours first: ``python -m bot.logging_setup celery -A ... worker``.
    """
    from celery import signals
    from celery.bin.celery import main as celery_main

    from bot.settings import SettingsError, get_settings

    try:
        configure_logging(get_settings())
    except SettingsError as error:
        sys.stderr.write(f"haki: configuration error: {error}\n")
        raise SystemExit(2) from None
    signals.setup_logging.connect(_keep_our_logging, weak=False)
    sys.argv = ["celery", *argv]
    celery_main()


if __name__ == "__main__":
    if sys.argv[1:2] != ["celery"]:
        sys.exit("usage: python -m bot.logging_setup celery <celery arguments>")
    from bot.logging_setup import run_celery as _run  # the importable copy, not __main__'s

    _run(sys.argv[2:])
