"""Urgency favours recall: every held-out urgent message is flagged, in every language."""

from __future__ import annotations

import pytest

from nlu import URGENT_INTENTS, NluService
from nlu import data
from nlu.language_table import supported_codes
from nlu.normalize import fold
from nlu.urgency import load_lexicon

HELDOUT_URGENT = [e for e in data.load(data.HELDOUT_DIR).examples if e.intent in URGENT_INTENTS]

# Urgent situations phrased as other intents or in slang: the flag, not the intent, matters.
URGENT_BY_LEXICON = [
    ("im in the cells without my arvs right now", "en"),
    ("the gattas are here now, what do i do", "en"),
    ("cops outside the shelter right now", "en"),
    ("they raped me in the van", "en"),
    ("help me the police r here", "en"),
    ("they pointed a gun at my friend", "en"),
    ("amaphoyisa alapha manje", "zu"),
    ("bangishaya emaseli", "zu"),
    ("ngisesitokisini angizitholanga izidakamizwa zami", "zu"),
    ("amapoyisa angibambile ngisize", "zu"),
    ("die law is nou hier by ons", "af"),
    ("hulle het my toegesluit en ek bloei", "af"),
    ("ek sit in die selle sonder my pille", "af"),
    ("die cops wil my verkrag", "af"),
]

NOT_URGENT = [
    ("how does bail work", "en"),
    ("where can i get prep", "en"),
    ("thanks for the help", "en"),
    ("is sex work legal", "en"),
    ("i need a lawyer", "en"),
    ("ngiyabonga kakhulu", "zu"),
    ("ibheyili isebenza kanjani", "zu"),
    ("baie dankie", "af"),
    ("is dagga wettig", "af"),
    ("umshayeli wetekisi akangikhokhisanga kahle", "zu"),  # "driver" contains -mshay-
]


def test_there_are_heldout_urgent_messages_in_every_language() -> None:
    assert {e.language for e in HELDOUT_URGENT} == set(supported_codes())


@pytest.mark.parametrize("example", HELDOUT_URGENT, ids=lambda e: f"{e.language}:{e.text[:30]}")
def test_heldout_urgent_messages_are_flagged(nlu_service: NluService, example: data.Example) -> None:
    assert nlu_service.parse(example.text, example.language).urgent


def test_heldout_urgent_recall_without_language_hint(nlu_service: NluService) -> None:
    flagged = sum(nlu_service.parse(e.text).urgent for e in HELDOUT_URGENT)
    assert flagged / len(HELDOUT_URGENT) >= 0.98


@pytest.mark.parametrize(("text", "hint"), URGENT_BY_LEXICON)
def test_lexicon_and_slang_make_a_message_urgent(nlu_service: NluService, text: str, hint: str) -> None:
    assert nlu_service.parse(text, hint).urgent


@pytest.mark.parametrize(("text", "hint"), NOT_URGENT)
def test_ordinary_questions_are_not_urgent(nlu_service: NluService, text: str, hint: str) -> None:
    assert not nlu_service.parse(text, hint).urgent


def test_lexicon_needs_both_now_and_police_for_weak_words() -> None:
    lexicon = load_lexicon()
    assert not lexicon.matches(fold("i need help now with my sassa grant"))
    assert not lexicon.matches(fold("what can police do"))
    assert lexicon.matches(fold("the police are here now"))


def test_lexicon_scans_long_text_quickly() -> None:
    import time

    lexicon = load_lexicon()
    text = fold("blah " * 2000)
    started = time.perf_counter()
    for _ in range(20):
        lexicon.matches(text)
    assert (time.perf_counter() - started) / 20 < 0.05  # generous: catches catastrophic regexes only
