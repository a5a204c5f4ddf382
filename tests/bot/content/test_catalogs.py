"""`make locales` for a content editor: catalogs stay valid for msgfmt -c, the English a
translation was made from is kept as a #| block run after run, and nothing is rewritten
when no text changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.content.catalogs import read_catalog, update
from bot.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"
MSGFMT = shutil.which("msgfmt")


@pytest.fixture()
def locales(tmp_path: Path) -> Path:
    shutil.copytree(LOCALES, tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path / "locales"


def edited_template(locales: Path, old: str, new: str) -> Path:
    """The template as `pybabel extract` writes it after an editor changed one English text."""
    template = locales / "haki.pot.new"
    text = (locales / "haki.pot").read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new, 1), encoding="utf-8")
    return template


def msgfmt_check(path: Path) -> None:
    assert MSGFMT, "msgfmt (gettext) is needed"
    result = subprocess.run([MSGFMT, "-c", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(MSGFMT is None, reason="needs gettext's msgfmt")
def test_every_committed_catalog_passes_msgfmt_check() -> None:
    for language in ("en", "zu", "af"):
        msgfmt_check(LOCALES / language / "LC_MESSAGES" / "haki.po")


@pytest.mark.skipif(MSGFMT is None, reason="needs gettext's msgfmt")
def test_an_edited_text_keeps_its_previous_english_through_two_runs(locales: Path) -> None:
    old = '"If you want, type ONE line about what happened. The {responder} and our "'
    template = edited_template(locales, old, '"If you like, type ONE line about what happened. The {responder} and our "')
    update(template, locales, ["en", "zu", "af"], pot_path=locales / "haki.pot")
    zu = locales / "zu" / "LC_MESSAGES" / "haki.po"
    first = zu.read_text(encoding="utf-8")
    assert '#| msgctxt "common:system.esc_summary_prompt"' in first
    assert "#| msgid" in first and "If you want, type ONE line" in first
    msgfmt_check(zu)
    message = next(m for m in read_catalog(zu, "zu") if m.context == "common:system.esc_summary_prompt")
    assert message.fuzzy and message.previous_id and "If you want" in message.previous_id[0]
    # A second run (another editor, the next day) keeps the block and changes nothing.
    update(template, locales, ["en", "zu", "af"], pot_path=locales / "haki.pot")
    assert zu.read_text(encoding="utf-8") == first
    msgfmt_check(zu)


def test_unchanged_texts_rewrite_no_file(locales: Path) -> None:
    template = locales / "haki.pot.new"
    text = (locales / "haki.pot").read_text(encoding="utf-8")
    # Only the creation date differs, as on every extraction.
    lines = [line if not line.startswith('"POT-Creation-Date:') else '"POT-Creation-Date: 2030-01-01 00:00+0000\\n"'
             for line in text.splitlines()]
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = [locales / "haki.pot"] + [locales / lang / "LC_MESSAGES" / "haki.po" for lang in ("en", "zu", "af")]
    before = {f: f.stat().st_mtime_ns for f in files}
    update(template, locales, ["en", "zu", "af"], pot_path=locales / "haki.pot")
    assert {f: f.stat().st_mtime_ns for f in files} == before
