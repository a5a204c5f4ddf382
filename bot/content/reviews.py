"""The review trail: who checked which text, in which language, against which facts.

Every text a person can receive (each topic's title, SMS and Telegram answer, the safety
texts, the consent, privacy and system texts, source names and contact names) has one
review record per language in ``content/<namespace>/reviews.yml``. A record is

- ``draft``: written by the content team, nobody has signed it (every text starts so);
- ``reviewed``: signed by a named lawyer, paralegal or native speaker (``haki content
  sign-off``), with the date, what they checked and the fact-sheet items the text relies on.

A reviewed record turns **stale** when the text changed since (its fingerprint differs), when
it is older than 12 months, or when a fact it relies on changed after the review
(``changed:`` in ``facts.yml``). ``haki content check`` counts and lists all three.
The records are data written by tools (``review-init``, ``sign-off``), never by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.catalogs import SOURCE_LANGUAGE, TranslationTable, load_translations
from bot.content.schema import (
    REVIEW_CHECKS,
    REVIEW_ROLES,
    ContentSet,
    FactDef,
    Namespace,
    ReviewRecord,
)
from bot.content.units import Unit, units_of

REVIEW_MAX_AGE = dt.timedelta(days=365)
SIGNOFF_FORMAT = "haki-review/1"
#: Where completed sign-off files are archived (a folder the content parser skips).
SIGNOFF_ARCHIVE = "_signoffs"
STATUSES = ("reviewed", "draft", "stale")


@dataclass(frozen=True)
class ReviewUnit:
    """One text to review: its key, its English, the facts it relies on, and its owner."""
    key: str
    namespace: str
    english: str
    role: str  # title, sms, full, system, source, contact
    facts: tuple[str, ...]
    languages_apply: bool  # False: an operational English-only text
    unit: Unit | None
    sources: tuple[str, ...] = ()  # source ids (topics only)


@dataclass
class ReviewState:
    unit: ReviewUnit
    language: str
    status: str  # reviewed | draft | stale
    reason: str
    text: str  # the text in this language ("" when not translated)
    fingerprint: str
    record: ReviewRecord | None


@dataclass
class ReviewReport:
    states: list[ReviewState] = field(default_factory=list)

    def by_language(self, language: str) -> dict[str, list[ReviewState]]:
        result: dict[str, list[ReviewState]] = {status: [] for status in STATUSES}
        for state in self.states:
            if state.language == language:
                result[state.status].append(state)
        return result


def fingerprint(english: str, text: str) -> str:
    """Changes when the English source or this language's text changes."""
    return hashlib.sha256(f"{english}\x1f{text}".encode()).hexdigest()[:12]


def review_units(content: ContentSet) -> list[ReviewUnit]:
    result: list[ReviewUnit] = []
    for namespace in [content.common, *content.jurisdictions.values()]:
        for unit in units_of(namespace):
            result.append(ReviewUnit(unit.key, namespace.name, unit.text, unit.role,
                                     _facts_of(namespace, unit), True, unit, _sources_of(namespace, unit)))
        for text in namespace.system.values():
            if not text.translate:
                result.append(ReviewUnit(f"{namespace.name}:system.{text.key}", namespace.name, text.text,
                                         "system", text.facts, False, None))
    return result


def _facts_of(namespace: Namespace, unit: Unit) -> tuple[str, ...]:
    kind, _, rest = unit.key.partition(":")[2].partition(".")
    if kind == "topic":
        intent = rest.rsplit(".", 1)[0]
        topic = namespace.topics.get(intent)
        return topic.facts if topic else ()
    if kind == "system":
        definition = namespace.system.get(rest)
        return definition.facts if definition else ()
    if kind == "contact":
        return namespace.contact_facts.get(rest.rsplit(".", 1)[0], ())
    return ()


def _sources_of(namespace: Namespace, unit: Unit) -> tuple[str, ...]:
    kind, _, rest = unit.key.partition(":")[2].partition(".")
    if kind == "topic":
        topic = namespace.topics.get(rest.rsplit(".", 1)[0])
        return topic.sources if topic else ()
    if kind == "source":
        return (rest.rsplit(".", 1)[0],)
    return ()


