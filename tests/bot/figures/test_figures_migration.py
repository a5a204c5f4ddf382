"""Migration 0011 adds exactly the figures columns and tables of the models, and removes them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.storage import migrate
from bot.storage.db import make_engine
from bot.storage.registry import metadata

NEW_TABLES = {"educator_contacts", "stats_tokens"}
NEW_CASE_COLUMNS = {"violation", "perpetrator", "is_test", "referred_at", "actioned_at",
                    "outcome_code", "outcome_at", "ack_minutes"}


def test_0011_matches_the_models_and_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        migrate.downgrade(url, "0006")
        inspector = inspect(engine)
        assert not NEW_TABLES & set(inspector.get_table_names())
        assert not NEW_CASE_COLUMNS & {c["name"] for c in inspector.get_columns("cases")}
    finally:
        engine.dispose()
