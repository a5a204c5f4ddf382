"""Fixtures for the escalation tests (the world they build: escalation_world.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from escalation_world import Escalations


@pytest.fixture
def world_for(services_for, telegram_api, twilio_api) -> Callable[..., Escalations]:  # type: ignore[no-untyped-def]
    def build(database_url: str, **overrides: Any) -> Escalations:
        services = services_for(database_url, **telegram_api.settings(), **twilio_api.settings(),
                                **overrides)
        return Escalations(services, telegram_api, twilio_api)

    return build


@pytest.fixture
def world(world_for, database_url) -> Escalations:  # type: ignore[no-untyped-def]
    """Escalation on SQLite and on PostgreSQL."""
    return world_for(database_url)


@pytest.fixture
def sqlite_world(world_for, sqlite_url) -> Escalations:  # type: ignore[no-untyped-def]
    return world_for(sqlite_url)
