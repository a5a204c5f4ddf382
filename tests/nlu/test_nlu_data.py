"""The training data honours the intent contract and the issue's minimums."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import nlu
from nlu import data
from nlu.normalize import fold
from nlu.urgency import load_lexicon

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "intents.md"
MINIMUM = {"en": 40, "zu": 20, "af": 20}


def test_intents_match_the_shared_spec() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} not present in this checkout")
    names = set(re.findall(r"`([a-z_0-9]+)`", SPEC.read_text()))
    spec_intents = {n for n in names if n not in {"xh", "st", "pt", "en", "zu", "af"}}
    assert spec_intents <= set(nlu.INTENTS)


def test_domain_lists_every_intent() -> None:
    domain = yaml.safe_load((data.NLU_DIR / "domain.yml").read_text())
    assert tuple(domain["intents"]) == nlu.INTENTS


def test_urgent_intents_are_intents() -> None:
    assert nlu.URGENT_INTENTS == {"urgent_arrested_now", "urgent_violence", "urgent_medical_custody"}
    assert nlu.URGENT_INTENTS <= set(nlu.INTENTS)


def test_every_intent_has_enough_examples_in_every_language() -> None:
    counts = Counter((e.language, e.intent) for e in data.load().examples)
    short = [
        f"{lang}/{intent}: {counts[(lang, intent)]}"
        for lang, minimum in MINIMUM.items()
        for intent in nlu.INTENTS
        if counts[(lang, intent)] < minimum
    ]
    assert not short, "too few examples: " + ", ".join(short)


def test_only_known_intents_in_training_and_heldout() -> None:
    for directory in (data.TRAINING_DIR, data.HELDOUT_DIR):
        assert {e.intent for e in data.load(directory).examples} <= set(nlu.INTENTS)


def test_heldout_never_appears_in_training() -> None:
    trained = {fold(e.text) for e in data.load().examples}
    leaked = [e.text for e in data.load(data.HELDOUT_DIR).examples if fold(e.text) in trained]
    assert not leaked, f"held-out messages found in training data: {leaked}"


def test_no_duplicate_examples_across_intents() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for example in data.load().examples:
        key = fold(example.text)
        if key in seen and seen[key] != example.intent:
            clashes.append(f"{example.text!r}: {seen[key]} / {example.intent}")
        seen.setdefault(key, example.intent)
    assert not clashes


def test_lookup_tables_are_loaded() -> None:
    lookups = data.load().lookups
    assert {"police", "custody", "medication", "drugs"} <= set(lookups)
    assert "gattas" in lookups["police"] and "amaphoyisa" in lookups["police"]


def test_fold_file_for_rasa_round_trips() -> None:
    training = data.load()
    some = list(training.examples)[:30]
    text = data.to_rasa_yaml(some, training.extras)
    path_examples = [
        (item["intent"], line[2:])
        for item in yaml.safe_load(text)["nlu"]
        if "intent" in item
        for line in item["examples"].splitlines()
    ]
    assert sorted(path_examples) == sorted((e.intent, e.text) for e in some)


def test_safety_lexicon_compiles() -> None:
    lexicon = load_lexicon()
    assert lexicon.matches(fold("they are beating me"))
