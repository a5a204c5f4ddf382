"""Render ``docs/nlu-report.md`` from an evaluation. Pure formatting, no measuring."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import sklearn

from nlu.evaluation import LANGUAGES, BackendResult, EvaluationResults, Scores
from nlu.intents import INTENTS
from nlu.language_table import load_table

LANGUAGE_NAMES = {**{i.code: i.english for i in load_table().supported}, "all": "all"}
#: per-language targets from content/common/languages.yml
F1_TARGETS = {i.code: i.intent_target for i in load_table().supported}
URGENT_RECALL_TARGET = 0.98
#: per-language held-out urgent recall for languages added with their own targets (issue 16)
HELDOUT_URGENT_RECALL_TARGET = 0.95
P99_TARGET_MS = 5.0
# Issue 14 targets.
REAL_TARGET = 0.85
STREET_TARGET = 0.95
URGENT_RECALL_TARGET_14 = 0.99
URGENT_PRECISION_TARGET = 0.85
OOS_TARGET = 0.85
P99_TARGET_14_MS = 2.0
SIZE_TARGET_MB = 50
BASELINE = Path(__file__).resolve().parent / "data" / "baseline-issue14.txt"
ABLATION = Path(__file__).resolve().parent / "data" / "ablation-issue14.txt"


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _scores_table(result: dict[str, Scores]) -> list[str]:
    lines = [
        "| language | n | accuracy | macro-F1 | macro-F1 top-1 | urgent recall | urgent precision | urgent n | out-of-scope precision | out-of-scope recall | out-of-scope n |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang in (*LANGUAGES, "all"):
        if lang not in result:
            continue
        s = result[lang]
        lines.append(
            f"| {LANGUAGE_NAMES[lang]} | {s.n} | {_pct(s.accuracy)} | {_pct(s.macro_f1)} | {_pct(s.macro_f1_top1)} | "
            f"{_pct(s.urgent_recall)} | {_pct(s.urgent_precision)} | {s.urgent_support} | "
            f"{_pct(s.oos_precision)} | {_pct(s.oos_recall)} | {s.oos_support} |"
        )
    return lines


SETS = (
    ("cv", "cross-validation"),
    ("heldout", "old held-out"),
    ("street", "street held-out"),
    ("street2", "street held-out 2"),
    ("real", "real questions"),
)
#: the street-style sets, each reported on its own rows
STREET_SETS = (("street", "street held-out"), ("street2", "street held-out 2"))


def _side_by_side(backends: list[BackendResult]) -> list[str]:
    """One row per (set, language), one column group per backend: the issue's comparison."""
    names = [b.name for b in backends]
    head = "| set | language | n | " + " | ".join(
        f"{n} accuracy | {n} macro-F1 | {n} urgent R | {n} urgent P | {n} out-of-scope P | {n} out-of-scope R" for n in names
    ) + " |"
    lines = [head, "|---|---|---:|" + "---:|" * (6 * len(names))]
    for key, label in SETS:
        for lang in (*LANGUAGES, "all"):
            cells = []
            n = None
            for b in backends:
                table = getattr(b, key)
                if lang not in table:
                    cells.append(" — | — | — | — | — | — ")
                    continue
                s = table[lang]
                n = s.n
                cells.append(
                    f" {_pct(s.accuracy)} | {_pct(s.macro_f1)} | {_pct(s.urgent_recall)} | {_pct(s.urgent_precision)} | "
                    f"{_pct(s.oos_precision) if s.oos_support or s.oos_precision < 1 else '—'} | {_pct(s.oos_recall) if s.oos_support else '—'} "
                )
            if n is not None:
                lines.append(f"| {label} | {LANGUAGE_NAMES[lang]} | {n} |" + "|".join(cells) + "|")
    return lines


