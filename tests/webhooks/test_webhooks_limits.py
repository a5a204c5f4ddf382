"""Limits a webhook holds to: body size, even when chunked; replays of old requests.

Issue 13, items 8 and 9.
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from bot.storage.base import utcnow
from bot.storage.retention import purge_inbound_receipts
from tests.webhooks.conftest import (
    SMS_PATH,
    TELEGRAM_PATH,
    load,
    signed_sms,
    telegram_headers,
)


def chunked_post(base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` with Transfer-Encoding: chunked (no Content-Length), 8 KiB a chunk."""
    url = urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for start in range(0, len(body), 8192):
                piece = body[start:start + 8192]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we finished sending: the answer still comes
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_is_413_not_parsed_truncated(make_app, serve) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    base = serve(app)
    # A valid update whose text pushes the body past 64 KiB: read truncated, it would be
    # broken JSON (200, ignored); the promise is 413.
    update = load("telegram/text")
    update["message"]["text"] = "police " * 12000
    body = json.dumps(update).encode()
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]
    status = chunked_post(base, TELEGRAM_PATH, body,
                          {**telegram_headers(), "Content-Type": "application/json"})
    assert status == 413


def test_a_small_chunked_body_is_read_whole(make_app, serve) -> None:  # type: ignore[no-untyped-def]
    base = serve(make_app())
    body = json.dumps(load("telegram/text")).encode()
    status = chunked_post(base, TELEGRAM_PATH, body,
                          {**telegram_headers(), "Content-Type": "application/json"})
    assert status == 200


@pytest.mark.parametrize("days_later", [3, 29])
def test_a_captured_sms_replayed_days_later_is_not_answered_again(make_app, days_later: int) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    form = load("twilio/sms_text")
    first = client.post(SMS_PATH, **signed_sms(form))
    assert list(ET.fromstring(first.data).iter("Message"))
    services = app.haki.services
    with services.db.session() as session:  # the sweep runs every few minutes meanwhile
        purge_inbound_receipts(session, utcnow() + timedelta(days=days_later))
    replay = client.post(SMS_PATH, **signed_sms(form))
    assert replay.status_code == 200
    assert not list(ET.fromstring(replay.data).iter("Message"))
