"""``NluService.parse(text, language_hint) -> Parse``: the NLU's only entry point.

It combines a ranking (from the embedded model, or from Rasa with the embedded model as a
per-message fallback), the confidence threshold, the urgency flag and the language.
Whatever arrives — empty, emoji, megabytes, bytes — a valid Parse comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from nlu.embedded import EmbeddedModel
from nlu.intents import OUT_OF_SCOPE, URGENT_INTENTS
from nlu.language import LanguageGuesser
from nlu.normalize import clip, fold, letters
from nlu.rasa_client import RasaClient, RasaUnavailable
from nlu.slang import canonical
from nlu.types import Parse
from nlu.urgency import SafetyLexicon, UrgencyRule, load_lexicon

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("haki.nlu")

#: Intents kept in Parse.ranking.
RANKING_SIZE = 8
#: Text beyond this is never even folded: a 1 MB paste costs the same as 20 kB.
MAX_INPUT_CHARS = 20_000

_fallbacks = 0
_fallback_reasons: dict[str, int] = {}
_counter_lock = threading.Lock()


def fallback_count() -> int:
    """How many messages the embedded model answered because Rasa failed (process-wide)."""
    return _fallbacks


def fallback_reasons() -> dict[str, int]:
    """Fallbacks by reason ("timeout", "ConnectionError", ...) — never message content."""
    with _counter_lock:
        return dict(_fallback_reasons)


def _record_fallback(reason: str) -> None:
    global _fallbacks
    with _counter_lock:
        _fallbacks += 1
        _fallback_reasons[reason] = _fallback_reasons.get(reason, 0) + 1
    log.warning("rasa unavailable (%s): embedded model answered", reason)


class NluService:
    def __init__(
        self,
        model: EmbeddedModel,
        languages: LanguageGuesser,
        threshold: float,
        rasa: RasaClient | None = None,
        lexicon: SafetyLexicon | None = None,
    ) -> None:
        self.model = model
        self.languages = languages
        self.threshold = threshold
        self.rasa = rasa
        self.lexicon = lexicon or load_lexicon()
        self.urgency_rule = UrgencyRule(self.lexicon)

    @property
    def backend(self) -> str:
        return "rasa" if self.rasa is not None else "embedded"

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        try:
            return self._parse(_as_text(text), language_hint)
        except Exception as error:  # never let a message crash the conversation
            log.error("nlu parse failed (%s); answering out_of_scope", type(error).__name__)
            hint = language_hint if language_hint in self.languages.codes else self.languages.default
            return Parse(OUT_OF_SCOPE, 0.0, (), False, hint, "embedded", False)

    def _parse(self, text: str, language_hint: str | None) -> Parse:
        language = self.languages.guess(text, language_hint)
        folded = fold(text)
        if letters(folded) == 0:
            # Nothing to read (emoji, digits alone, binary noise): no model can help.
            return Parse(OUT_OF_SCOPE, 1.0, ((OUT_OF_SCOPE, 1.0),), False, language, self.backend, False)

        backend, fallback = "embedded", False
        ranking: list[tuple[str, float]] | None = None
        if self.rasa is not None:
            try:
                ranking = self.rasa.rank(text)
                backend = "rasa"
            except RasaUnavailable as unavailable:
                _record_fallback(str(unavailable))
                fallback = True
        probability = None
        if ranking is None:
            ranking, probability = self.model.rank_and_urgency(text)
        return self._decide(ranking, folded, language, backend, fallback, probability)

    def urgency_probability(self, text: str) -> float | None:
        model = getattr(self.model, "urgency", None)
        return None if model is None else model.probability(text)

    def _decide(
        self,
        ranking: list[tuple[str, float]],
        folded: str,
        language: str,
        backend: str,
        fallback: bool,
        urgency_probability: float | None = None,
    ) -> Parse:
        top, confidence = ranking[0]
        canonical_text = canonical(clip(folded))
        if urgency_probability is None:
            # Rankings from Rasa: the embedded urgency classifier still decides urgency.
            urgency_probability = self.urgency_probability(folded)
        urgency = self.urgency_rule.decide(folded, canonical_text, urgency_probability, top, confidence)
        urgent = urgency.urgent
        if not urgent and top in URGENT_INTENTS:
            # The topic model hears "arrested" but the message is about the past or a
            # general question: answer the best non-urgent topic instead.
            calm = [(name, score) for name, score in ranking if name not in URGENT_INTENTS]
            rest = sum(score for _, score in calm) or 1.0
            ranking = [(name, score / rest) for name, score in calm] or ranking
            top, confidence = ranking[0]
        intent = top
        if confidence < self.threshold or (urgent and intent == OUT_OF_SCOPE):
            # Unsure, or sure it is none of our topics while the message is urgent. For an
            # urgent message "I don't understand" is the worst answer, so the likeliest
            # urgent intent stands in and safety information follows.
            urgent_ranked = [(name, score) for name, score in ranking if name in URGENT_INTENTS]
            if urgent and urgent_ranked:
                intent, confidence = urgent_ranked[0]
            else:
                intent = OUT_OF_SCOPE
        kept = tuple((name, round(score, 4)) for name, score in ranking[:RANKING_SIZE])
        return Parse(intent, round(confidence, 4), kept, urgent, language, backend, fallback, urgency.score, urgency.reason)


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text[:MAX_INPUT_CHARS]


def build_nlu(settings: Settings) -> NluService:
    """The service for these settings: embedded model from ``var_dir`` (built if stale)."""
    from nlu.store import ensure_model

    started = time.perf_counter()
    model = ensure_model(settings.var_dir).model
    languages = LanguageGuesser(settings.language_codes, settings.default_language)
    rasa = None
    if settings.nlu_backend == "rasa":
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
    service = NluService(model, languages, settings.nlu_threshold, rasa=rasa)
    log.info("nlu ready: backend=%s in %.2fs", service.backend, time.perf_counter() - started)
    return service
