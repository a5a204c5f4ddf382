"""Text clean-up shared by training and parsing, so both see the same shapes of text.

SMS and chat text arrives with emoji, stretched letters ("pleeeease"), curly quotes,
missing diacritics ("se" for "sê") and sometimes thousands of characters. We fold all of
that into a small alphabet the n-gram models generalise over.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters kept for classification. Long rambling messages keep their head and tail,
#: where people usually say what they want ("... anyway what do i do now").
MAX_CHARS = 600
_HEAD = 400

_NOT_WORD = re.compile(r"[^a-z0-9'@#%+ ]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def fold(text: str) -> str:
    """Lower-case, strip accents and symbols, squeeze repeats and spaces."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _NOT_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def clip(text: str) -> str:
    """Bound the work per message: keep the start and the end of very long texts."""
    if len(text) <= MAX_CHARS:
        return text
    return text[:_HEAD] + " " + text[-(MAX_CHARS - _HEAD) :]


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
