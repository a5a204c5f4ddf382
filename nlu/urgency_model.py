"""The urgency classifier: is someone in custody, in danger or hurt *now*?

Trained apart from the intent model, on a different question: not "what is this about"
but "is this happening now". Its examples are every training message (urgent when its
intent is one of the ``urgent_*`` intents) plus ``nlu/data/urgency/<lang>.yml``, which
holds contrasts the intents cannot express: the same topic asked about the past or in
general (not urgent) and while it is happening (urgent), e.g. "my bf got arrested last
year, was that legal" versus "my bf is still in the cells since friday".

Features are character and word n-grams of the canonical text (after ``nlu/slang``), a
logistic regression gives a probability. ``nlu/urgency.py`` combines it with the safety
lexicon and the tense markers (the documented rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlu.data import NLU_DIR, Example
from nlu.intents import URGENT_INTENTS
from nlu.normalize import clip, fold
from nlu.slang import canonical, compile_lookups, with_lookup_tags

URGENCY_DIR = NLU_DIR / "data" / "urgency"
#: The slang tables change the features; the lexicon does not (it is read at parse time)
#: but hashing it too keeps "make nlu" honest about what the model was built with.
LEXICON_FOR_HASH = NLU_DIR / "safety_lexicon.yml"


@dataclass(frozen=True, slots=True)
class UrgencyExample:
    text: str
    urgent: bool
    language: str


def load_examples(directory: Path = URGENCY_DIR) -> list[UrgencyExample]:
    """``urgent:`` and ``not_urgent:`` lists of ``nlu/data/urgency/<lang>.yml``."""
    out: list[UrgencyExample] = []
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, urgent in (("urgent", True), ("not_urgent", False)):
            for text in document.get(key, []) or []:
                out.append(UrgencyExample(str(text), urgent, path.stem))
    return out


def from_intents(examples: list[Example] | tuple[Example, ...]) -> list[UrgencyExample]:
    return [UrgencyExample(e.text, e.intent in URGENT_INTENTS, e.language) for e in examples]


class UrgencyModel:
    """Reads text exactly as the topic model does (folded, slang, lookup tags), so the
    topic model's n-grams of a message can be handed over instead of cut again."""

    def __init__(self, lookups: dict[str, tuple[str, ...]] | None = None) -> None:
        self.lookups = dict(lookups or {})
        self._lookup_patterns = compile_lookups(self.lookups)
        self.pipeline = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)),
                            # The same two analyzers as the topic model's "chars" and
                            # "words" blocks, so one cut of the text serves both models.
                            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[a-z0-9_']+", dtype=np.float32)),
                        ]
                    ),
                ),
                ("classifier", LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")),
            ]
        )
        self._coef: np.ndarray | None = None

    def features(self, text: str) -> str:
        return with_lookup_tags(canonical(clip(fold(text))), self._lookup_patterns)

    def fit(self, examples: list[UrgencyExample]) -> UrgencyModel:
        self.pipeline.fit([self.features(e.text) for e in examples], [int(e.urgent) for e in examples])
        self._prepare()
        return self

    def _prepare(self) -> None:
        # Plain-numpy scoring, as in embedded._FastScorer: sklearn's per-call checks cost
        # ~1 ms for one short text, the arithmetic itself ~0.1 ms.
        union = self.pipeline.named_steps["features"]
        classifier = self.pipeline.named_steps["classifier"]
        self._coef = np.asarray(classifier.coef_[0], dtype=np.float64)
        self._intercept = float(classifier.intercept_[0])
        self._parts = []
        offset = 0
        for name, vectorizer in union.transformer_list:
            self._parts.append((name, vectorizer.build_analyzer(), vectorizer.vocabulary_, np.asarray(vectorizer.idf_, dtype=np.float64), offset))
            offset += len(vectorizer.vocabulary_)

    def __getstate__(self) -> dict[str, object]:
        return {"pipeline": self.pipeline, "lookups": self.lookups}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.pipeline = state["pipeline"]  # type: ignore[assignment]
        self.lookups = state.get("lookups", {})  # type: ignore[assignment]
        self._lookup_patterns = compile_lookups(self.lookups)
        self._prepare()

    def probability_of_canonical(self, canonical_text: str, grams: dict[str, list[str]] | None = None) -> float:
        """P(urgent) for text already through ``self.features()``; ``grams`` are n-grams the
        topic model already cut from the same text (its "chars" and "words" blocks)."""
        assert self._coef is not None
        score = self._intercept
        for name, analyzer, vocabulary, idf, offset in self._parts:
            counts: dict[int, int] = {}
            cut = grams.get(name) if grams else None
            for gram in cut if cut is not None else analyzer(canonical_text):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[indices]
            weights /= np.sqrt(np.dot(weights, weights))
            score += float(weights @ self._coef[indices + offset])
        return float(1.0 / (1.0 + np.exp(-score)))

    def probability(self, text: str) -> float:
        return self.probability_of_canonical(self.features(text))


def train(
    examples: list[Example] | tuple[Example, ...],
    extra: list[UrgencyExample] | None = None,
    lookups: dict[str, tuple[str, ...]] | None = None,
) -> UrgencyModel:
    extra = load_examples() if extra is None else extra
    return UrgencyModel(lookups).fit(from_intents(examples) + extra)


def training_files() -> list[Path]:
    return sorted(URGENCY_DIR.glob("*.yml"))
