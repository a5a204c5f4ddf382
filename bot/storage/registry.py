"""Import every module that defines tables, so ``metadata`` knows them all.

Alembic's autogenerate and ``Database.create_all`` both read this. A feature that adds
tables adds its models module here.
"""

from __future__ import annotations

import importlib

from bot.storage.base import Base

MODEL_MODULES = (
    "bot.storage.models",
    "bot.escalation.models",
    "bot.peers.models",
    "bot.figures.models",
)

for _name in MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as error:  # a feature package not present in this build
        if not (error.name and _name.startswith(error.name)):
            raise

metadata = Base.metadata