def _issue14_targets(results: EvaluationResults) -> list[str]:
    by_name = {b.name: b for b in results.backends}
    emb = by_name.get("embedded")
    if emb is None or not emb.street:
        return ["(embedded backend or street sets not evaluated)"]
    lines = ["| target (issue 14) | embedded | status |", "|---|---|---|"]
    if emb.real:
        value = emb.real["all"].accuracy
        lines.append(f"| real-questions accuracy >= {REAL_TARGET} | {_pct(value)} | {_mark(value >= REAL_TARGET)} |")
    for key, label in STREET_SETS:
        table = getattr(emb, key)
        for lang in LANGUAGES:
            if lang in table:
                value = table[lang].accuracy
                lines.append(f"| {label} accuracy {LANGUAGE_NAMES[lang]} >= {STREET_TARGET} | {_pct(value)} | {_mark(value >= STREET_TARGET)} |")
    for key, label in (*STREET_SETS, ("real", "real questions"), ("cv", "cross-validation")):
        table = getattr(emb, key)
        if "all" not in table:
            continue
        s = table["all"]
        ok = s.urgent_recall >= URGENT_RECALL_TARGET_14 and s.urgent_precision >= URGENT_PRECISION_TARGET
        lines.append(
            f"| urgent recall >= {URGENT_RECALL_TARGET_14} with precision >= {URGENT_PRECISION_TARGET} ({label}, n urgent={s.urgent_support}) | "
            f"R {_pct(s.urgent_recall)}, P {_pct(s.urgent_precision)} | {_mark(ok)} |"
        )
    for key, label in (*STREET_SETS, ("real", "real questions")):
        table = getattr(emb, key)
        if "all" in table and table["all"].oos_support:
            s = table["all"]
            lines.append(
                f"| out-of-scope answered as out of scope >= {OOS_TARGET} ({label}, n={s.oos_support}) | {_pct(s.oos_recall)} | {_mark(s.oos_recall >= OOS_TARGET)} |"
            )
    lines.append(f"| embedded parse p99 <= {P99_TARGET_14_MS:.0f} ms | {emb.latency_p99_ms:.2f} ms | {_mark(emb.latency_p99_ms <= P99_TARGET_14_MS)} |")
    lines.append(f"| embedded model <= {SIZE_TARGET_MB} MB | {emb.model_bytes / 1e6:.1f} MB | {_mark(emb.model_bytes / 1e6 <= SIZE_TARGET_MB)} |")
    return lines


def _urgency_section(results: EvaluationResults) -> list[str]:
    emb = next((b for b in results.backends if b.name == "embedded"), None)
    if emb is None or not emb.urgency_classifier:
        return []
    lines = [
        "## Urgency, decided apart from the topic",
        "",
        "The urgency classifier (`nlu/urgency_model.py`) alone, P(urgent) >= 0.5, without the "
        "lexicon or the tense rule; then the rule as served (`Parse.urgent`, see the tables above). "
        "The rule is documented in `nlu/urgency.py`. Gold: `urgent_*` intents, plus the "
        "messages a test set marks urgent although their topic is not (someone held now, "
        "sexual extortion by police).",
        "",
        "| set | language | n | urgent n | classifier recall | classifier precision |",
        "|---|---|---:|---:|---:|---:|",
    ]
    labels = dict(SETS)
    for key, table in emb.urgency_classifier.items():
        for lang, (recall, precision, support, n) in table.items():
            lines.append(f"| {labels.get(key, key)} | {LANGUAGE_NAMES[lang]} | {n} | {support} | {_pct(recall)} | {_pct(precision)} |")
    if emb.urgency_misses:
        lines += ["", "Street and real messages whose urgency the rule got wrong (embedded):", "", "| message | topic (gold) | said urgent |", "|---|---|---|"]
        for text, intent, said in emb.urgency_misses:
            lines.append(f"| {text.replace('|', '/')} | {intent} | {said} |")
    return lines + [""]


def _ablation_section() -> list[str]:
    if not ABLATION.exists():
        return []
    return [
        "## Does each change help on held-out data?",
        "",
        "Each part switched off in turn (`python -m nlu.quick_eval embedded --no-slang` / "
        "`--no-urgency-model`, model retrained without it), same test sets "
        "(`nlu/data/ablation-issue14.txt`, recorded during issue 14):",
        "",
        "```",
        *ABLATION.read_text(encoding="utf-8").rstrip().splitlines(),
        "```",
        "",
    ]


