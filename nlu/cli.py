"""``haki nlu ...``: build the embedded model, train Rasa, parse a message, evaluate."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from bot.settings import PROJECT_ROOT, SettingsError


def _settings_or_none() -> object | None:
    from bot.settings import get_settings

    try:
        return get_settings()
    except SettingsError:
        return None


def _var_dir() -> Path:
    """``var_dir`` from the settings; building a model must not need the secret key."""
    settings = _settings_or_none()
    if settings is not None:
        return Path(settings.var_dir)  # type: ignore[attr-defined]
    return Path(os.environ.get("HAKI_VAR_DIR", PROJECT_ROOT / "var"))


@click.group()
def nlu() -> None:
    """Intent, urgency and language detection (embedded model and Rasa)."""


@nlu.command()
@click.option("--force", is_flag=True, help="Rebuild even when the training data is unchanged.")
def build(force: bool) -> None:
    """Build the embedded model into var/nlu/ when the training data changed."""
    from nlu.store import ensure_model

    started = time.perf_counter()
    result = ensure_model(_var_dir(), force=force)
    verb = "built" if result.built else "up to date"
    click.echo(f"embedded NLU model {verb}: {result.path} ({time.perf_counter() - started:.1f}s)")


@nlu.command("train-rasa")
@click.option("--force", is_flag=True, help="Retrain even when the data is unchanged.")
def train_rasa(force: bool) -> None:
    """Train the Rasa model from nlu/ into var/rasa/ (needs `make rasa`)."""
    from nlu import rasa_project

    if not rasa_project.available():
        raise click.ClickException(rasa_project.HOW_TO_GET_RASA)
    result = rasa_project.train(rasa_project.model_dir(_var_dir()), force=force)
    verb = f"trained in {result.seconds:.0f}s" if result.trained else "up to date"
    click.echo(f"rasa model {verb}: {result.path}")


@nlu.command("serve-rasa")
@click.option("--port", default=5005, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve_rasa(port: int, host: str) -> None:
    """Serve the trained Rasa model (``/model/parse``); trains it first if stale."""
    from nlu import rasa_project

    if not rasa_project.available():
        raise click.ClickException(rasa_project.HOW_TO_GET_RASA)
    model = rasa_project.train(rasa_project.model_dir(_var_dir())).path
    command = rasa_project.serve_command(model, port, host)
    os.execvpe(command[0], command, rasa_project.env())


@nlu.command()
@click.argument("text")
@click.option("--language", "language_hint", default=None, help="The person's saved language.")
def parse(text: str, language_hint: str | None) -> None:
    """Print the parse of TEXT as JSON (uses HAKI_NLU_BACKEND)."""
    from bot.settings import load_settings
    from nlu import build_nlu

    settings = _settings_or_none()
    if settings is None:  # a developer poking at the model needs no secrets
        settings = load_settings(secret_key="x" * 32 + "-nlu-parse-only", var_dir=_var_dir())
    result = build_nlu(settings).parse(text, language_hint)  # type: ignore[arg-type]
    json.dump(
        {
            "intent": result.intent,
            "confidence": result.confidence,
            "urgent": result.urgent,
            "language": result.language,
            "backend": result.backend,
            "fallback": result.fallback,
            "ranking": [list(pair) for pair in result.ranking],
        },
        sys.stdout,
        indent=2,
    )
    click.echo()


@nlu.command("eval")
@click.option("--folds", default=5, show_default=True, help="Stratified folds per language.")
@click.option(
    "--backends",
    default="embedded,rasa",
    show_default=True,
    help="Comma-separated: embedded, rasa (rasa is skipped with a note when not installed).",
)
@click.option("--output", type=click.Path(path_type=Path), default=PROJECT_ROOT / "docs" / "nlu-report.md", show_default=True)
@click.option("--seed", default=13, show_default=True)
def evaluate(folds: int, backends: str, output: Path, seed: int) -> None:
    """Cross-validate per language and backend; write docs/nlu-report.md."""
    from nlu.evaluation import run_evaluation
    from nlu.report import render

    chosen = [b.strip() for b in backends.split(",") if b.strip()]
    unknown = set(chosen) - {"embedded", "rasa"}
    if unknown:
        raise click.BadParameter(f"unknown backend(s): {', '.join(sorted(unknown))}", param_hint="--backends")
    results = run_evaluation(folds=folds, backends=chosen, seed=seed, progress=click.echo)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results), encoding="utf-8")
    click.echo(f"wrote {output}")
