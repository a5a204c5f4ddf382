"""Fixtures for the console tests (their world: console_world.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.console_world import ConsoleWorld


@pytest.fixture
def console_for(services_for, telegram_api, twilio_api):  # type: ignore[no-untyped-def]
    from webhooks.app import build_app

    def build(database_url: str, **overrides: Any) -> ConsoleWorld:
        values: dict[str, Any] = {"console": True, "public_url": "https://localhost"}
        values.update(overrides)
        services = services_for(database_url, **telegram_api.settings(), **twilio_api.settings(),
                                **values)
        return ConsoleWorld(services, build_app(services=services), telegram_api, twilio_api)

    return build


@pytest.fixture
def world(console_for, sqlite_url) -> ConsoleWorld:  # type: ignore[no-untyped-def]
    return console_for(sqlite_url)


@pytest.fixture
def pg_world(console_for, postgres_url) -> ConsoleWorld:  # type: ignore[no-untyped-def]
    return console_for(postgres_url)
