"""One database session for a CLI command: settings from the environment, the schema
migrated to the newest revision first (a fresh install works without `haki db upgrade`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from bot.settings import Settings, get_settings
from bot.storage import migrate
from bot.storage.db import Database


@contextmanager
def migrated_session() -> Iterator[tuple[Settings, Session]]:
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            yield settings, session
    finally:
        database.dispose()
