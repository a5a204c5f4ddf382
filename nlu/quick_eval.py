"""``python -m nlu.quick_eval``: the test sets only (no cross-validation), printed.

For iterating on data and rules without starving the shared CPU; ``make nlu-eval``
remains the measurement of record.
"""

from __future__ import annotations

import sys

from nlu.evaluation import Scores, run_evaluation


def _row(name: str, lang: str, s: Scores) -> str:
    return (
        f"{name:8} {lang:4} n={s.n:4} acc={s.accuracy:.3f} f1={s.macro_f1:.3f} "
        f"urg R={s.urgent_recall:.3f} P={s.urgent_precision:.3f} (n={s.urgent_support}) "
        f"oos R={s.oos_recall:.3f} P={s.oos_precision:.3f} (n={s.oos_support})"
    )


def _ablate(flags: list[str]) -> None:
    """Switch a part off to see on the held-out sets whether it helps (issue 14: model
    changes only where held-out data shows they help)."""
    if "--no-slang" in flags:
        from nlu import slang

        slang.default_table.cache_clear()
        slang.default_table = lambda: slang.SlangTable({}, None)  # type: ignore[assignment]
    if "--no-urgency-model" in flags:
        from nlu import urgency_model

        urgency_model.UrgencyModel.probability_of_canonical = lambda self, text, grams=None: 0.0  # type: ignore[method-assign]
        urgency_model.UrgencyModel.probability = lambda self, text: 0.0  # type: ignore[method-assign]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    _ablate(sys.argv[1:])
    backends = args[0].split(",") if args else ["embedded"]
    results = run_evaluation(folds=0, backends=backends)
    for backend in results.backends:
        print(f"== {backend.name}")
        for name, table in (("heldout", backend.heldout), ("street", backend.street), ("street2", backend.street2), ("real", backend.real)):
            for lang, scores in table.items():
                print(_row(name, lang, scores))
        if "-v" in sys.argv:
            for lang, text, gold, predicted in backend.street_misses + backend.street2_misses + backend.real_misses:
                print(f"  MISS {lang} {gold} -> {predicted}: {text}")
            for text, intent, said in backend.urgency_misses:
                print(f"  URGENCY said={said} ({intent}): {text}")


if __name__ == "__main__":
    main()
