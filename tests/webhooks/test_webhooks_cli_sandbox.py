"""`haki telegram set-webhook` against the stand-in, and the sandbox chat page."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.settings import get_settings
from tests.conftest import TEST_FERNET_KEY


@pytest.fixture
def haki_env(monkeypatch: pytest.MonkeyPatch, telegram_api, sqlite_url):  # type: ignore[no-untyped-def]
    """Environment for the `haki` command, pointing at the Telegram stand-in."""
    values = {"HAKI_SECRET_KEY": "test-" + "k" * 40, "HAKI_ENCRYPTION_KEYS": TEST_FERNET_KEY,
              "HAKI_DATABASE_URL": sqlite_url, "HAKI_PUBLIC_URL": "https://haki.example",
              "HAKI_TELEGRAM_TOKEN": telegram_api.token, "HAKI_TELEGRAM_SECRET": "s3cret_Tok-en",
              "HAKI_TELEGRAM_API_URL": telegram_api.url}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def test_set_webhook_registers_secret_and_allowed_updates(haki_env, telegram_api) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert result.exit_code == 0, result.output
    assert "https://haki.example/webhooks/telegram" in result.output
    [call] = telegram_api.calls("setWebhook")
    sent = telegram_api.params(call)
    assert sent["url"] == "https://haki.example/webhooks/telegram"
    assert sent["secret_token"] == "s3cret_Tok-en"
    assert sent["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert telegram_api.token not in result.output

    info = CliRunner().invoke(cli, ["telegram", "webhook-info"])
    assert "url: https://haki.example/webhooks/telegram" in info.output


def test_set_webhook_reports_a_refusal(haki_env, telegram_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    telegram_api.fail_next(1, status=400, method="setWebhook")
    result = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert result.exit_code != 0 and "Telegram refused" in result.output
    monkeypatch.setenv("HAKI_TELEGRAM_SECRET", "")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert result.exit_code != 0 and "HAKI_TELEGRAM_SECRET is not set" in result.output


def test_sandbox_is_off_unless_asked_for(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(sandbox=False).test_client()
    assert client.get("/").status_code == 404
    assert client.post("/sandbox/message", json={}).status_code == 404


def test_sandbox_page_loads_nothing_from_elsewhere(make_app) -> None:  # type: ignore[no-untyped-def]
    response = make_app().test_client().get("/")
    assert response.status_code == 200 and b"Haki sandbox" in response.data
    page = response.data.decode()
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_sandbox_conversation(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    session = "a1b2c3d4e5f6a7b8c9d0"
    first = client.post("/sandbox/message", json={"session": session, "start": ""}).get_json()
    menu = first["replies"][-1]
    assert menu["options"], "the start shows the main menu"
    key = menu["options"][0]["key"]
    pressed = client.post("/sandbox/message", json={"session": session, "button": key}).get_json()
    assert pressed["replies"][0]["text"]
    typed = client.post("/sandbox/message", json={"session": session, "text": "1"}).get_json()
    assert typed["replies"]


def test_the_sandbox_previews_sms(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    ask = {"session": "b1b2c3d4e5f6a7b8c9d0", "as": "sms"}
    client.post("/sandbox/message", json=ask | {"start": ""})
    answer = client.post("/sandbox/message", json=ask | {"text": "1"}).get_json()["replies"][0]
    assert answer["sms_encoding"] == "GSM-7" and answer["sms_segments"] <= 2
    assert answer["sms"].splitlines()[-1].startswith(tuple("123456789"))


@pytest.mark.parametrize("body", [None, {"text": "hi"}, {"session": "short", "text": "hi"}])
def test_sandbox_explains_bad_requests(make_app, body) -> None:  # type: ignore[no-untyped-def]
    response = make_app().test_client().post("/sandbox/message", json=body)
    assert response.status_code == 400 and "error" in response.get_json()