def _baseline_section() -> list[str]:
    if not BASELINE.exists():
        return []
    return [
        "## Before issue 14",
        "",
        "Measured on the same street sets and real questions before any training-data, slang, "
        "urgency or model change (`nlu/data/baseline-issue14.txt`, written once, not regenerated):",
        "",
        "```",
        *BASELINE.read_text(encoding="utf-8").rstrip().splitlines(),
        "```",
        "",
    ]


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _targets(results: EvaluationResults) -> list[str]:
    by_name = {b.name: b for b in results.backends}
    lines = ["| target | measured | status |", "|---|---|---|"]
    emb = by_name.get("embedded")
    if emb is None:
        return ["(embedded backend not evaluated)"]
    if not emb.cv:
        return ["(no cross-validation in this run)"]
    for lang, target in F1_TARGETS.items():
        value = emb.cv[lang].macro_f1
        lines.append(f"| macro-F1 {LANGUAGE_NAMES[lang]} >= {target:.2f} (CV, embedded) | {_pct(value)} | {_mark(value >= target)} |")
    recall = emb.cv["all"].urgent_recall
    lines.append(f"| urgent recall >= {URGENT_RECALL_TARGET} (CV, embedded) | {_pct(recall)} | {_mark(recall >= URGENT_RECALL_TARGET)} |")
    if emb.heldout:
        held = emb.heldout["all"].urgent_recall
        lines.append(f"| urgent recall >= {URGENT_RECALL_TARGET} (held-out, embedded) | {_pct(held)} | {_mark(held >= URGENT_RECALL_TARGET)} |")
    lines += _language_targets(results, emb)
    lines.append(f"| embedded parse p99 < {P99_TARGET_MS:.0f} ms | {emb.latency_p99_ms:.2f} ms | {_mark(emb.latency_p99_ms < P99_TARGET_MS)} |")
    if emb.load_seconds is not None:
        lines.append(f"| embedded model load < 1 s | {emb.load_seconds:.2f} s | {_mark(emb.load_seconds < 1.0)} |")
    diet = by_name.get("rasa (DIET)")
    if diet is not None:
        for lang in (*LANGUAGES, "all"):
            if lang not in diet.cv:
                continue
            a, b = emb.cv[lang].macro_f1, diet.cv[lang].macro_f1
            lines.append(
                f"| embedded >= DIET, macro-F1 {LANGUAGE_NAMES[lang]} (same folds) | {_pct(a)} vs {_pct(b)} | {_mark(a >= b)} |"
            )
    else:
        lines.append("| embedded >= DIET on the same folds | Rasa not evaluated in this run | — |")
    return lines


def _language_targets(results: EvaluationResults, emb: BackendResult) -> list[str]:
    """Held-out targets of the languages that set them in content/common/languages.yml."""
    lines = []
    for info in load_table().supported:
        if info.language_id_target is None or info.code not in emb.heldout:
            continue
        name, held = info.english, emb.heldout[info.code]
        detected = results.heldout_detection.get(info.code)
        lines.append(f"| intent accuracy {name} >= {info.intent_target:.2f} (held-out, embedded) | "
                     f"{_pct(held.accuracy)} | {_mark(held.accuracy >= info.intent_target)} |")
        lines.append(f"| urgent recall {name} >= {HELDOUT_URGENT_RECALL_TARGET:.2f} (held-out, embedded) | "
                     f"{_pct(held.urgent_recall)} | {_mark(held.urgent_recall >= HELDOUT_URGENT_RECALL_TARGET)} |")
        if detected is not None:
            lines.append(f"| language identified {name} >= {info.language_id_target:.2f} (held-out, no hint) | "
                         f"{_pct(detected.accuracy)} | {_mark(detected.accuracy >= info.language_id_target)} |")
    return lines


def _backend_section(b: BackendResult) -> list[str]:
    lines = [f"### {b.name}", "", f"Cross-validation ({'; '.join(x for x in [b.note] if x) or 'same folds as above'}):", ""]
    lines += _scores_table(b.cv)
    if b.heldout:
        lines += ["", "Old held-out set `nlu/data/heldout/` (never trained on; model trained on all training data):", ""]
        lines += _scores_table(b.heldout)
    if b.street:
        lines += ["", "Street-style held-out sets `nlu/data/street/` (issue 14):", ""]
        lines += _scores_table(b.street)
    if b.street2:
        lines += ["", "Second street-style held-out set `nlu/data/street2/` (written independently during issue 14):", ""]
        lines += _scores_table(b.street2)
    if b.real:
        lines += ["", "Real questions with sources `nlu/data/real/questions.yml` (mostly English; a listed fair alternative counts as right):", ""]
        lines += _scores_table(b.real)
    lines += ["", "Worst confusions in cross-validation (gold -> predicted, count):", ""]
    lines += [f"- `{gold}` -> `{predicted}`: {n}" for gold, predicted, n in b.confusions] or ["- none"]
    lines += [
        "",
        f"- parse latency p50 {b.latency_p50_ms:.2f} ms, p99 {b.latency_p99_ms:.2f} ms ({b.latency_note})",
        f"- model size {b.model_bytes / 1e6:.1f} MB; training on all data {b.train_seconds:.1f} s",
    ]
    if b.load_seconds is not None:
        lines.append(f"- model load (joblib + language detector) {b.load_seconds:.2f} s")
    return lines + [""]


