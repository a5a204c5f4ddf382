"""`haki content check` and `haki content preview`, as editors and CI run them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.content.cli import content
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"
LOCALES = PROJECT_ROOT / "locales"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(content, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def tmp_content(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copytree(LOCALES, tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path / "content", tmp_path / "locales"


def paths(dirs: tuple[Path, Path]) -> list[str]:
    return ["--content-dir", str(dirs[0]), "--locales-dir", str(dirs[1])]


def test_check_passes_on_the_real_content() -> None:
    code, output = run("check")
    assert code == 0, output
    assert "0 error(s)" in output
    assert "za:rights_arrest" in output and "zu:" in output


def test_check_reports_a_schema_error_with_file_and_line(tmp_content: tuple[Path, Path]) -> None:
    rights = tmp_content[0] / "za" / "rights.yml"
    lines = rights.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.strip() == "title: Bail") + 1
    lines[number - 1] = "    titel: Bail"  # a typo an editor could make
    rights.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 1
    assert f"rights.yml:{number}: unknown topic field 'titel'" in output
    assert "topics.rights_bail.title is missing" in output


def test_check_reports_yaml_syntax_errors_with_line(tmp_content: tuple[Path, Path]) -> None:
    urgent = tmp_content[0] / "za" / "urgent.yml"
    urgent.write_text(urgent.read_text(encoding="utf-8") + "  broken: [unclosed\n", encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 1 and "urgent.yml:" in output and "YAML syntax" in output


def test_check_rejects_an_answer_without_sources(tmp_content: tuple[Path, Path]) -> None:
    drugs = tmp_content[0] / "za" / "harm_reduction.yml"
    text = drugs.read_text(encoding="utf-8")
    text = text.replace("sources: [drugs_act, prince, cannabis_act]", "sources: []", 1)
    text = text.replace("    sms_sources: [drugs_act, prince]\n", "", 1)
    drugs.write_text(text, encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 1
    assert "drug_law: every answer needs at least one source" in output


def test_check_rejects_ucs2_and_long_sms(tmp_content: tuple[Path, Path]) -> None:
    harm = tmp_content[0] / "za" / "harm_reduction.yml"
    text = harm.read_text(encoding="utf-8")
    text = text.replace("Carrying condoms is not a crime.", "Carrying condoms is not a crime \u2014 ever.", 1)
    text = text.replace("Ask your needle programme (NSP)", "Ask your needle programme (NSP) " + "really " * 30, 1)
    harm.write_text(text, encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 1
    assert "en condoms_evidence: not GSM-7" in output and "U+2014" in output and "-> '-'" in output
    assert "en nsp_letter: 4 SMS segments" in output
    assert "zu nsp_letter" not in output  # a fallback to English is not reported twice
    # The edited English no longer matches the catalogs: translations count as outdated.
    assert "2 fuzzy or outdated" in output
    # ... and the check names them, per language, so a translator knows what to open.
    assert "    fuzzy: za:topic.condoms_evidence.sms" in output and "    fuzzy: za:topic.nsp_letter.sms" in output


def test_check_rejects_a_translation_that_changes_placeholders(tmp_content: tuple[Path, Path]) -> None:
    po = tmp_content[1] / "af" / "LC_MESSAGES" / "haki.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace("kla by {ipid}.", "kla by IPID.", 1), encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 1
    assert "placeholders differ from English" in output and "haki.po:" in output


def test_check_warns_on_old_reviews_but_passes(tmp_content: tuple[Path, Path]) -> None:
    bail = tmp_content[0] / "za" / "rights.yml"
    text = bail.read_text(encoding="utf-8")
    bail.write_text(text.replace("reviewed: 2026-11-22", "reviewed: 2020-01-01", 1), encoding="utf-8")
    code, output = run("check", *paths(tmp_content))
    assert code == 0, output
    assert "more than 12 months ago" in output


def test_preview_sms_is_the_rendered_message_with_segments() -> None:
    code, output = run("preview", "rights_arrest", "--lang", "zu", "--channel", "sms")
    assert code == 0, output
    assert "Uboshiwe?" in output and "UMthethosisekelo s35" in output
    assert "\n1 " in output  # numbered follow-ups, as render_sms shows them
    assert "segments: 2 (GSM-7" in output


def test_preview_telegram_shows_buttons_and_sources() -> None:
    code, output = run("preview", "sex_work_law", "--lang", "af", "--channel", "telegram")
    assert code == 0, output
    assert "Bronne:" in output and "[Hoofkeuselys] -> cmd:menu" in output


def test_preview_system_text_and_unknown_key() -> None:
    code, output = run("preview", "welcome", "--lang", "af")
    assert code == 0 and "Hallo, dit is Haki" in output and "segments:" in output
    code, output = run("preview", "no_such_thing")
    assert code != 0 and "unknown system text" in output
