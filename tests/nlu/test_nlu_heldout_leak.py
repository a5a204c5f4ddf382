"""Measure honestly: no held-out or real-questions text may ever be trained on.

The street-style sets (nlu/data/street/, nlu/data/street2/) and the real questions (nlu/data/real/) only
mean something while the model has never seen them. A person adding training examples
by copying a test message would silently inflate every figure in docs/nlu-report.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import nlu
from nlu import data
from nlu.normalize import fold


#: every street-style held-out set; each must stay out of the training data
STREET_SETS = [data.STREET_DIR, data.STREET2_DIR]


def _street_examples() -> list[data.Example]:
    return [e for directory in STREET_SETS for e in data.load(directory).examples]


def _trained() -> set[str]:
    return {fold(e.text) for e in data.load().examples}


def _trained_long() -> list[str]:
    return [key for key in _trained() if len(key) >= 30]


@pytest.mark.parametrize("directory", STREET_SETS, ids=lambda d: d.name)
def test_street_sets_are_not_in_training_data(directory: Path) -> None:
    trained = _trained()
    leaked = [e.text for e in data.load(directory).examples if fold(e.text) in trained]
    assert not leaked, f"{directory.name}: street-style held-out messages found in training data: {leaked}"


def test_real_questions_are_not_in_training_data() -> None:
    trained = _trained()
    leaked = [q.text for q in data.load_real() if fold(q.text) in trained]
    assert not leaked, f"real questions found in training data: {leaked}"


def test_no_training_example_quotes_a_long_test_message() -> None:
    # A copied message with a word added is still a leak.
    tests = [fold(e.text) for e in _street_examples()] + [fold(q.text) for q in data.load_real()]
    long_tests = [t for t in tests if len(t) >= 30]
    trained_long = _trained_long()  # once: reading the training files is the slow part
    quoted = [t for t in long_tests for trained in trained_long if t in trained]
    assert not quoted, f"training examples contain test messages: {quoted}"


def test_test_sets_use_known_intents_and_every_real_question_has_a_source() -> None:
    for directory in STREET_SETS:
        street = data.load(directory).examples
        assert {e.intent for e in street} <= set(nlu.INTENTS), directory.name
        assert {e.language for e in street} == {"en", "zu", "af"}, directory.name
    real = data.load_real()
    assert len(real) >= 50
    for question in real:
        assert question.accepted <= set(nlu.INTENTS), question.text
        assert question.source.startswith("http"), question.text


def test_every_urgent_mark_in_a_street_set_names_one_of_its_messages() -> None:
    import yaml

    for path in (p for directory in STREET_SETS for p in data.yaml_files(directory)):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = {e.text for e in data.load(path.parent).examples if e.language == path.stem}
        missing = [t for t in document.get("urgent", []) if t not in texts]
        assert not missing, f"{path.name}: urgent marks with no such message: {missing}"
