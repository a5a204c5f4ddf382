"""Log lines an operator can parse, that never carry a person's words or numbers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import configure_logging, gunicorn_logconfig
from tests.conftest import make_settings


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_level = root.level
    handler = configure_logging(make_settings("sqlite://", log_json=True, log_level="INFO"), stream)
    yield logging.getLogger("haki.test"), stream
    root.removeHandler(handler)
    root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_turn_is_one_json_object_with_the_allowed_fields(json_log) -> None:  # type: ignore[no-untyped-def]
    log, stream = json_log
    log.info("turn", extra={"person": "3fa2b1c0", "channel": "sms", "intent": "rights_arrest",
                            "urgent": False, "ms": 41.2})
    [entry] = lines(stream)
    assert entry["msg"] == "turn"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "haki.test"
    assert str(entry["ts"]).endswith("Z")
    assert entry["person"] == "3fa2b1c0" and entry["channel"] == "sms"
    assert entry["intent"] == "rights_arrest" and entry["urgent"] is False and entry["ms"] == 41.2


def test_message_text_and_phone_numbers_are_removed_and_the_removal_is_visible(json_log) -> None:  # type: ignore[no-untyped-def]
    log, stream = json_log
    log.info("turn", extra={"text": "they took my ARVs", "phone": "+27821234567",
                            "chat_id": 99, "channel": "telegram"})
    raw = stream.getvalue()
    assert "ARVs" not in raw and "+2782" not in raw and "99" not in raw.replace("ms", "")
    [entry] = lines(stream)
    assert entry["redacted"] == ["chat_id", "phone", "text"]
    assert entry["channel"] == "telegram"


def test_fields_nobody_allowed_are_dropped_and_tags_must_be_short(json_log) -> None:  # type: ignore[no-untyped-def]
    log, stream = json_log
    log.info("turn", extra={"favourite_colour": "blue",
                            "person": "3fa2b1c0" * 8,  # a whole pseudonym is not a tag
                            "reason": "x" * 500})
    [entry] = lines(stream)
    assert "favourite_colour" not in entry
    assert "person" not in entry
    assert len(str(entry["reason"])) == 64


def test_an_exception_is_logged_by_type_and_place_without_its_message(json_log) -> None:  # type: ignore[no-untyped-def]
    log, stream = json_log
    try:
        raise ValueError("INSERT ... parameters ('+27821234567',)")
    except ValueError:
        log.exception("send failed", extra={"channel": "sms"})
    raw = stream.getvalue()
    assert "+2782" not in raw
    [entry] = lines(stream)
    assert entry["exc_type"] == "ValueError"
    assert any("test_logging_setup.py" in frame for frame in entry["exc_frames"])


def test_configuring_twice_keeps_one_handler(json_log) -> None:  # type: ignore[no-untyped-def]
    log, stream = json_log
    second = io.StringIO()
    handler = configure_logging(make_settings("sqlite://", log_json=True), second)
    try:
        log.info("once")
        assert stream.getvalue() == ""
        assert len(lines(second)) == 1
    finally:
        logging.getLogger().removeHandler(handler)


def test_gunicorns_own_loggers_write_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    import logging.config

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logging.config.dictConfig(gunicorn_logconfig(make_settings("sqlite://", log_json=True)))
        logging.getLogger("gunicorn.access").info("POST /webhooks/twilio/sms 200", extra={"text": "hi"})
        [line] = capsys.readouterr().err.splitlines()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    entry = json.loads(line)
    assert entry["logger"] == "gunicorn.access"
    assert entry["redacted"] == ["text"]
