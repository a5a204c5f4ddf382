"""`haki peers ...` as a programme coordinator uses it (click's CliRunner, a real database)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from bot.cli import cli
from bot.settings import get_settings

CODE = re.compile(r"^code ([A-Z0-9]{8})$", re.MULTILINE)


@pytest.fixture
def haki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """Run `haki ...` against a fresh SQLite database configured through HAKI_* variables."""
    environment = {
        "HAKI_SECRET_KEY": "cli-test-" + "s" * 40,
        "HAKI_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HAKI_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HAKI_TELEGRAM_BOT_USERNAME": "HakiTestBot",
        "HAKI_SMS_NUMBER_DISPLAY": "31555",
        "HAKI_TWILIO_NUMBER": "",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["peers", *args], catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def test_register_link_list_revoke(haki) -> None:  # type: ignore[no-untyped-def]
    added = haki("add", "--name", "Thandi", "--org", "Sisonke", "--region", "gauteng", "--lang", "zu")
    assert added.exit_code == 0, added.output
    code = CODE.search(added.output).group(1)  # type: ignore[union-attr]
    assert f"https://t.me/HakiTestBot?start={code}" in added.output

    link = haki("link", code.lower())
    assert link.exit_code == 0
    assert link.output.splitlines() == [f"telegram: https://t.me/HakiTestBot?start={code}",
                                        f"sms:      JOIN {code}  to 31555"]

    issued = haki("issue", "1")
    second = CODE.search(issued.output).group(1)  # type: ignore[union-attr]
    assert second != code

    listing = haki("list")
    assert "Sisonke" in listing.output and code in listing.output and second in listing.output
    assert "Thandi" not in listing.output  # names stay encrypted unless asked for
    assert "Thandi" in haki("list", "--names").output

    assert haki("revoke", code).output.strip() == f"{code} revoked"
    assert f"{code}  revoked" in haki("list").output
    assert "revoked" in haki("link", code).output  # still printable, with a warning


def test_bad_input_is_explained_not_a_traceback(haki) -> None:  # type: ignore[no-untyped-def]
    region = haki("add", "--name", "X", "--org", "Sisonke", "--region", "Gauteng Province")
    assert region.exit_code == 1 and "region" in region.output
    language = haki("add", "--name", "X", "--org", "Sisonke", "--region", "gauteng", "--lang", "fr")
    assert language.exit_code == 1 and "language must be one of" in language.output
    assert haki("link", "Q7Q7Q7Q7").exit_code == 1
    assert haki("revoke", "nonsense").exit_code == 1
    assert haki("issue", "99").exit_code == 1
    assert "not a month" in haki("stats", "--from", "2026-13").output


def test_poster_writes_pdf_and_png(haki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    added = haki("add", "--name", "Thandi", "--org", "Sisonke", "--region", "gauteng", "--lang", "zu")
    code = CODE.search(added.output).group(1)  # type: ignore[union-attr]
    out = tmp_path / "posters"
    result = haki("poster", code, "--lang", "zu", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / f"poster-{code}-zu.pdf").read_bytes().startswith(b"%PDF")
    assert (out / f"poster-{code}-zu.png").exists()
    discreet = haki("poster", code, "--discreet", "--out", str(out))  # the educator's language
    assert (out / f"poster-{code}-zu-discreet.png").exists(), discreet.output
    haki("revoke", code)
    refused = haki("poster", code, "--out", str(out))
    assert refused.exit_code == 1 and "revoked" in refused.output


def test_stats_empty_then_json(haki) -> None:  # type: ignore[no-untyped-def]
    assert haki("stats").output.strip() == "no reach recorded yet"
    as_json = json.loads(haki("stats", "--json", "--by", "region").output)
    assert as_json == {"by": "region", "records": []}


def test_a_coordinator_registers_an_educators_phone_and_an_organisation_token(haki) -> None:  # type: ignore[no-untyped-def]
    added = haki("add", "--name", "Thandi", "--org", "Sisonke", "--region", "gauteng")
    assert added.exit_code == 0
    contact = haki("contact", "1", "--sms", "+27821234567")
    assert contact.exit_code == 0 and "STATS by sms" in contact.output
    assert haki("contact", "1").exit_code != 0  # neither --sms nor --telegram
    assert "no educator with id 9" in haki("contact", "9", "--telegram", "12345").output
    token = haki("token", "--org", "Sisonke")
    assert token.exit_code == 0 and token.output.strip().startswith("hk_")
    assert "no educator of 'Nobody'" in haki("token", "--org", "Nobody").output
    assert "1 token(s) of Sisonke revoked" in haki("token", "--org", "Sisonke", "--revoke").output


def test_an_sms_only_service_prints_posters_without_a_telegram_bot(haki, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HAKI_TELEGRAM_BOT_USERNAME", "")
    get_settings.cache_clear()
    code = CODE.search(haki("add", "--name", "T", "--org", "Sisonke", "--region", "gauteng").output)
    assert code is not None
    made = haki("poster", code.group(1), "--lang", "en", "--out", str(tmp_path))
    assert made.exit_code == 0 and made.output.strip().endswith(".png")
