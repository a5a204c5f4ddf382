"""The content library against the real content/ and locales/: the core's contract."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.content import ContentLibrary, Topic
from bot.content.placeholders import placeholders
from bot.content.catalogs import load_translations
from bot.settings import PROJECT_ROOT
from bot.sms_encoding import count_segments, is_gsm7, non_gsm7_characters

CONTENT = PROJECT_ROOT / "content"
LOCALES = PROJECT_ROOT / "locales"
LANGUAGES = ("en", "zu", "af")

#: From ../shared/spec/intents.md: every one must be answered by a topic.
TOPICAL = (
    "rights_arrest", "rights_48_hours", "rights_lawyer", "rights_medication_custody",
    "rights_search", "rights_bail", "police_bribe", "nsp_letter", "needles_confiscated",
    "condoms_evidence", "sex_work_law", "drug_law", "report_police", "find_legal_help",
    "find_health_service", "talk_to_person",
)
URGENT = ("urgent_arrested_now", "urgent_violence", "urgent_medical_custody")
PLACEHOLDER_LEFTOVER = ("{", "}", "TODO", "FIXME", "XXX", "lorem")


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    return ContentLibrary.load(CONTENT, LOCALES, LANGUAGES)


def test_load_is_fast_and_finds_za() -> None:
    started = time.perf_counter()
    library = ContentLibrary.load(CONTENT, LOCALES, LANGUAGES)
    assert time.perf_counter() - started < 0.3
    assert "za" in library.jurisdictions


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", TOPICAL + URGENT)
def test_every_intent_answered_translated_sourced_and_sms_safe(library: ContentLibrary, intent: str,
                                                               language: str) -> None:
    topic = library.topic("za", intent, language)
    assert isinstance(topic, Topic)
    assert topic.translated, f"{intent} is not translated into {language}"
    assert topic.language == language
    assert topic.sources, "every answer names its source"
    assert 0 < len(topic.title) <= 24
    count = count_segments(topic.sms)
    assert is_gsm7(topic.sms), non_gsm7_characters(topic.sms)
    assert count.segments <= 2, (count, topic.sms)
    # The SMS carries its sources line and the "general info" disclaimer inside the 2 segments.
    footer = library.text("sms_footer", language, "za", help="")
    assert footer.split(":")[0] in topic.sms
    assert library.text("sources_label", language) in topic.full
    assert library.text("disclaimer_full", language) in topic.full
    for text in (topic.sms, topic.full, topic.title):
        for leftover in PLACEHOLDER_LEFTOVER:
            assert leftover not in text, f"{leftover!r} left in {intent}/{language}"
    assert topic.reviewed.isoformat() == "2026-11-22"
    for follow_up in topic.follow_ups:
        assert library.topic("za", follow_up, language) is not None


@pytest.mark.parametrize("intent", URGENT)
@pytest.mark.parametrize("language", LANGUAGES)
def test_safety_texts_give_emergency_numbers(library: ContentLibrary, intent: str, language: str) -> None:
    text = library.safety("za", intent, language)
    assert count_segments(text).segments <= 2 and is_gsm7(text)
    assert "10111" in text
    assert "0800 333 177" in text or "0800 428 428" in text


def test_menu_has_about_eight_topical_intents(library: ContentLibrary) -> None:
    menu = library.menu_intents("za")
    assert 6 <= len(menu) <= 9
    assert set(menu) <= set(TOPICAL)


@pytest.mark.parametrize("language", LANGUAGES)
def test_system_texts_exist_fit_sms_and_never_return_a_key(library: ContentLibrary, language: str) -> None:
    keys = ("welcome", "privacy_notice", "disclaimer", "menu_intro", "language_prompt",
            "language_changed", "not_understood", "stop_confirmed", "start_confirmed",
            "delete_confirm", "delete_done", "delete_cancelled", "media_unsupported",
            "empty_message", "greet", "thanks", "goodbye", "rate_limited",
            "fallback_language_note", "option_menu", "option_yes", "option_no", "option_more",
            "help_commands")
    for key in keys:
        text = library.text(key, language, "za")
        assert text and text != key and "{" not in text
        assert library.is_translated(key, language)
        assert is_gsm7(text) and count_segments(text).segments <= 2, (key, language)
    assert library.text("language_name_zu", "en") == "isiZulu"
    assert "10111" in library.text("not_understood", language)


def test_unknown_system_key_raises_instead_of_showing_it(library: ContentLibrary) -> None:
    with pytest.raises(KeyError):
        library.text("no_such_text", "zu")


def test_unsupported_language_falls_back_to_english(library: ContentLibrary) -> None:
    topic = library.topic("za", "rights_arrest", "xh")
    assert topic is not None and not topic.translated and topic.language == "en"
    assert topic.sms == library.topic("za", "rights_arrest", "en").sms  # type: ignore[union-attr]
    assert library.text("welcome", "xh") == library.text("welcome", "en")
    assert not library.is_translated("welcome", "xh")


def test_conversational_intents_have_no_topic(library: ContentLibrary) -> None:
    assert library.topic("za", "greet", "en") is None
    assert library.topic("za", "out_of_scope", "zu") is None


def test_command_words(library: ContentLibrary) -> None:
    zu = library.command_words("zu")
    assert zu["YIMA"] == "stop" and zu["STOP"] == "stop" and zu["YEBO"] == "yes" and zu["CHA"] == "no"
    af = library.command_words("af")
    assert af["VEE UIT"] == "delete" and af["VEEUIT"] == "delete" and af["JA"] == "yes"
    assert af["KIESLYS"] == "menu" and af["MENU"] == "menu"
    assert library.command_words("en")["DELETE"] == "delete"


@pytest.mark.parametrize("language", ("zu", "af"))
def test_placeholders_identical_in_every_translation(language: str) -> None:
    for (context, msgid), msgstr in load_translations(LOCALES, language, prefer="po").items():
        assert placeholders(msgid) == placeholders(msgstr), context


def test_missing_translation_falls_back_to_english_with_translated_false(tmp_path: Path) -> None:
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(CONTENT, content)
    shutil.copytree(LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    po = locales / "zu" / "LC_MESSAGES" / "haki.po"
    text = po.read_text(encoding="utf-8")
    # Drop the isiZulu SMS answer for rights_bail: the whole topic must fall back.
    start = text.index('msgctxt "za:topic.rights_bail.sms"')
    end = text.index("\n\n", start)
    po.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    library = ContentLibrary.load(content, locales, LANGUAGES)
    topic = library.topic("za", "rights_bail", "zu")
    assert topic is not None and topic.translated is False and topic.language == "en"
    assert topic.sms == library.topic("za", "rights_bail", "en").sms  # type: ignore[union-attr]
    assert library.topic("za", "rights_arrest", "zu").translated  # type: ignore[union-attr]
    assert not library.is_translated("rights_bail", "zu")


def test_edited_english_makes_the_old_translation_unused(tmp_path: Path) -> None:
    """A changed msgid no longer matches: English shows until the translator reviews it."""
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(CONTENT, content)
    shutil.copytree(LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    rights = content / "za" / "rights.yml"
    rights.write_text(rights.read_text(encoding="utf-8").replace(
        "Court within 48 hours.\n", "You must see a court within 48 hours.\n", 1), encoding="utf-8")
    library = ContentLibrary.load(content, locales, LANGUAGES)
    assert library.topic("za", "rights_arrest", "af").translated is False  # type: ignore[union-attr]
