"""Fixtures for the figures tests: real services on SQLite (and PostgreSQL where marked)."""

from __future__ import annotations

import pytest
from figures_world import Records


@pytest.fixture
def records(services_for, database_url) -> Records:  # type: ignore[no-untyped-def]
    return Records(services_for(database_url))


@pytest.fixture
def sqlite_records(services) -> Records:  # type: ignore[no-untyped-def]
    return Records(services)