def all_facts(content: ContentSet) -> dict[str, FactDef]:
    """Facts of every jurisdiction by id; common texts rely on them by the same ids."""
    facts: dict[str, FactDef] = {}
    for namespace in content.jurisdictions.values():
        for fact in namespace.facts.values():
            if fact.id not in facts or fact.changed > facts[fact.id].changed:
                facts[fact.id] = fact
    return facts


def _namespace(content: ContentSet, name: str) -> Namespace:
    return content.common if name == content.common.name else content.jurisdictions[name]


def text_in(unit: ReviewUnit, language: str, translations: dict[str, TranslationTable]) -> str:
    if language == SOURCE_LANGUAGE:
        return unit.english
    return translations.get(language, {}).get((unit.key, unit.english), "")


def load_all_translations(locales_dir: Path, languages: tuple[str, ...]) -> dict[str, TranslationTable]:
    return {language: load_translations(locales_dir, language, prefer="po")
            for language in languages if language != SOURCE_LANGUAGE}


def review_report(content: ContentSet, translations: dict[str, TranslationTable],
                  languages: tuple[str, ...], today: dt.date) -> ReviewReport:
    facts = all_facts(content)
    report = ReviewReport()
    for unit in review_units(content):
        records = _namespace(content, unit.namespace).reviews.get(unit.key, {})
        for language in languages:
            if language != SOURCE_LANGUAGE and not unit.languages_apply:
                continue
            text = text_in(unit, language, translations)
            mark = fingerprint(unit.english, text)
            record = records.get(language)
            status, reason = _status(unit, text, mark, record, facts, today)
            report.states.append(ReviewState(unit, language, status, reason, text, mark, record))
    return report


def _status(unit: ReviewUnit, text: str, mark: str, record: ReviewRecord | None,
            facts: dict[str, FactDef], today: dt.date) -> tuple[str, str]:
    if not text:
        return "draft", "not translated (English is shown)"
    if record is None:
        return "draft", "no review record (run haki content review-init)"
    if record.status == "draft":
        return "draft", "written by the content team, not signed"
    if record.text != mark:
        return "stale", f"text changed since {record.reviewer} reviewed it on {record.date}"
    if today - record.date > REVIEW_MAX_AGE:
        return "stale", f"reviewed on {record.date}, more than 12 months ago"
    for fact_id in record.facts or unit.facts:
        fact = facts.get(fact_id)
        if fact is not None and fact.changed > record.date:
            return "stale", f"fact {fact_id} changed on {fact.changed}, after the review on {record.date}"
    return "reviewed", f"{record.reviewer} ({record.role}), {record.date}"


# --- writing records -----------------------------------------------------------------------
def reviews_path(content: ContentSet, namespace: str) -> Path:
    ns = _namespace(content, namespace)
    return ns.review_file or ns.directory / "reviews.yml"


_HEADER = """\
# Review trail (written by `haki content review-init` and `haki content sign-off`; do not
# edit by hand). One record per text and language: status draft (not signed) or reviewed
# (signed by the named person), date, checks, the fact-sheet items relied on (facts.yml) and
# a fingerprint of the text as reviewed. See docs/editing-content.md, "Review and sign-off".
kind: reviews
"""


