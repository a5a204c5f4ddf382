"""Which of our languages is this message in? lingua's estimate, weighed against the hint.

Detection on a two-word SMS is a coin toss ("hi" scores isiZulu), so the person's saved
language (the hint) wins unless the text is long enough and the detector is sure. Mixed
messages ("ngiboshiwe by the cops") get the language with most evidence, which is
usually the one the person wants replies in.
"""

from __future__ import annotations

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from nlu.normalize import letters

#: Below this many letters the detector is not consulted at all when there is a hint.
SHORT_TEXT_LETTERS = 6
#: Confidence another language needs to override the hint, for short and longer text.
OVERRIDE_SHORT = 0.97
OVERRIDE_LONG = 0.80
LONG_TEXT_LETTERS = 20
#: Only the start of a long message is examined: it decides as well and bounds the cost.
MAX_DETECT_CHARS = 800


def _lingua_language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None


class LanguageGuesser:
    def __init__(self, codes: tuple[str, ...], default: str) -> None:
        self.codes = codes
        self.default = default if default in codes else codes[0]
        languages = {code: _lingua_language(code) for code in codes}
        self._by_language = {lang: code for code, lang in languages.items() if lang is not None}
        self._detector: LanguageDetector | None = None
        if len(self._by_language) >= 2:
            self._detector = (
                LanguageDetectorBuilder.from_languages(*self._by_language)
                .with_preloaded_language_models()  # pay the load at start-up, not per message
                .build()
            )
            self._detector.compute_language_confidence_values("warm up")

    def scores(self, text: str) -> list[tuple[str, float]]:
        """(code, confidence) for our languages, best first; empty when undecidable."""
        if self._detector is None:
            return []
        values = self._detector.compute_language_confidence_values(text[:MAX_DETECT_CHARS])
        return [(self._by_language[v.language], v.value) for v in values if v.language in self._by_language]

    def guess(self, text: str, hint: str | None = None) -> str:
        hint = hint if hint in self.codes else None
        count = letters(text)
        if count < SHORT_TEXT_LETTERS:
            return hint or self.default
        scores = self.scores(text)
        if not scores:
            return hint or self.default
        best, confidence = scores[0]
        if hint is None:
            return best
        needed = OVERRIDE_LONG if count >= LONG_TEXT_LETTERS else OVERRIDE_SHORT
        return best if best != hint and confidence >= needed else hint
