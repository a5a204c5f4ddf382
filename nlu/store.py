"""Build, save and load the embedded model under ``var_dir/nlu/``.

The model file sits next to a sidecar JSON holding the hash of the training data, the
lookup tables and the model code version; a different hash means "rebuild". Writes go
to a temporary file and are renamed into place, so a worker starting while another
builds never reads half a model.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import sklearn

from nlu import data, embedded, slang, urgency_model

log = logging.getLogger("haki.nlu")

MODEL_FILE = "embedded.joblib"
META_FILE = "embedded.json"


@dataclass(frozen=True, slots=True)
class BuildResult:
    model: embedded.EmbeddedModel
    built: bool
    path: Path
    data_hash: str


def model_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "nlu"


def current_hash(training_dir: Path = data.TRAINING_DIR) -> str:
    inputs = data.yaml_files(training_dir) + slang.tables_hash_inputs() + urgency_model.training_files() + [urgency_model.LEXICON_FOR_HASH]
    return data.files_hash(inputs, embedded.MODEL_VERSION, sklearn.__version__)


def saved_hash(var_dir: Path) -> str | None:
    try:
        return str(json.loads((model_dir(var_dir) / META_FILE).read_text())["data_hash"])
    except (OSError, ValueError, KeyError):
        return None


def _atomic_write(path: Path, write: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)  # type: ignore[operator]
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save(model: embedded.EmbeddedModel, var_dir: Path, data_hash: str, examples: int) -> Path:
    directory = model_dir(var_dir)
    path = directory / MODEL_FILE
    _atomic_write(path, lambda tmp: joblib.dump(model, tmp, compress=0))
    meta = {
        "data_hash": data_hash,
        "model_version": embedded.MODEL_VERSION,
        "sklearn": sklearn.__version__,
        "examples": examples,
        "train_seconds": round(model.train_seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bytes": path.stat().st_size,
    }
    _atomic_write(directory / META_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2) + "\n"))
    return path


def ensure_model(var_dir: Path, force: bool = False, training_dir: Path = data.TRAINING_DIR) -> BuildResult:
    """Load the saved model when its data hash is current, otherwise train and save it."""
    wanted = current_hash(training_dir)
    path = model_dir(var_dir) / MODEL_FILE
    if not force and saved_hash(var_dir) == wanted and path.exists():
        try:
            model = joblib.load(path)
            if isinstance(model, embedded.EmbeddedModel):
                return BuildResult(model=model, built=False, path=path, data_hash=wanted)
        except Exception as error:  # a corrupt or incompatible file: rebuild it
            log.warning("embedded NLU model unreadable (%s); rebuilding", type(error).__name__)
    training = data.load(training_dir)
    model = embedded.train(training.examples, training.lookups)
    save(model, var_dir, wanted, len(training.examples))
    log.info("embedded NLU model built from %d examples in %.1fs", len(training.examples), model.train_seconds)
    return BuildResult(model=model, built=True, path=path, data_hash=wanted)
