"""Migration 0002 creates exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.escalation import models
from bot.storage.registry import metadata

OURS = {table.name for table in models.Base.metadata.sorted_tables
        if table.name in {"responders", "cases", "case_events", "notifications", "anonymous_reports"}}


def test_migrated_schema_matches_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    ours = [d for d in differences if any(name in str(d) for name in OURS)]
    assert len(OURS) == 5 and ours == []
