"""Outcome codes a case is closed with, as data per jurisdiction (content/<j>/outcomes.yml).

A code is what is stored (``cases.outcome_code``) and counted; the label is what a responder
reads. Unknown codes are refused, so the figures only ever hold codes from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class OutcomeCode:
    code: str
    label: str


@lru_cache(maxsize=16)
def outcome_codes(content_dir: Path, jurisdiction: str) -> tuple[OutcomeCode, ...]:
    """The jurisdiction's outcome codes in file order; empty if it has no outcomes.yml."""
    path = Path(content_dir) / jurisdiction / "outcomes.yml"
    if not path.is_file():
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(OutcomeCode(str(code), str(entry["label"]))
                 for code, entry in (data.get("outcomes") or {}).items())


def find_outcome(content_dir: Path, jurisdiction: str, text: str) -> OutcomeCode | None:
    """The code named by ``text`` ("legal_aid", "LEGAL_AID", or its number in the list)."""
    codes = outcome_codes(content_dir, jurisdiction)
    word = text.strip().lower()
    if word.isdigit() and 1 <= int(word) <= len(codes):
        return codes[int(word) - 1]
    return next((c for c in codes if c.code == word), None)
