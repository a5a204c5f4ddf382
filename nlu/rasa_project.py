"""The Rasa side of the NLU: where its venv, project files and trained model live.

Rasa 3.6 needs Python 3.10 and pins old TensorFlow/numpy, so it lives in its own venv
(``.venv-rasa``, made by ``make rasa``) and we drive it through subprocesses. Nothing
here imports rasa.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nlu import data

PROJECT_ROOT = data.NLU_DIR.parent
RASA_VENV = Path(os.environ.get("HAKI_RASA_VENV", PROJECT_ROOT / ".venv-rasa")).absolute()
CONFIG = data.NLU_DIR / "config.yml"
DOMAIN = data.NLU_DIR / "domain.yml"
MODEL_NAME = "haki-nlu"
RASA_VERSION = "3.6.21"
HOW_TO_GET_RASA = (
    "Rasa is not installed: run `make rasa` (needs python3.10; "
    "install it with `pyenv install 3.10` if missing)"
)


def rasa_bin() -> Path:
    return RASA_VENV / "bin" / "rasa"


def rasa_python() -> Path:
    return RASA_VENV / "bin" / "python"


def available() -> bool:
    return rasa_bin().exists() and rasa_python().exists()


def env() -> dict[str, str]:
    """Environment for every Rasa process: no telemetry, quiet TensorFlow, 2 threads."""
    environment = dict(os.environ)
    environment.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
            "LOG_LEVEL": environment.get("LOG_LEVEL", "WARNING"),
        }
    )
    return environment


def project_hash(nlu_dir: Path = data.TRAINING_DIR) -> str:
    files = data.yaml_files(nlu_dir) + [CONFIG, DOMAIN]
    return data.files_hash(files, RASA_VERSION)


def model_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "rasa"


def is_current(directory: Path) -> bool:
    """Does ``directory`` hold a model trained from the present data and config?"""
    try:
        meta = json.loads((Path(directory) / f"{MODEL_NAME}.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("data_hash") == project_hash() and (Path(directory) / f"{MODEL_NAME}.tar.gz").exists()


@dataclass(frozen=True, slots=True)
class TrainedModel:
    path: Path
    seconds: float
    trained: bool


def train(out_dir: Path, force: bool = False, nlu_dir: Path = data.TRAINING_DIR) -> TrainedModel:
    """Train ``out_dir/haki-nlu.tar.gz`` from ``nlu/`` unless the saved one is current."""
    out_dir = Path(out_dir).resolve()  # rasa runs with cwd=out_dir, so no relative paths
    nlu_dir = Path(nlu_dir).resolve()
    target = out_dir / f"{MODEL_NAME}.tar.gz"
    if not force and is_current(out_dir):
        return TrainedModel(target, 0.0, trained=False)
    if not available():
        raise RuntimeError(HOW_TO_GET_RASA)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(rasa_bin()), "train", "nlu",
            "--config", str(CONFIG),
            "--nlu", str(nlu_dir),
            "--domain", str(DOMAIN),
            "--out", str(out_dir),
            "--fixed-model-name", MODEL_NAME,
        ],
        check=True,
        env=env(),
        cwd=out_dir,  # rasa drops a .rasa/ cache in the working directory
    )
    seconds = time.perf_counter() - started
    meta = {"data_hash": project_hash(nlu_dir), "train_seconds": round(seconds, 1), "bytes": target.stat().st_size}
    (out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(out_dir / ".rasa", ignore_errors=True)
    return TrainedModel(target, seconds, trained=True)


def serve_command(model: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        str(rasa_bin()), "run", "--enable-api",
        "--model", str(model),
        "--interface", host,
        "--port", str(port),
    ]
