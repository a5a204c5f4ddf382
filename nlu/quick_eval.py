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


def main() -> None:
    backends = sys.argv[1].split(",") if len(sys.argv) > 1 else ["embedded"]
    results = run_evaluation(folds=0, backends=backends)
    for backend in results.backends:
        print(f"== {backend.name}")
        for name, table in (("heldout", backend.heldout), ("street", backend.street), ("real", backend.real)):
            for lang, scores in table.items():
                print(_row(name, lang, scores))
        if "-v" in sys.argv:
            for lang, text, gold, predicted in backend.street_misses + backend.real_misses:
                print(f"  MISS {lang} {gold} -> {predicted}: {text}")
            for text, intent, said in backend.urgency_misses:
                print(f"  URGENCY said={said} ({intent}): {text}")


if __name__ == "__main__":
    main()
