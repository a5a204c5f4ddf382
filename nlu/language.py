"""Which language is this message in? lingua's estimate plus word lists, weighed against
the hint (the person's saved language).

lingua covers English, isiZulu, Afrikaans, isiXhosa, Sesotho, Setswana and Xitsonga, but not
Sepedi, Tshivenda, siSwati or isiNdebele, and confuses the Sotho-Tswana languages on short
texts. ``nlu/data/language_words.yml`` lists very common words that tell close languages
apart ("bjale" Sepedi, "jwale" Sesotho, "jaanong" Setswana); a message's score for a
language is lingua's confidence and the share of the marker words it contains, averaged.

Detection on a two-word SMS is a coin toss ("hi" scores isiZulu), so the hint wins unless
the text is long enough and the evidence is strong. Mixed messages ("ngiboshiwe by the
cops") get the language with most evidence, usually the one the person wants replies in.
Languages we recognise but do not answer in (``unsupported`` in content/common/languages.yml)
are reported separately, so the conversation can answer them safely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from nlu.language_table import load_table
from nlu.normalize import fold, letters

WORDS_FILE = Path(__file__).resolve().parent / "data" / "language_words.yml"
TRAINING_DIR = Path(__file__).resolve().parent / "data" / "nlu"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Below this many letters the detector is not consulted at all when there is a hint.
SHORT_TEXT_LETTERS = 6
#: Confidence another language needs to override the hint, for short and longer text.
OVERRIDE_SHORT = 0.97
OVERRIDE_LONG = 0.80
LONG_TEXT_LETTERS = 20
#: Only the start of a long message is examined: it decides as well and bounds the cost.
MAX_DETECT_CHARS = 800
#: Weight of the word evidence from our training files against lingua's confidence.
WORD_WEIGHT = 0.5
#: Within a family (Sesotho, Setswana, Sepedi), how much the words decide against lingua.
FAMILY_WORD_SHARE = 0.8
#: Weight of the marker words against the rest when a message contains any of them.
MARKER_WEIGHT = 0.3
#: A first guess is "certain" with this score and this lead over the runner-up; otherwise
#: the reply adds the one-line language choice.
CERTAIN_SCORE = 0.55
CERTAIN_MARGIN = 0.25
CERTAIN_LETTERS = 12


def _lingua_language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    #: the supported language to answer in
    code: str
    #: True when the text itself clearly says which language it is
    certain: bool
    #: an unsupported language the text is most likely in ("ts", "ve", ...), else None
    unsupported: str | None
    #: (code, score) over supported and unsupported languages, best first
    ranking: tuple[tuple[str, float], ...]


class MarkerWords:
    """Per-language word lists: whole words, ``prefix*`` entries and multi-word phrases."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.words: dict[str, set[str]] = {}
        self.prefixes: dict[str, tuple[str, ...]] = {}
        self.phrases: dict[str, tuple[str, ...]] = {}
        for code, entries in table.items():
            folded = [fold(str(e)).strip() if not str(e).endswith("*") else fold(str(e)[:-1]).strip() + "*"
                      for e in entries]
            self.words[code] = {e for e in folded if e and "*" not in e and " " not in e}
            self.prefixes[code] = tuple(e[:-1] for e in folded if e.endswith("*"))
            self.phrases[code] = tuple(e for e in folded if " " in e and "*" not in e)

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> MarkerWords:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({str(k): list(v or []) for k, v in (document.get("words") or {}).items()})

    def hits(self, folded: str) -> dict[str, int]:
        tokens = folded.split()
        padded = f" {folded} "
        out = {}
        for code in self.words:
            count = sum(1 for t in tokens if t in self.words[code] or t.startswith(self.prefixes[code] or ("\0",)))
            count += sum(1 for phrase in self.phrases[code] if f" {phrase} " in padded)
            if count:
                out[code] = count
        return out


