"""The rasa backend: when Rasa is down, slow or talks nonsense, the person never notices."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nlu import NluService, service
from nlu.rasa_client import RasaClient
from tests.conftest import free_port


class _FakeRasa(BaseHTTPRequestHandler):
    delay = 0.0
    body = b""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        time.sleep(self.delay)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    def log_message(self, *args: object) -> None:
        pass


def _serve(delay: float, body: bytes) -> Iterator[str]:
    handler = type("Handler", (_FakeRasa,), {"delay": delay, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


GOOD = json.dumps(
    {
        "text": "x",
        "intent": {"name": "rights_bail", "confidence": 0.93},
        "intent_ranking": [
            {"name": "rights_bail", "confidence": 0.93},
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "rights_arrest", "confidence": 0.04},
        ],
    }
).encode()


@pytest.fixture
def slow_rasa() -> Iterator[str]:
    yield from _serve(delay=2.0, body=GOOD)


@pytest.fixture
def good_rasa() -> Iterator[str]:
    yield from _serve(delay=0.0, body=GOOD)


@pytest.fixture
def broken_rasa() -> Iterator[str]:
    yield from _serve(delay=0.0, body=b"<html>502 bad gateway</html>")


def _with_rasa(base: NluService, url: str, timeout: float = 0.3) -> NluService:
    return NluService(base.model, base.languages, base.threshold, rasa=RasaClient(url, timeout, cooldown_seconds=0))


def test_rasa_answers_when_up(nlu_service: NluService, good_rasa: str) -> None:
    parse = _with_rasa(nlu_service, good_rasa).parse("how does bail work", "en")
    assert (parse.intent, parse.backend, parse.fallback) == ("rights_bail", "rasa", False)
    assert "nlu_fallback" not in dict(parse.ranking)


def test_rasa_down_falls_back_to_embedded(nlu_service: NluService, caplog: pytest.LogCaptureFixture) -> None:
    before = service.fallback_count()
    rasa = _with_rasa(nlu_service, f"http://127.0.0.1:{free_port()}")
    with caplog.at_level(logging.WARNING, logger="haki.nlu"):
        parse = rasa.parse("they are arresting me now", "en")
    assert parse.intent == "urgent_arrested_now" and parse.urgent
    assert (parse.backend, parse.fallback) == ("embedded", True)
    assert service.fallback_count() == before + 1
    # The log says what happened, never what the person wrote.
    assert caplog.records and all("arresting" not in r.getMessage() for r in caplog.records)


def test_rasa_slow_falls_back_within_the_timeout(nlu_service: NluService, slow_rasa: str) -> None:
    before = service.fallback_count()
    rasa = _with_rasa(nlu_service, slow_rasa, timeout=0.3)
    started = time.perf_counter()
    parse = rasa.parse("how does bail work", "en")
    elapsed = time.perf_counter() - started
    assert (parse.intent, parse.fallback) == ("rights_bail", True)
    assert elapsed < 1.5
    assert service.fallback_count() == before + 1
    assert service.fallback_reasons().get("timeout", 0) >= 1


def test_rasa_nonsense_falls_back(nlu_service: NluService, broken_rasa: str) -> None:
    parse = _with_rasa(nlu_service, broken_rasa).parse("how does bail work", "en")
    assert parse.fallback and parse.intent == "rights_bail"


def test_cooldown_skips_rasa_after_a_failure(nlu_service: NluService) -> None:
    client = RasaClient(f"http://127.0.0.1:{free_port()}", 0.3, cooldown_seconds=60)
    rasa = NluService(nlu_service.model, nlu_service.languages, nlu_service.threshold, rasa=client)
    rasa.parse("hi")
    before = service.fallback_reasons().get("cooldown", 0)
    assert rasa.parse("hello").fallback
    assert service.fallback_reasons().get("cooldown", 0) == before + 1


def test_build_nlu_wires_the_rasa_backend(nlu_var_dir, good_rasa: str) -> None:  # type: ignore[no-untyped-def]
    from nlu import build_nlu
    from tests.nlu.conftest import nlu_settings

    built = build_nlu(nlu_settings(nlu_var_dir, nlu_backend="rasa", rasa_url=good_rasa, rasa_timeout_seconds=1.0))
    assert built.backend == "rasa"
    assert built.parse("bail?", "en").backend == "rasa"
