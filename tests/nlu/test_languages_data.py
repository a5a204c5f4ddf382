"""Every language in content/common/languages.yml has its NLU data: a held-out set written
first, at least 400 training examples over every intent, never a held-out line copied."""

from __future__ import annotations

from collections import Counter

import pytest

import nlu
from nlu import data
from nlu.language_table import load_table, supported_codes
from nlu.normalize import fold
from nlu.urgency import load_lexicon

NEW_LANGUAGES = ("xh", "st", "tn", "nso")
TRAINING = data.load().examples
HELDOUT = data.load(data.HELDOUT_DIR).examples


def test_the_new_languages_are_supported_languages() -> None:
    assert set(NEW_LANGUAGES) <= set(supported_codes())


@pytest.mark.parametrize("code", supported_codes())
def test_every_supported_language_has_training_and_heldout_files(code: str) -> None:
    assert (data.TRAINING_DIR / f"{code}.yml").exists()
    assert (data.HELDOUT_DIR / f"{code}.yml").exists()


@pytest.mark.parametrize("code", NEW_LANGUAGES)
def test_at_least_400_examples_covering_every_intent(code: str) -> None:
    examples = [e for e in TRAINING if e.language == code]
    assert len(examples) >= 400
    counts = Counter(e.intent for e in examples)
    assert set(counts) == set(nlu.INTENTS)
    assert min(counts.values()) >= 10


@pytest.mark.parametrize("code", NEW_LANGUAGES)
def test_heldout_covers_every_intent(code: str) -> None:
    assert {e.intent for e in HELDOUT if e.language == code} == set(nlu.INTENTS)


def test_no_heldout_line_is_in_any_training_file() -> None:
    trained = {fold(e.text) for e in TRAINING}
    copied = [f"{e.language}: {e.text}" for e in HELDOUT if fold(e.text) in trained]
    assert not copied


# One message per language and word the issue names: arrest, police, cells, beating,
# rape, sick, bribe (with police and now), now.
URGENT_WORDS = [
    ("xh", "ndibanjiwe"), ("xh", "amapolisa apha ngoku"), ("xh", "ndiseselini"),
    ("xh", "bayandibetha"), ("xh", "ndidlwengulwe"), ("xh", "umhlobo wam ugula eselini"),
    ("xh", "ipolisa lifuna inyoba ngoku"),
    ("st", "ke tshwerwe"), ("st", "mapolesa a mona hona jwale"), ("st", "ke le seleng"),
    ("st", "ba a nkotla"), ("st", "lepolesa le mpetile"), ("st", "o a kula haholo seleng"),
    ("st", "lepolesa le batla tjotjo jwale"),
    ("tn", "ke tshwerwe"), ("tn", "mapodisi a fa jaanong"), ("tn", "ke mo seleng"),
    ("tn", "ba a nkitaya"), ("tn", "lepodisi le mpeteletse"), ("tn", "tsala ya me e a lwala mo seleng"),
    ("tn", "lepodisi le batla pipamolomo jaanong"),
    ("nso", "ke swerwe"), ("nso", "maphodisa a mo bjale"), ("nso", "ke le seleng"),
    ("nso", "ba a mpetha"), ("nso", "lephodisa le nkatile"), ("nso", "mogwera o a lwala seleng"),
    ("nso", "lephodisa le nyaka tjotjo bjale"),
    # languages Haki does not answer in yet still bring the safety text
    ("ts", "ndzi khomiwile hi maphorisa"), ("ts", "maphorisa va kona sweswi"),
    ("ve", "ndo farwa nga mapholisa"), ("ve", "mapholisa a hone zwino"),
    ("ss", "ngibotjiwe"), ("ss", "emaphoyisa alapha nyalo"),
    ("nr", "ngibotjhiwe"), ("nr", "amapholisa alapha nanje"),
]


@pytest.mark.parametrize(("code", "text"), URGENT_WORDS)
def test_lexicon_catches_urgent_words_in_every_language(code: str, text: str) -> None:
    assert load_lexicon().matches(fold(text)), f"{code}: {text}"


@pytest.mark.parametrize("text", [
    "enkosi kakhulu", "ibheyile isebenza njani",  # xh
    "ke a leboha haholo", "beile e sebetsa jwang",  # st
    "ke a leboga thata", "legal aid e dira jang",  # tn
    "ke a leboga kudu", "nka hwetša PrEP kae",  # nso
])
def test_ordinary_questions_are_not_urgent(text: str) -> None:
    assert not load_lexicon().matches(fold(text))


def test_every_unsupported_language_has_marker_words_and_a_closest_language() -> None:
    import yaml

    words = yaml.safe_load((data.NLU_DIR / "data" / "language_words.yml").read_text())["words"]
    table = load_table()
    for info in table.unsupported:
        assert words.get(info.code), info.code
        assert info.closest in table.codes