class WordEvidence:
    """A word-level naive Bayes over our own training files (one file per language).

    It knows the words people actually write in each language, which is what lingua lacks for
    Sepedi and for Sesotho/Setswana in SMS shorthand. Words seen in one language only weigh
    most; unknown words are ignored; the marker lists count as extra sightings."""

    def __init__(self, texts: dict[str, list[str]], markers: MarkerWords, marker_count: int = 5) -> None:
        self.codes = tuple(code for code in texts if texts[code] or markers.words.get(code))
        counts: dict[str, dict[str, int]] = {code: {} for code in self.codes}
        for code, items in texts.items():
            if code not in counts:
                continue
            for text in items:
                for token in set(fold(text).split()):
                    if len(token) > 1 and not token.isdigit():
                        counts[code][token] = counts[code].get(token, 0) + 1
        for code in self.codes:
            for word in markers.words.get(code, ()):
                counts[code][word] = counts[code].get(word, 0) + marker_count
        self.totals = {code: sum(c.values()) + 1 for code, c in counts.items()}
        # A language known only by its marker words (no training file) is smoothed as if it
        # had as much text as the others: otherwise every word it has not listed would count
        # as evidence for it ("thx" is not isiNdebele).
        with_text = [self.totals[code] for code in self.codes if texts.get(code)]
        if with_text:
            typical = sum(with_text) // len(with_text)
            for code in self.codes:
                if not texts.get(code):
                    self.totals[code] = max(self.totals[code], typical)
        self.counts = counts
        self.vocabulary = set().union(*counts.values()) if counts else set()

    @classmethod
    def from_training(cls, codes: tuple[str, ...], markers: MarkerWords,
                      directory: Path = TRAINING_DIR) -> WordEvidence:
        """Read the example texts of our training files (``<code>.yml``), once at start-up.
        The C YAML loader reads them in milliseconds (the pure-Python one takes a second)."""
        texts: dict[str, list[str]] = {code: [] for code in codes}
        for path in sorted(directory.glob("*.yml")):
            code = path.stem.split(".")[0]
            if code not in texts:
                continue
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            for item in document.get("nlu") or []:
                if isinstance(item, dict) and "intent" in item:
                    texts[code] += [line.strip()[2:] for line in str(item.get("examples") or "").splitlines()
                                    if line.strip().startswith("- ")]
        return cls(texts, markers)

    def posterior(self, folded: str) -> dict[str, float]:
        tokens = [t for t in folded.split() if t in self.vocabulary]
        if not tokens or not self.codes:
            return {}
        logs = {}
        for code in self.codes:
            total = self.totals[code] + len(self.vocabulary)
            logs[code] = sum(math.log((self.counts[code].get(t, 0) + 0.1) / total) for t in tokens)
        top = max(logs.values())
        weights = {code: math.exp(value - top) for code, value in logs.items()}
        norm = sum(weights.values())
        return {code: w / norm for code, w in weights.items()}


