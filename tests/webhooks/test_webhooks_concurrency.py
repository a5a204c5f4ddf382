"""Providers deliver the same message many times at once; and some requests are huge."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.webhooks.conftest import (SMS_PATH, TELEGRAM_PATH, form_body, load,
                                     telegram_headers, twilio_signature)

DUPLICATES = 50


def _burst(send) -> list[requests.Response]:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=DUPLICATES) as pool:
        return list(pool.map(lambda _: send(), range(DUPLICATES)))


def test_50_concurrent_sms_duplicates_get_exactly_one_reply(make_app, serve, database_url) -> None:  # type: ignore[no-untyped-def]
    base = serve(make_app(database_url))
    form = load("twilio/sms_text")
    body, signature = form_body(form), twilio_signature(SMS_PATH, form)

    def send() -> requests.Response:
        return requests.post(base + SMS_PATH, data=body, timeout=30, headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded"})

    responses = _burst(send)
    assert [r.status_code for r in responses] == [200] * DUPLICATES
    answered = [r for r in responses if list(ET.fromstring(r.content).iter("Message"))]
    assert len(answered) == 1


def test_50_concurrent_telegram_duplicates_get_exactly_one_reply(make_app, serve, database_url) -> None:  # type: ignore[no-untyped-def]
    base = serve(make_app(database_url))
    update = load("telegram/text")

    def send() -> requests.Response:
        return requests.post(base + TELEGRAM_PATH, json=update, headers=telegram_headers(),
                             timeout=30)

    responses = _burst(send)
    assert [r.status_code for r in responses] == [200] * DUPLICATES
    assert sum(1 for r in responses if r.content) == 1


@pytest.mark.parametrize("path", [SMS_PATH, TELEGRAM_PATH, "/sandbox/message"])
def test_a_1mb_body_is_refused_cleanly(make_app, serve, path: str,
                                       caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    base = serve(make_app())
    marker = "CONFIDENTIAL-BODY-MARKER"
    body = (marker + "x" * 1024 * 1024).encode()
    try:
        response = requests.post(base + path, data=body, timeout=30, headers={
            **telegram_headers(), "X-Twilio-Signature": "x", "Content-Type": "application/json"})
        assert response.status_code == 413
    except requests.ConnectionError:
        # The server may close the socket before reading the rest of an oversized body;
        # either way nothing was processed. What matters follows: it still serves.
        pass
    follow_up = requests.post(base + TELEGRAM_PATH, json=load("telegram/sticker"),
                              headers=telegram_headers(), timeout=10)
    assert follow_up.status_code == 200
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert marker not in logged
    assert "too large" in logged
