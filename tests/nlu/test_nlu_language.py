"""Language: the detector among our languages, weighed against the saved language."""

from __future__ import annotations

import pytest

from nlu import NluService
from nlu.language import LanguageGuesser


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser(("en", "zu", "af"), "en")


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        # clear, long enough: the text decides, whatever was saved
        ("amaphoyisa angiboshile manje ngicela usizo", None, "zu"),
        ("amaphoyisa angiboshile manje ngicela usizo", "en", "zu"),
        ("die polisie het my gearresteer en ek is bang", "en", "af"),
        ("the police arrested my friend last night, what can we do", "zu", "en"),
        # short or ambiguous: the saved language wins
        ("hi", "zu", "zu"),
        ("ok", "af", "af"),
        ("help", "zu", "zu"),
        ("R100", "af", "af"),
        ("stop", "zu", "zu"),
        # code-switching: the person's saved language is kept when plausible
        ("ngiboshiwe by the cops", "zu", "zu"),
        ("die cops het my naalde gevat", "af", "af"),
        # no hint, short: best guess, and never outside our languages
        ("ngiyabonga", None, "zu"),
        ("dankie", None, "af"),
        ("", None, "en"),
        ("😀", None, "en"),
    ],
)
def test_guess(guesser: LanguageGuesser, text: str, hint: str | None, expected: str) -> None:
    assert guesser.guess(text, hint) == expected


def test_unknown_hint_is_ignored(guesser: LanguageGuesser) -> None:
    assert guesser.guess("hi", "xh") == "en"


def test_default_language_when_nothing_is_known() -> None:
    assert LanguageGuesser(("en", "zu", "af"), "zu").guess("", None) == "zu"


def test_single_language_deployment() -> None:
    only = LanguageGuesser(("en",), "en")
    assert only.guess("ngiboshiwe", "zu") == "en"


def test_parse_language_is_always_a_configured_one(nlu_service: NluService) -> None:
    for text in ["bonjour tout le monde", "Guten Tag, wie geht es Ihnen heute", "ngiyabonga", "dankie", "hello", "", "🙂"]:
        assert nlu_service.parse(text, None).language in nlu_service.languages.codes


def test_mixed_language_messages_still_classify(nlu_service: NluService) -> None:
    assert nlu_service.parse("amaphoyisa took my condoms izolo", "zu").intent == "condoms_evidence"
    assert nlu_service.parse("die cops took my needles", "af").intent == "needles_confiscated"
