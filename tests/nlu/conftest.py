"""NLU fixtures: a service built from the real training data into a temporary var_dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings
from nlu import NluService, build_nlu, store
from tests.conftest import make_settings


def nlu_settings(var_dir: Path, **overrides: object) -> Settings:
    return make_settings("sqlite://", var_dir=var_dir, **overrides)


@pytest.fixture(scope="session")
def nlu_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var_dir holding one embedded model for the whole session (never the repo's var/).

    When `make nlu` already built a current model into var/, it is copied (read only)
    instead of trained again, which saves ~10 s per run.
    """
    directory = tmp_path_factory.mktemp("nlu-var")
    repo = store.model_dir(PROJECT_ROOT / "var")
    if store.saved_hash(PROJECT_ROOT / "var") == store.current_hash():
        target = store.model_dir(directory)
        target.mkdir()
        for name in (store.MODEL_FILE, store.META_FILE):
            shutil.copy2(repo / name, target / name)
    return directory


@pytest.fixture(scope="session")
def nlu_service(nlu_var_dir: Path) -> NluService:
    return build_nlu(nlu_settings(nlu_var_dir))
