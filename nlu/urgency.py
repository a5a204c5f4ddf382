"""Is this person in danger or in custody right now? The urgency decision.

Urgency is decided apart from the topic (issue 14). Three inputs, one documented rule:

1. the urgency classifier (``nlu/urgency_model.py``): P(happening now), trained on its
   own examples;
2. the safety lexicon (``safety_lexicon.yml``): violence and medical words (``strong``),
   custody-now phrases (``custody``), "now" words with police words, sexual extortion;
3. tense markers, also in the lexicon file: ``past`` ("last year", "izolo", "laas jaar"),
   ``ongoing`` ("still there", "usesekhona", "nog steeds"), ``hypothetical`` ("if they",
   "how long can", "uma", "wat gebeur as").

The rule (``UrgencyRule.decide``), first match wins:

- *past*: a past or release marker and no ongoing marker -> only the classifier can make
  it urgent, and its probability counts for 40 % ("they slapped me last week, how do i
  report", "they let him go on sunday");
- sexual extortion (sex + police or a threat of arrest) -> urgent, with or without the
  word "police" ("sleep with me or I lock you up");
- a strong lexicon word (violence, rape, a medical emergency) -> urgent;
- a custody-now phrase, held since a named day ("locked my bf up fri night"), or a "now"
  word with a police word -> urgent unless the message is
  a general or hypothetical question with nothing ongoing ("how many days can they keep
  a person in the cells");
- the score: the classifier's probability, +0.25 when something ongoing is said, x0.6
  for a hypothetical question; urgent at ``URGENT_SCORE`` or more;
- the topic model's first choice is an ``urgent_*`` intent with at least
  ``URGENT_INTENT_CONFIDENCE`` and the message is not hypothetical -> urgent.

Recall comes first (a missed person in danger is worse than an extra offer of help), so
every branch can only add urgency except the past and hypothetical markers, which are
written narrowly. Figures: docs/nlu-report.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.intents import URGENT_INTENTS

LEXICON_PATH = Path(__file__).resolve().parent / "safety_lexicon.yml"

#: Classifier probability (after the tense adjustments) at which a message is urgent.
URGENT_SCORE = 0.5
#: Topic-model confidence at which an urgent_* first choice makes the message urgent.
URGENT_INTENT_CONFIDENCE = 0.5
ONGOING_BOOST = 0.25
HYPOTHETICAL_FACTOR = 0.6
PAST_FACTOR = 0.4


@dataclass(frozen=True, slots=True)
class SafetyLexicon:
    #: one alternation per language: a single alternation of every language's patterns
    #: loses the regex engine's prefix scan and grew 4x slower on long text with 11 languages
    strong: tuple[re.Pattern[str], ...]
    present: re.Pattern[str]
    context: re.Pattern[str]
    custody: re.Pattern[str] | None = None
    past: re.Pattern[str] | None = None
    ongoing: re.Pattern[str] | None = None
    hypothetical: re.Pattern[str] | None = None
    extortion_sex: re.Pattern[str] | None = None
    extortion_threat: re.Pattern[str] | None = None
    recent_custody: re.Pattern[str] | None = None
    released: re.Pattern[str] | None = None

    def strong_word(self, folded: str) -> bool:
        """A violence, rape or medical-emergency word in any language."""
        return any(pattern.search(folded) for pattern in self.strong)

    def matches(self, folded: str) -> bool:
        """Any urgent word, ignoring tense. ``folded`` is text from ``normalize.fold``."""
        if self.strong_word(folded) or (self.custody is not None and self.custody.search(folded)):
            return True
        return bool(self.present.search(folded) and self.context.search(folded))

    @staticmethod
    def _found(pattern: re.Pattern[str] | None, *texts: str) -> bool:
        return pattern is not None and any(pattern.search(t) for t in texts)


@dataclass(frozen=True, slots=True)
class Urgency:
    urgent: bool
    #: the classifier's probability after the tense adjustments (0..1)
    score: float
    #: which branch of the rule decided: past, extortion, lexicon, custody, score,
    #: intent or none
    reason: str


class UrgencyRule:
    def __init__(self, lexicon: SafetyLexicon) -> None:
        self.lexicon = lexicon

    def decide(self, folded: str, canonical: str, probability: float | None, top_intent: str, confidence: float) -> Urgency:
        """``folded`` from ``normalize.fold``; ``canonical`` the same after ``slang.canonical``.

        ``probability`` is the urgency classifier's P(urgent), or None when there is no
        classifier (then the lexicon and the topic decide alone).
        """
        lx = self.lexicon
        # Both readings in one string, one scan per pattern: "." never matches the
        # newline, so no pattern spans the two readings.
        both = folded if canonical == folded else f"{folded}\n{canonical}"
        texts = (both,)
        ongoing = lx._found(lx.ongoing, *texts)
        past = (lx._found(lx.past, *texts) or lx._found(lx.released, *texts)) and not ongoing
        hypothetical = lx._found(lx.hypothetical, *texts) and not ongoing
        p = 0.0 if probability is None else probability

        if past:
            score = p * PAST_FACTOR
            return Urgency(score >= URGENT_SCORE, round(score, 4), "past")
        score = min(1.0, p + ONGOING_BOOST) if ongoing else p * HYPOTHETICAL_FACTOR if hypothetical else p
        if lx._found(lx.extortion_sex, *texts) and lx._found(lx.extortion_threat, *texts):
            return Urgency(True, round(score, 4), "extortion")
        if lx.strong_word(both):
            return Urgency(True, round(score, 4), "lexicon")
        custody_now = (
            lx._found(lx.custody, *texts)
            or lx._found(lx.recent_custody, *texts)
            or bool(lx.present.search(folded) and lx.context.search(both))
        )
        if custody_now and not hypothetical:
            return Urgency(True, round(score, 4), "custody")
        if probability is not None and score >= URGENT_SCORE:
            return Urgency(True, round(score, 4), "score")
        if top_intent in URGENT_INTENTS and confidence >= URGENT_INTENT_CONFIDENCE and not hypothetical:
            return Urgency(True, round(score, 4), "intent")
        return Urgency(False, round(score, 4), "none")


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    # One compiled alternation per tier: a single scan of the text per tier keeps the
    # check well under a millisecond even for a 5,000-character message.
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _flat(value: object) -> list[str]:
    if isinstance(value, dict):
        return [p for patterns in value.values() for p in patterns]
    return list(value or [])  # type: ignore[call-overload]


def load_lexicon(path: Path = LEXICON_PATH) -> SafetyLexicon:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))

    def optional(key: str) -> re.Pattern[str] | None:
        patterns = _flat(document.get(key))
        return _alternation(patterns) if patterns else None

    # One pattern per language: a single alternation of eleven languages' words loses the
    # regex engine's prefix scan and runs about 4x slower on long text.
    return SafetyLexicon(
        strong=tuple(_alternation(patterns) for patterns in document["strong"].values()),
        present=_alternation(document["present"]),
        context=_alternation(document["context"]),
        custody=optional("custody"),
        past=optional("past"),
        ongoing=optional("ongoing"),
        hypothetical=optional("hypothetical"),
        extortion_sex=optional("extortion_sex"),
        extortion_threat=optional("extortion_threat"),
        recent_custody=optional("recent_custody"),
        released=optional("released"),
    )
