"""Settings are checked at start-up, and a mistake is explained in one line."""

import os
import subprocess
import sys

import pytest

from bot.settings import Settings, SettingsError, load_settings

GOOD_SECRET = "s" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("HAKI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env in the working folder
    # Ignore the developer's own .env: these tests describe the environment alone.
    monkeypatch.setattr(Settings, "model_config", {**Settings.model_config, "env_file": None})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "HAKI_SECRET_KEY is not set"),
        ({"secret_key": "short"}, "HAKI_SECRET_KEY is invalid"),
        ({"secret_key": "change-me" + "x" * 40}, "replace the placeholder"),
        ({"database_url": "mysql://db"}, "HAKI_DATABASE_URL is invalid"),
        ({"languages": "en,zulu"}, "'zulu' is not a two-letter ISO 639-1 code"),
        ({"encryption_keys": "not-a-key"}, "HAKI_ENCRYPTION_KEYS is invalid"),
        ({"nlu_backend": "gpt"}, "HAKI_NLU_BACKEND is invalid"),
        ({"ack_minutes": "0"}, "HAKI_ACK_MINUTES is invalid"),
    ],
)
def test_a_bad_value_names_the_variable(values: dict[str, str], expected: str) -> None:
    values = {"secret_key": GOOD_SECRET, **values} if "secret_key" in values or values else values
    with pytest.raises(SettingsError) as error:
        load_settings(**values)
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAKI_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("HAKI_LANGUAGES", "en,zu")
    monkeypatch.setenv("HAKI_DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.language_codes == ("en", "zu")
    # psycopg 3 is the driver we ship, so a bare postgresql:// URL is pointed at it.
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_the_cli_stops_with_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAKI_")}
    env["HAKI_DATABASE_URL"] = "oracle://nope"
    env["HAKI_SECRET_KEY"] = GOOD_SECRET
    result = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "haki: configuration error: HAKI_DATABASE_URL is invalid: "
        "use sqlite:///path or postgresql+psycopg://user@host/db"
    ]
