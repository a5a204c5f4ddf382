"""Pytest fixtures: a fresh stand-in Telegram Bot API and Twilio REST API per test.

Registered for the whole suite by ``pytest_plugins = ["tests.standins.fixtures"]`` in
tests/conftest.py. Use them with the settings::

    def test_something(telegram_api, twilio_api, services_for, sqlite_url):
        services = services_for(sqlite_url, **telegram_api.settings(), **twilio_api.settings())
        ...
        assert telegram_api.sent_messages()[0]["text"].startswith("...")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.standins.telegram import TelegramStandin
from tests.standins.twilio import TwilioStandin


class TelegramApi(TelegramStandin):
    def settings(self) -> dict[str, Any]:
        """Setting overrides that make Haki talk to this stand-in."""
        return {"telegram_api_url": self.url, "telegram_token": self.token,
                "telegram_bot_username": self.bot_username}


class TwilioApi(TwilioStandin):
    def settings(self) -> dict[str, Any]:
        return {"twilio_api_url": self.url, "twilio_account_sid": self.account_sid,
                "twilio_auth_token": self.auth_token, "twilio_number": self.number}


@pytest.fixture
def telegram_api() -> Iterator[TelegramApi]:
    """A running stand-in Telegram Bot API on 127.0.0.1 (free port), stopped afterwards."""
    api = TelegramApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def twilio_api() -> Iterator[TwilioApi]:
    """A running stand-in Twilio Messages API on 127.0.0.1 (free port), stopped afterwards."""
    api = TwilioApi()
    api.start()
    yield api
    api.stop()
