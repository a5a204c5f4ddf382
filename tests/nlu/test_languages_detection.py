"""Which language a message is in: lingua, our training words and the marker lists, weighed
against the saved language; Sepedi, Sesotho and Setswana told apart; unsupported languages
recognised so the conversation can answer them safely."""

from __future__ import annotations

import pytest

from nlu import data
from nlu.language import LanguageGuesser
from nlu.language_table import load_table, supported_codes


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser(supported_codes(), "en")


@pytest.mark.parametrize(("text", "expected"), [
    ("ke tshwerwe ke maphodisa bjale ke nyaka ramolao", "nso"),
    ("ke tshwerwe ke mapolesa hona jwale ke batla ramolao", "st"),
    ("ke tshwerwe ke mapodisi jaanong ke batla ramolao", "tn"),
    ("ndibanjiwe ngamapolisa ngoku ndifuna igqwetha", "xh"),
    ("ngiboshiwe amaphoyisa manje ngidinga ummeli", "zu"),
    ("die polisie het my gearresteer en ek het n prokureur nodig", "af"),
    ("the police arrested me and i need a lawyer", "en"),
])
def test_close_languages_are_told_apart(guesser: LanguageGuesser, text: str, expected: str) -> None:
    guess = guesser.assess(text)
    assert guess.code == expected and guess.certain and guess.unsupported is None


@pytest.mark.parametrize(("text", "unsupported", "closest"), [
    ("ndzi khomiwile hi maphorisa sweswi ndzi pfuneni", "ts", "zu"),
    ("ndo farwa nga mapholisa zwino ndi khou humbela thuso", "ve", "nso"),
    ("ngibotjiwe ngemaphoyisa nyalo ngicela lusito", "ss", "zu"),
    ("lotjhani ngibotjhiwe amapholisa nanje", "nr", "zu"),
])
def test_unsupported_languages_are_recognised_and_answered_in_the_closest(
        guesser: LanguageGuesser, text: str, unsupported: str, closest: str) -> None:
    guess = guesser.assess(text)
    assert guess.unsupported == unsupported
    assert guess.code == closest


def test_short_or_shared_words_are_uncertain_and_the_saved_language_wins(guesser: LanguageGuesser) -> None:
    assert not guesser.assess("dumela").certain
    assert guesser.guess("dumela", "tn") == "tn"
    assert guesser.guess("ok", "nso") == "nso"
    assert guesser.guess("ke a leboga", "nso") == "nso"


def test_a_deployment_with_fewer_languages_never_answers_outside_them() -> None:
    small = LanguageGuesser(("en", "zu"), "en")
    for text in ["ke tshwerwe ke maphodisa bjale", "ndibanjiwe ngoku", "ndzi khomiwile sweswi"]:
        assert small.guess(text) in ("en", "zu")


@pytest.mark.parametrize("code", [i.code for i in load_table().supported if i.language_id_target])
def test_heldout_language_identification_meets_its_target(guesser: LanguageGuesser, code: str) -> None:
    """The issue's target (>= 0.90 on held-out street-style messages, no hint)."""
    target = load_table().get(code).language_id_target
    examples = [e for e in data.load(data.HELDOUT_DIR).examples if e.language == code]
    right = sum(guesser.guess(e.text) == code for e in examples)
    assert right / len(examples) >= target
