"""Slang is data: "gattes broke my pins" reads as "police broke my needles"."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import NluService
from nlu.normalize import fold
from nlu.slang import SLANG_DIR, canonical, load_table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gattes took my pins", "police took my needles"),
        ("the boere bust us", "the police arrested us"),
        ("im in the kwela-kwela", "im in the police van"),
        ("sterile fits", "needles"),
        ("amaphoyisa athathe izinaliti", "police athathe needles"),
        ("die gattas het my in die selle gesit", "die police het my in police cells gesit"),
    ],
)
def test_slang_becomes_canonical_words(text: str, expected: str) -> None:
    assert canonical(fold(text)) == expected


def test_ordinary_words_are_left_alone() -> None:
    # "works", "fit", "stop" and "boom" are ordinary words; only their slang contexts change.
    assert canonical(fold("it works, the shoe fits? stop. die boom is groot")) == "it works the shoe needles stop die boom is groot"


def test_an_editor_adds_a_word_without_touching_code(tmp_path: Path) -> None:
    for path in SLANG_DIR.glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "en.yml").write_text(
        (tmp_path / "en.yml").read_text(encoding="utf-8") + "\nlawyer:\n  - legal eagle\n", encoding="utf-8"
    )
    assert load_table(tmp_path).apply(fold("I need a Legal-Eagle")) == "i need a lawyer"


def test_every_table_parses_and_no_variant_is_claimed_twice() -> None:
    import yaml

    seen: dict[str, str] = {}
    clashes = []
    for path in sorted(SLANG_DIR.glob("*.yml")):
        for canonical_word, variants in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            for variant in variants:
                key = fold(str(variant))
                if key in seen and seen[key] != canonical_word:
                    clashes.append(f"{key}: {seen[key]} / {canonical_word}")
                seen[key] = canonical_word
    assert not clashes


@pytest.mark.parametrize(
    ("text", "hint", "intent"),
    [
        ("the gattes broke all my pins last night", "en", "needles_confiscated"),
        ("can i carry sterile fits legally", "en", "needles_confiscated"),
        ("amaphoyisa aphule izinaliti zami izolo", "zu", "needles_confiscated"),
    ],
)
def test_slang_questions_reach_the_right_topic(nlu_service: NluService, text: str, hint: str, intent: str) -> None:
    assert nlu_service.parse(text, hint).intent == intent
