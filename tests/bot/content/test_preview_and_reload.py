"""What an editor sees is what a person gets, and a saved change reaches a running service."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from bot.content.preview import build_messages
from bot.messages import Channel
from bot.render import render_sms, render_telegram
from bot.settings import PROJECT_ROOT

LANGUAGES = ("en", "zu", "af")


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.TELEGRAM])
@pytest.mark.parametrize("language", LANGUAGES)
def test_preview_of_an_answer_and_the_menu_equals_the_reply(person_on, services, channel: Channel,
                                                             language: str) -> None:
    person = person_on(channel)
    person.says("hello")
    person.says(f"LANG {language}")
    render = render_sms if channel is Channel.SMS else render_telegram
    name = "sms" if channel is Channel.SMS else "telegram"
    for key, press in (("rights_search", "intent:rights_search"), ("menu_intro", "cmd:menu")):
        replies = person.presses(press)
        preview = build_messages(services.content, key, language, "za", LANGUAGES, name)
        assert [render(m) for m in preview] == [render(m) for m in replies], (key, language, name)


def test_preview_of_a_safety_text_is_the_first_urgent_reply(person_on, services) -> None:
    person = person_on(Channel.TELEGRAM)
    person.says("LANG af")
    replies = person.presses("intent:urgent_arrested_now")
    preview = build_messages(services.content, "urgent_arrested_now", "af", "za", LANGUAGES, "telegram")
    assert len(preview) == 1 and preview[0].text == replies[0].text


@pytest.fixture()
def copied(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    shutil.copytree(PROJECT_ROOT / "locales", tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path / "content", tmp_path / "locales"


def test_a_saved_change_reloads_without_restart_and_broken_content_is_not_loaded(copied) -> None:
    content_dir, locales_dir = copied
    library = ContentLibrary.load(content_dir, locales_dir, LANGUAGES)
    rights = content_dir / "za" / "rights.yml"
    original = rights.read_text(encoding="utf-8")
    rights.write_text(original.replace("Cannot afford one? Ask the court", "No money? Ask the court", 1),
                      encoding="utf-8")
    assert library.refresh(force=True)
    assert "No money? Ask the court" in library.topic("za", "rights_lawyer", "en").sms  # type: ignore[union-attr]
    # The isiZulu translation was made from the old English: that one text is English now.
    assert not library.topic("za", "rights_lawyer", "zu").translated_for("sms")  # type: ignore[union-attr]
    # A half-saved file: the service keeps answering with what it had.
    rights.write_text(original + "  broken: [unclosed\n", encoding="utf-8")
    assert not library.refresh(force=True)
    assert "No money? Ask the court" in library.topic("za", "rights_lawyer", "en").sms  # type: ignore[union-attr]


def test_make_run_does_not_extract_or_merge_catalogs() -> None:
    """`make run` compiles .mo files (untracked) but never rewrites haki.pot or a .po."""
    result = subprocess.run(["make", "-n", "run"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "pybabel compile" in result.stdout
    assert "pybabel extract" not in result.stdout and "catalog_tool update" not in result.stdout
