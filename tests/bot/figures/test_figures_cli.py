"""`haki figures ...` as a coordinator uses it: export a quarter to CSV and XLSX, mark a
test case, make an oversight token (click's CliRunner, a real database)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from figures_world import Records, at
from openpyxl import load_workbook

from bot.cli import cli
from bot.services import build_services
from bot.settings import get_settings


@pytest.fixture
def haki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    environment = {
        "HAKI_SECRET_KEY": "cli-test-" + "s" * 40,
        "HAKI_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HAKI_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


@pytest.fixture
def filled(haki, shared_nlu, shared_content) -> Records:  # type: ignore[no-untyped-def]
    from bot.storage import migrate

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    services = build_services(settings, nlu=shared_nlu, content=shared_content)
    records = Records(services)
    records.many(["2026-01", "2026-02", "2026-03"], 90)
    yield records
    services.close()


def test_a_quarter_exported_as_csv_and_xlsx(haki, filled, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = haki("figures", "export", "--from", "2026-01", "--to", "2026-03", "--format", "csv")
    assert result.exit_code == 0
    figures = result.output.split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(figures)))
    assert {r["month"] for r in rows} == {"2026-01", "2026-02", "2026-03"}
    assert not [r for r in rows if r["count"] not in ("x",) and 0 < int(r["count"]) < 5]
    out = tmp_path / "q1.xlsx"
    made = haki("figures", "export", "--from", "2026-01", "--to", "2026-03", "--format", "xlsx",
                "--out", str(out))
    assert made.exit_code == 0 and load_workbook(out).sheetnames[0] == "README"


def test_bad_months_get_one_clear_line(haki, filled) -> None:  # type: ignore[no-untyped-def]
    assert "not a month" in haki("figures", "export", "--from", "2026-1").output
    assert "complete months" in haki("figures", "export", "--from", "2099-01", "--to", "2099-01").output


def test_a_case_made_while_testing_leaves_the_figures(haki, filled) -> None:  # type: ignore[no-untyped-def]
    reference = filled.case(at("2026-02"), "rights_search", "free_state", ack_after=timedelta(minutes=5))
    before = haki("figures", "export", "--from", "2026-02", "--to", "2026-02").output
    assert "not counted" in haki("figures", "mark-test", reference).output
    after = haki("figures", "export", "--from", "2026-02", "--to", "2026-02").output
    assert before != after
    assert "counted again" in haki("figures", "mark-test", reference, "--undo").output
    assert haki("figures", "export", "--from", "2026-02", "--to", "2026-02").output == before


def test_cases_figures_is_the_suppressed_monthly_report(haki, filled) -> None:  # type: ignore[no-untyped-def]
    shown = haki("cases", "figures", "--month", "2026-02").output
    assert shown.startswith("== za 2026-02:") and "funnel: reported" in shown


def test_an_oversight_token_is_printed_once(haki, filled) -> None:  # type: ignore[no-untyped-def]
    token = haki("figures", "token", "--label", "IPID liaison").output.strip()
    assert token.startswith("hk_") and len(token) > 30
