"""Migration 0003 builds exactly the peers tables of bot/peers/models.py, and removes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.storage import migrate
from bot.storage.db import make_engine
from bot.storage.registry import metadata

PEER_TABLES = {"peer_educators", "referral_codes", "referral_attributions", "reach_counts"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    name = f"haki_peers_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_0003_matches_the_models_and_downgrades_cleanly(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0003")
    engine = make_engine(empty_database)
    try:
        assert PEER_TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [d for d in compare_metadata(context, metadata) if _mentions_peers(d)]
        assert differences == []
        migrate.downgrade(empty_database, "0001")
        assert not PEER_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _mentions_peers(difference: object) -> bool:
    # educator_contacts (STATS senders) comes with 0011: tests/bot/figures/test_figures_migration.py
    text = repr(difference)
    return "educator_contacts" not in text and any(table in text for table in PEER_TABLES)