def write_reviews(path: Path, reviews: dict[str, dict[str, ReviewRecord]]) -> None:
    lines = [_HEADER.rstrip("\n"), "texts:" if reviews else "texts: {}"]
    for key in sorted(reviews):
        lines.append(f"  {json.dumps(key)}:")
        for language in sorted(reviews[key]):
            lines.append(f"    {language}: {_flow(reviews[key][language])}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _flow(record: ReviewRecord) -> str:
    data: dict[str, Any] = {"status": record.status, "date": record.date}
    if record.status == "reviewed":
        data.update(reviewer=record.reviewer, role=record.role, checks=list(record.checks))
    data["facts"] = list(record.facts)
    data["text"] = record.text
    if record.note:
        data["note"] = record.note
    dumped = yaml.safe_dump(data, default_flow_style=True, width=10_000, allow_unicode=True, sort_keys=False)
    return dumped.strip()


def init_records(content: ContentSet, translations: dict[str, TranslationTable],
                 languages: tuple[str, ...], today: dt.date) -> dict[Path, int]:
    """Add a draft record for every text and language without one. Never touches a record
    that exists. Returns how many were added per file."""
    added: dict[Path, int] = {}
    by_namespace: dict[str, dict[str, dict[str, ReviewRecord]]] = {}
    for unit in review_units(content):
        ns = _namespace(content, unit.namespace)
        reviews = by_namespace.setdefault(unit.namespace, {k: dict(v) for k, v in ns.reviews.items()})
        for language in languages:
            if language != SOURCE_LANGUAGE and not unit.languages_apply:
                continue
            if language in reviews.get(unit.key, {}):
                continue
            text = text_in(unit, language, translations)
            if not text:
                continue  # nothing to review yet in this language
            reviews.setdefault(unit.key, {})[language] = ReviewRecord(
                key=unit.key, language=language, status="draft", date=today, facts=unit.facts,
                text=fingerprint(unit.english, text))
            path = reviews_path(content, unit.namespace)
            added[path] = added.get(path, 0) + 1
    for name, reviews in by_namespace.items():
        path = reviews_path(content, name)
        if path in added:
            write_reviews(path, reviews)
    return added


# --- sign-off ------------------------------------------------------------------------------
@dataclass
class SignOffResult:
    signed: list[str] = field(default_factory=list)
    not_approved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    archived: Path | None = None


def sign_off(content: ContentSet, translations: dict[str, TranslationTable],
             data: dict[str, Any]) -> SignOffResult:
    """Record a completed review (the file the review pack saves). Only texts the reviewer
    approved, whose text is still exactly what they saw, become ``reviewed``."""
    result = SignOffResult()
    if data.get("format") != SIGNOFF_FORMAT:
        result.errors.append(f"not a Haki review file (format must be {SIGNOFF_FORMAT!r})")
        return result
    reviewer = data.get("reviewer") or {}
    name, role = str(reviewer.get("name") or "").strip(), str(reviewer.get("role") or "").strip()
    language = str(data.get("language") or "")
    try:
        date = dt.date.fromisoformat(str(data.get("date")))
    except ValueError:
        result.errors.append("date must be like 2026-12-10")
        return result
    if not name:
        result.errors.append("the reviewer's name is missing: a review is signed by a person")
    if role not in REVIEW_ROLES:
        result.errors.append(f"role must be one of {', '.join(REVIEW_ROLES)}")
    if result.errors:
        return result
    units = {unit.key: unit for unit in review_units(content)}
    changed: set[str] = set()
    for item in data.get("texts") or []:
        key = str(item.get("key") or "")
        unit = units.get(key)
        if unit is None:
            result.skipped.append(f"{key}: no such text")
            continue
        if not item.get("approved"):
            comment = str(item.get("comment") or "").strip()
            result.not_approved.append(f"{key}{': ' + comment if comment else ''}")
            continue
        checks = tuple(c for c in item.get("checks") or [] if c in REVIEW_CHECKS)
        if not checks:
            result.skipped.append(f"{key}: approved but nothing ticked as checked")
            continue
        if "law" in checks and role == "native speaker":
            result.skipped.append(f"{key}: a law check needs a lawyer or paralegal")
            continue
        text = text_in(unit, language, translations)
        mark = fingerprint(unit.english, text)
        if not text or item.get("fingerprint") != mark:
            result.skipped.append(f"{key}: the text changed since the pack was made; make a new pack")
            continue
        ns = _namespace(content, unit.namespace)
        note = str(item.get("comment") or "").strip()
        ns.reviews.setdefault(key, {})[language] = ReviewRecord(
            key=key, language=language, status="reviewed", date=date, reviewer=name, role=role,
            checks=checks, facts=unit.facts, text=mark, note=note)
        changed.add(unit.namespace)
        result.signed.append(key)
    for namespace in changed:
        write_reviews(reviews_path(content, namespace), _namespace(content, namespace).reviews)
    if result.signed:
        archive = content.root / SIGNOFF_ARCHIVE
        archive.mkdir(parents=True, exist_ok=True)
        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
        target = archive / f"{date.isoformat()}-{language}-{slug}.json"
        target.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
        result.archived = target
    return result
