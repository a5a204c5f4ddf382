"""A real Rasa 3.6 server, trained from nlu/, driving the NLU and the bot end to end.

Marked ``rasa``: `make test` runs these (it builds .venv-rasa with python3.10 first).
Without .venv-rasa they skip and say how to get it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.settings import PROJECT_ROOT
from nlu import NluService, build_nlu, rasa_project
from tests.nlu.conftest import nlu_settings
from tests.conftest import free_port

pytestmark = pytest.mark.rasa

STARTUP_SECONDS = 240


def _model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model `make rasa` trained into var/rasa/ if it matches the data, else a fresh one."""
    shared = rasa_project.model_dir(PROJECT_ROOT / "var")
    if rasa_project.is_current(shared):
        return shared / f"{rasa_project.MODEL_NAME}.tar.gz"
    return rasa_project.train(tmp_path_factory.mktemp("rasa-model")).path


@pytest.fixture(scope="session")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not rasa_project.available():
        pytest.skip(rasa_project.HOW_TO_GET_RASA)
    model = _model(tmp_path_factory)
    port = free_port()
    log_path = tmp_path_factory.mktemp("rasa-server") / "rasa.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            rasa_project.serve_command(model, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=rasa_project.env(),
            cwd=log_path.parent,
            start_new_session=True,  # so teardown can stop Rasa and anything it spawned
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"rasa server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.post(f"{url}/model/parse", json={"text": "hi"}, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"rasa server not ready after {STARTUP_SECONDS}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(1.0)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def rasa_nlu(rasa_url: str, tmp_path_factory: pytest.TempPathFactory) -> NluService:
    var_dir = tmp_path_factory.mktemp("rasa-nlu-var")
    return build_nlu(nlu_settings(var_dir, nlu_backend="rasa", rasa_url=rasa_url, rasa_timeout_seconds=10.0))


@pytest.mark.parametrize(
    ("text", "hint", "intent"),
    [
        ("how does bail work", "en", "rights_bail"),
        ("can the police take my condoms", "en", "condoms_evidence"),
        ("ngidinga ummeli kodwa anginamali", "zu", "rights_lawyer"),
        ("die polisie het my naalde gevat", "af", "needles_confiscated"),
        ("they are arresting me now", "en", "urgent_arrested_now"),
    ],
)
def test_live_rasa_classifies(rasa_nlu: NluService, text: str, hint: str, intent: str) -> None:
    parse = rasa_nlu.parse(text, hint)
    assert parse.backend == "rasa" and not parse.fallback
    assert parse.intent == intent, parse.ranking[:3]
    assert parse.language == hint


def test_live_rasa_urgency_and_language(rasa_nlu: NluService) -> None:
    parse = rasa_nlu.parse("amaphoyisa ayangishaya manje", None)
    assert parse.backend == "rasa" and parse.urgent and parse.language == "zu"


def test_live_rasa_bad_input(rasa_nlu: NluService) -> None:
    for text in ["", "😀😀", "x" * 5000, "\x00\x01 binary"]:
        parse = rasa_nlu.parse(text, "en")
        assert parse.intent in rasa_nlu.model.classes or parse.intent == "out_of_scope"


def test_bot_talks_through_live_rasa(rasa_url: str, sqlite_url: str, shared_content, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.conversation import Conversation
    from bot.messages import Channel
    from bot.services import build_services
    from tests.conftest import Person, make_settings

    settings = make_settings(sqlite_url, nlu_backend="rasa", rasa_url=rasa_url, rasa_timeout_seconds=10.0)
    services = build_services(settings, content=shared_content)
    try:
        assert services.nlu.backend == "rasa"
        person = Person(Conversation(services), Channel.SMS, "+27820009999")
        person.says("hi")
        replies = person.says("how does bail work")
        assert "rights_bail" in [reply.intent for reply in replies]
        urgent = person.says("police are beating me right now")
        assert urgent and urgent[0].intent in {"urgent_violence", "urgent_arrested_now"}
    finally:
        services.close()