def render(results: EvaluationResults) -> str:
    counts = ", ".join(f"{LANGUAGE_NAMES[l]} {results.counts.get(l, 0)}" for l in LANGUAGES)
    held = ", ".join(f"{LANGUAGE_NAMES[l]} {results.heldout_counts.get(l, 0)}" for l in LANGUAGES)
    street = ", ".join(f"{LANGUAGE_NAMES[l]} {results.street_counts.get(l, 0)}" for l in LANGUAGES)
    street2 = ", ".join(f"{LANGUAGE_NAMES[l]} {results.street2_counts.get(l, 0)}" for l in LANGUAGES)
    lines = [
        "# NLU evaluation report",
        "",
        "Generated by `haki nlu eval` (`make nlu-eval`); do not edit by hand, re-run it.",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}; run took {results.seconds / 60:.1f} min.",
        "",
        "## Issue 14 targets",
        "",
        *_issue14_targets(results),
        "",
        "## Side by side: cross-validation, held-out, street, real",
        "",
        "Per language and set, both backends, same folds and same sets. `urgent R/P` = urgent "
        "recall/precision of `Parse.urgent`; `out-of-scope P` = of the messages answered out of "
        "scope, the share that were; `out-of-scope R` = of the out-of-scope messages, the share "
        "answered out of scope (the issue's \"answered as out of scope\").",
        "",
        *_side_by_side(results.backends),
        "",
        *_baseline_section(),
        *_ablation_section(),
        *_urgency_section(results),
        "## Method",
        "",
        f"- Training data `nlu/data/nlu/*.yml`: {counts} examples, {len(INTENTS)} intents; the "
        "urgency classifier also learns from `nlu/data/urgency/*.yml`.",
        f"- Old held-out data `nlu/data/heldout/*.yml` (never used for training, written separately): {held} messages.",
        f"- Street-style held-out sets `nlu/data/street/*.yml`: {street} messages, written for issue 14 "
        "before any training change (slang, past versus now, police demanding sex without the word "
        "police, out-of-scope legal problems). They are held out from training, but the issue-14 "
        "training additions were written after reading the failures the issue lists and the "
        "baseline run, so the street figures after the change are optimistic; the lead's unseen "
        "sets are the honest check.",
        f"- Second street-style held-out set `nlu/data/street2/*.yml`: {street2} messages, written "
        "2026-12-03 by another developer in parallel with the issue-14 training changes, without "
        "opening the training data or the first street set's texts, and never tuned to.",
        f"- Real questions `nlu/data/real/questions.yml`: {results.real_count} questions people asked in public "
        "(reader letters, FAQ headings, forum titles, news quotes), each with its URL.",
        "- `tests/nlu/test_nlu_heldout_leak.py` fails if any held-out, street or real text is in the training data.",
        f"- Stratified {results.folds}-fold cross-validation on (language, intent), seed {results.seed}. "
        "One model serves all languages (people mix them in one message), so each fold "
        "trains on all languages and the scores are split by the language of the test message. "
        "Both backends use exactly the same folds; the urgency classifier is retrained on each fold.",
        f"- Every ranking goes through the production decision code (`NluService._decide`): the "
        "urgency rule (`nlu/urgency.py`) first, then the topic: an `urgent_*` first choice on a "
        "message the rule finds not urgent gives way to the best non-urgent topic; below "
        f"threshold {results.threshold} the answer is `out_of_scope`, unless the message is urgent, "
        "when the likeliest urgent intent stands in. Accuracy counts a correct but unsure answer "
        "as wrong, as the person would experience it.",
        "- The embedded model reads text after the slang tables (`nlu/slang/`); DIET trains on the "
        "Rasa files as they are (its own character n-grams must learn the slang). Both use the "
        "same urgency classifier and rule.",
        "- `macro-F1` is as served (after the threshold); `macro-F1 top-1` is the classifier's "
        "first choice before the threshold.",
        "- Cross-validation is optimistic where one person wrote a language's examples as translations "
        "of another's (the Sesotho, Setswana and Sepedi files largely mirror each other): a test "
        "sentence's translation sits in the training folds. For those languages the held-out sets, "
        "written before and apart from the training data, are the figures to trust. Two caveats on "
        "those (issue 16): the isiXhosa, Sesotho, Setswana and Sepedi safety-lexicon entries were "
        "written after a first held-out run had shown two missed urgent messages (sexual abuse in "
        "isiXhosa, medicine in the cells in Setswana), and the language detector's weights were "
        "settled after looking at its held-out accuracy three times; so those held-out urgent-recall "
        "and language figures are not fully independent. New held-out messages will tell.",
        "",
        "## Earlier targets (issue of the first model)",
        "",
        *_targets(results),
        "",
        "## Results by backend",
        "",
    ]
    for backend in results.backends:
        lines += _backend_section(backend)
    for note in results.skipped:
        lines += [f"- skipped {note}", ""]
    lines += [
        "## Language detection",
        "",
        f"lingua and word lists restricted to {'/'.join(LANGUAGES)}, no saved-language hint (the service also weighs the hint; "
        "short texts follow the hint). Texts shorter than 20 letters are counted separately.",
        "",
        "| language | n | accuracy | short n | short accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for lang, s in results.detection.items():
        lines.append(f"| {LANGUAGE_NAMES[lang]} | {s.n} | {_pct(s.accuracy)} | {s.short_n} | {_pct(s.short_accuracy)} |")
    if results.heldout_detection:
        lines += ["", "Held-out sets only (the honest figure: the detector's word evidence is learnt from "
                  "the training files, so the table above is optimistic for training texts):", "",
                  "| language | n | accuracy | short n | short accuracy |", "|---|---:|---:|---:|---:|"]
        for lang, s in results.heldout_detection.items():
            lines.append(f"| {LANGUAGE_NAMES[lang]} | {s.n} | {_pct(s.accuracy)} | {s.short_n} | {_pct(s.short_accuracy)} |")
    lines += [
        "",
        "## Reproduce and extend",
        "",
        "- `make nlu-eval` (or `.venv/bin/haki nlu eval --backends embedded` for a one-minute run "
        "without Rasa); `make rasa` first to include DIET.",
        "- Training data: `nlu/data/nlu/<lang>.yml` (Rasa 3.x format, one file per language). "
        "Write examples as people text: SMS spelling, slang, typos, mixed languages, about a friend. "
        "`make nlu` rebuilds the embedded model when the data's hash changes; `make rasa` retrains Rasa.",
        "- Held-out data: `nlu/data/heldout/<lang>.yml`, never trained on (a test checks no held-out "
        "message appears in training). Add real-looking messages the model got wrong here first, "
        "then add *different* examples of the same need to training.",
        "- Urgency: lexicon and tense markers in `nlu/safety_lexicon.yml`, classifier examples in "
        "`nlu/data/urgency/<lang>.yml`, the rule in `nlu/urgency.py`.",
        "- Slang: `nlu/slang/<lang>.yml` (canonical word -> variants; see its README).",
        "- Quick iteration without cross-validation: `make nlu-eval-quick` (prints the test sets only).",
    ]
    emb = next((b for b in results.backends if b.name == "embedded"), None)
    if emb is not None and (emb.street_misses or emb.street2_misses or emb.real_misses):
        lines += ["", "## Street and real messages the embedded model got wrong", "", "| lang | message | gold | predicted |", "|---|---|---|---|"]
        for lang, text, gold, predicted in emb.street_misses + emb.street2_misses + emb.real_misses:
            safe = text.replace("|", "/")
            lines.append(f"| {lang} | {safe} | {gold} | {predicted} |")
    if emb is not None and emb.heldout_misses:
        lines += ["", "## Old held-out messages the embedded model got wrong", "", "| lang | message | gold | predicted |", "|---|---|---|---|"]
        for lang, text, gold, predicted in emb.heldout_misses[:60]:
            safe = text.replace("|", "/")
            lines.append(f"| {lang} | {safe} | {gold} | {predicted} |")
    return "\n".join(lines) + "\n"