class LanguageGuesser:
    def __init__(self, codes: tuple[str, ...], default: str, *, markers: MarkerWords | None = None) -> None:
        self.codes = codes
        self.default = default if default in codes else codes[0]
        table = load_table()
        self.unsupported = tuple(i.code for i in table.unsupported if i.code not in codes)
        self.closest = {i.code: i.closest for i in table.unsupported}
        # lingua's code for each language: from the table ("" = lingua has no model, as for
        # Sepedi); a code the table does not list is tried as a lingua code itself.
        lingua_codes = {}
        for code in (*codes, *self.unsupported):
            info = table.get(code)
            lingua_codes[code] = info.lingua if info is not None else code
        languages = {code: _lingua_language(lc) for code, lc in lingua_codes.items() if lc}
        self._by_language = {lang: code for code, lang in languages.items() if lang is not None}
        self._lingua_codes = set(self._by_language.values())
        self.markers = markers or MarkerWords.load()
        self._last: tuple[tuple[str, str | None], LanguageGuess] | None = None
        self.words = WordEvidence.from_training((*codes, *self.unsupported), self.markers)
        by_family: dict[str, list[str]] = {}
        for code in (*codes, *self.unsupported):
            info = table.get(code)
            if info is not None and info.family:
                by_family.setdefault(info.family, []).append(code)
        self.families = tuple(tuple(m) for m in by_family.values() if len(m) > 1)
        self._detector: LanguageDetector | None = None
        if len(self._by_language) >= 2:
            self._detector = (
                LanguageDetectorBuilder.from_languages(*self._by_language)
                .with_preloaded_language_models()  # pay the load at start-up, not per message
                .build()
            )
            self._detector.compute_language_confidence_values("warm up")

    def _lingua(self, text: str) -> dict[str, float]:
        if self._detector is None:
            return {}
        values = self._detector.compute_language_confidence_values(text[:MAX_DETECT_CHARS])
        return {self._by_language[v.language]: v.value for v in values if v.language in self._by_language}

    def scores(self, text: str) -> list[tuple[str, float]]:
        """(code, score) for our languages and the recognised unsupported ones, best first."""
        known = (*self.codes, *self.unsupported)
        folded = fold(text[:MAX_DETECT_CHARS])
        lingua = raw = self._lingua(text)
        words = self.words.posterior(folded)
        if words:
            lingua = {code: (1 - WORD_WEIGHT) * lingua.get(code, 0.0) + WORD_WEIGHT * words.get(code, 0.0)
                      for code in known}
        lingua = self._within_families(lingua, raw, words)
        # Marker words of the unsupported languages (no training text) and the strongest
        # tells of close languages settle what the averages leave open.
        hits = {c: n for c, n in self.markers.hits(folded).items() if c in known}
        total = sum(hits.values())
        combined = {}
        for code in known:
            score = lingua.get(code, 0.0)
            if total:
                score = (1 - MARKER_WEIGHT) * score + MARKER_WEIGHT * hits.get(code, 0) / total
            combined[code] = score
        return sorted(((c, s) for c, s in combined.items() if s > 0), key=lambda cs: -cs[1])

    def _within_families(self, scores: dict[str, float], raw: dict[str, float],
                         words: dict[str, float]) -> dict[str, float]:
        """lingua tells language families apart well and close members badly (it has no
        Sepedi at all), so each family keeps its total and the words share it out."""
        if not words:
            return scores
        out = dict(scores)
        for members in self.families:
            mass = sum(scores.get(c, 0.0) for c in members)
            lingua_total = sum(raw.get(c, 0.0) for c in members)
            word_total = sum(words.get(c, 0.0) for c in members)
            if mass <= 0 or word_total <= 0:
                continue
            # A member lingua cannot see (Sepedi) gets an even share of lingua's part, so it
            # is not out of the race before the words are read.
            blind = [c for c in members if c not in self._lingua_codes]
            even = 1 / len(members)
            for code in members:
                if code in blind or not lingua_total:
                    lingua_share = even
                else:
                    lingua_share = (1 - even * len(blind)) * raw.get(code, 0.0) / lingua_total
                word_share = words.get(code, 0.0) / word_total
                out[code] = mass * ((1 - FAMILY_WORD_SHARE) * lingua_share + FAMILY_WORD_SHARE * word_share)
        return out

    def assess(self, text: str, hint: str | None = None) -> LanguageGuess:
        """The language to answer in, whether the text settles it, and any unsupported language."""
        # The conversation asks about the message it is about to parse: remember the last
        # answer rather than run the detectors twice.
        key = (text, hint)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        guess = self._assess(text, hint)
        self._last = (key, guess)
        return guess

    def _assess(self, text: str, hint: str | None) -> LanguageGuess:
        hint = hint if hint in self.codes else None
        count = letters(text)
        ranking = tuple(self.scores(text)) if count >= SHORT_TEXT_LETTERS or hint is None else ()
        if not ranking:
            return LanguageGuess(hint or self.default, False, None, ranking)
        best, confidence = ranking[0]
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        certain = count >= CERTAIN_LETTERS and confidence >= CERTAIN_SCORE and confidence - runner_up >= CERTAIN_MARGIN
        unsupported = best if best in self.unsupported else None
        supported = [(c, s) for c, s in ranking if c in self.codes]
        if unsupported is not None:
            code = hint or self.closest.get(unsupported) or self.default
            if code not in self.codes:
                code = self.default
            return LanguageGuess(code, certain, unsupported, ranking)
        top, top_score = supported[0] if supported else (self.default, 0.0)
        if hint is None:
            return LanguageGuess(top, certain, None, ranking)
        needed = OVERRIDE_LONG if count >= LONG_TEXT_LETTERS else OVERRIDE_SHORT
        code = top if top != hint and top_score >= needed else hint
        return LanguageGuess(code, certain and code == top, None, ranking)

    def guess(self, text: str, hint: str | None = None) -> str:
        return self.assess(text, hint).code
