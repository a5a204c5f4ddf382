"""The embedded classifier's probabilities: calibrated, well-formed on any training set."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nlu.embedded import SoftmaxLinearSVC

TEXTS = [
    "where is the clinic", "clinic near me", "find a clinic", "which clinic gives prep",
    "how does bail work", "bail for my friend", "how much is bail", "can i get bail today",
    "hello there", "hi haki", "hey", "good morning",
]
LABELS = ["health"] * 4 + ["bail"] * 4 + ["greet"] * 4


def _features(texts: list[str]) -> tuple[TfidfVectorizer, object]:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    return vectorizer, vectorizer.fit_transform(texts)


def test_probabilities_are_a_distribution_led_by_the_right_intent() -> None:
    vectorizer, X = _features(TEXTS)
    model = SoftmaxLinearSVC().fit(X, LABELS)
    probabilities = model.predict_proba(vectorizer.transform(["is bail expensive", "a clinic for prep"]))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert list(model.classes_[probabilities.argmax(axis=1)]) == ["bail", "health"]
    assert model.scale_ > 0


def test_two_intents_still_give_two_columns() -> None:
    vectorizer, X = _features(TEXTS[:8])
    model = SoftmaxLinearSVC().fit(X, LABELS[:8])
    probes = vectorizer.transform(["bail please", "clinic please", "is there a clinic", "bail money"])
    probabilities = model.predict_proba(probes)
    assert probabilities.shape == (4, 2)
    assert list(model.classes_[probabilities.argmax(axis=1)]) == ["bail", "health", "health", "bail"]
    # The same decision as the plain SVM: the softmax only turns its margin into a probability.
    svm = LinearSVC(random_state=0).fit(X, LABELS[:8])
    assert list(model.predict(probes)) == list(svm.predict(probes))


def test_an_intent_with_one_example_trains_without_calibration() -> None:
    texts, labels = TEXTS[:8] + ["bye"], LABELS[:8] + ["goodbye"]
    vectorizer, X = _features(texts)
    model = SoftmaxLinearSVC().fit(X, labels)
    assert model.scale_ == 1.0
    assert np.allclose(model.predict_proba(vectorizer.transform(["bye bye"])).sum(), 1.0)
