"""The content library against the real content/ and locales/: the core's contract."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.content import ContentLibrary, Topic
from bot.content.catalogs import load_translations
from bot.content.placeholders import placeholders
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
    # 112 is free from any cellphone; 10111 beside it (legal-facts-za.md section 10).
    assert "112" in text and "10111" in text
    if intent == "urgent_medical_custody":
        assert "10177" in text  # the ambulance, not the complaints line


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
    # Drop the isiZulu SMS answer for rights_bail: that one text falls back, not the topic.
    start = text.index('msgctxt "za:topic.rights_bail.sms"')
    end = text.index("\n\n", start)
    po.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    library = ContentLibrary.load(content, locales, LANGUAGES)
    topic = library.topic("za", "rights_bail", "zu")
    english = library.topic("za", "rights_bail", "en")
    assert topic is not None and english is not None
    assert topic.translated is False and not topic.translated_for("sms")
    # The whole SMS is English (body, sources line, footer): one text, one language.
    assert topic.sms == english.sms
    # The Telegram answer and the menu label stay in isiZulu.
    assert topic.translated_for("full") and topic.full != english.full
    assert topic.title_translated and topic.title != english.title
    assert library.topic("za", "rights_arrest", "zu").translated  # type: ignore[union-attr]
    assert not library.is_translated("rights_bail", "zu")


def test_a_menu_with_one_untranslated_label_is_all_english(tmp_path: Path) -> None:
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(CONTENT, content)
    shutil.copytree(LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    po = locales / "af" / "LC_MESSAGES" / "haki.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgctxt "za:topic.drug_law.title"')
    end = text.index("\n\n", start)
    po.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    library = ContentLibrary.load(content, locales, LANGUAGES)
    menu = library.menu_intents("za")
    assert library.menu_language("za", "af", menu, ("menu_intro",)) == "en"
    assert library.menu_language("za", "zu", menu, ("menu_intro",)) == "zu"
    # The answer itself is still Afrikaans.
    assert library.topic("za", "drug_law", "af").translated_for("sms")  # type: ignore[union-attr]


@pytest.mark.parametrize("language", LANGUAGES)
def test_contacts_read_in_the_reader_language(library: ContentLibrary, language: str) -> None:
    """'112 or 10111' must not put an English word into an isiZulu SMS."""
    sms = library.topic("za", "urgent_arrested_now", language).sms  # type: ignore[union-attr]
    word = {"en": "112 or 10111", "zu": "112 noma 10111", "af": "112 of 10111"}[language]
    assert word in sms


@pytest.mark.parametrize("language", LANGUAGES)
def test_corrected_facts_are_said_in_every_language(library: ContentLibrary, language: str) -> None:
    """The 2026-11-26 review: what each answer must (not) say, checked on the real texts."""
    def sms(intent: str) -> str:
        return library.topic("za", intent, language).sms  # type: ignore[union-attr]

    def full(intent: str) -> str:
        return library.topic("za", intent, language).full  # type: ignore[union-attr]

    # Searches never cite CPA s37 (bodily features), anywhere.
    for intent in library.topic_intents("za"):
        assert "s37" not in sms(intent) and "37(1)" not in full(intent)
    # Legal Aid: the means test wherever Legal Aid SA is offered for a lawyer.
    means = {"en": "income", "zu": "iholo", "af": "inkomste"}[language]
    assert means in sms("rights_lawyer") and means in sms("find_legal_help")
    # Drugs: the prescription exception.
    assert "methadone" in sms("drug_law") or "metadoon" in sms("drug_law")
    # 48 hours: no "held until Monday 16:00" promise.
    assert "16:00" not in sms("rights_48_hours")
    # Act 70 of 2008 is gone from the NSP answer.
    assert "70" not in full("nsp_letter")
    # SMS answers for everyone do not name SWEAT as the only help.
    for intent in ("rights_arrest", "report_police", "drug_law", "rights_search"):
        assert "SWEAT" not in sms(intent).rsplit(".", 1)[-1]
    # Regional services say they are regional.
    town = {"en": "Cape Town", "zu": "eKapa", "af": "Kaapstad"}[language]
    assert town in sms("talk_to_person")


def test_edited_english_makes_the_old_translation_unused(tmp_path: Path) -> None:
    """A changed msgid no longer matches: English shows until the translator reviews it."""
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(CONTENT, content)
    shutil.copytree(LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    rights = content / "za" / "rights.yml"
    rights.write_text(rights.read_text(encoding="utf-8").replace(
        "Court within 48 hours.\n", "You must see a court within 48 hours.\n", 1), encoding="utf-8")
    library = ContentLibrary.load(content, locales, LANGUAGES)
    topic = library.topic("za", "rights_arrest", "af")
    assert topic is not None and topic.translated is False and not topic.translated_for("sms")
    assert topic.translated_for("full")  # only the edited text falls back
