"""Storage: SQLAlchemy models, the engine and sessions, migrations, encryption at rest."""

from bot.storage.base import Base
from bot.storage.db import Database

__all__ = ["Base", "Database"]
