"""Slang and normalisation: "gattes broke my pins" is read as "police broke my needles".

The tables are data (``nlu/slang/<lang>.yml``, see its README): editors add a word
without touching code. All languages' tables apply to every message because people mix
languages in one SMS. Applied to folded text (``normalize.fold``) before the model's
features and before the urgency rule, at training and at parse time alike, so both see
the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlu.normalize import fold

SLANG_DIR = Path(__file__).resolve().parent / "slang"


@dataclass(frozen=True)
class SlangTable:
    #: folded variant -> canonical word(s)
    replacements: dict[str, str]
    pattern: re.Pattern[str] | None

    def apply(self, folded: str) -> str:
        """``folded`` must come from ``normalize.fold``; returns the canonical text."""
        if self.pattern is None:
            return folded
        return self.pattern.sub(lambda match: self.replacements[match.group(0)], folded)


def load_table(directory: Path = SLANG_DIR) -> SlangTable:
    replacements: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for canonical, variants in document.items():
            for variant in variants or ():
                key = fold(str(variant))
                if key and key != canonical:
                    replacements.setdefault(key, str(canonical))
    if not replacements:
        return SlangTable({}, None)
    # Longest first, so "the cells" wins over "cells" and "kwela kwela" over "kwela".
    ordered = sorted(replacements, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in ordered) + r")\b")
    return SlangTable(replacements, pattern)


@lru_cache(maxsize=1)
def default_table() -> SlangTable:
    return load_table()


def canonical(folded: str) -> str:
    """The message with slang replaced by canonical words (tables in ``nlu/slang/``)."""
    return default_table().apply(folded)


def tables_hash_inputs() -> list[Path]:
    """The files whose change must rebuild the model."""
    return sorted(SLANG_DIR.glob("*.yml"))


def compile_lookups(lookups: dict[str, tuple[str, ...]]) -> list[tuple[str, re.Pattern[str]]]:
    """Rasa lookup tables as (name, whole-word pattern), for ``with_lookup_tags``."""
    compiled = []
    for name, entries in sorted(lookups.items()):
        words = sorted({fold(e) for e in entries if fold(e)}, key=len, reverse=True)
        if words:
            compiled.append((name, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")))
    return compiled


def with_lookup_tags(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str:
    """``text`` plus a class token per lookup table it matches ("gattas" -> " lk_police")."""
    tags = [f"lk_{name}" for name, pattern in patterns if pattern.search(text)]
    return text + (" " + " ".join(tags) if tags else "")
