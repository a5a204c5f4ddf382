"""``haki content check``: everything an editor can get wrong, with file and line.

Errors (exit 1): schema and cross-reference mistakes, answers without sources, SMS texts
that are not GSM-7 or need more segments than allowed, placeholders that differ between
English and a translation, broken .po files, titles too long for a button.
Warnings: missing or fuzzy translations (English is used meanwhile), reviews older than 12
months, unused sources, a compiled .mo older than its .po.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError

from bot.content.catalogs import SOURCE_LANGUAGE, mo_path, po_path, read_catalog
from bot.content.library import ContentLibrary
from bot.content.placeholders import placeholders
from bot.content.problems import ProblemList
from bot.content.reviews import (
    ReviewReport,
    all_facts,
    load_all_translations,
    review_report,
)
from bot.content.schema import MAX_TITLE_CHARS, ContentSet, parse_content
from bot.content.units import Unit, system_key, topic_key, units_of
from bot.content.validate import validate
from bot.sms_encoding import (
    GSM7_REPLACEMENTS,
    SegmentCount,
    count_segments,
    non_gsm7_characters,
    to_gsm7,
)

SMS_SEGMENT_LIMIT = 2
REVIEW_MAX_AGE = dt.timedelta(days=365)


@dataclass(frozen=True)
class SmsRow:
    jurisdiction: str
    key: str  # intent or system text key
    language: str
    count: SegmentCount
    translated: bool


@dataclass
class Coverage:
    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    missing: int = 0
    fuzzy_keys: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return int(100 * self.translated / self.total) if self.total else 100


@dataclass
class CheckReport:
    root: Path
    problems: ProblemList = field(default_factory=ProblemList)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    topics: list[SmsRow] = field(default_factory=list)
    system: list[SmsRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    reviews: ReviewReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems.errors


#: (language, msgctxt) -> (po file, line) so SMS errors in a translation point into the .po
Locations = dict[tuple[str, str], tuple[Path, int | None]]  # babel's Message.lineno may be None


def run_checks(content_dir: Path, locales_dir: Path, languages: tuple[str, ...],
               today: dt.date | None = None) -> CheckReport:
    today = today or dt.date.today()
    report = CheckReport(root=content_dir.parent)
    problems = report.problems
    content = parse_content(content_dir, problems, reviews=True)
    if problems.errors:
        return report  # cross-checks on half-parsed files only add noise
    validate(content, problems)
    units = units_of(content.common)
    for namespace in content.jurisdictions.values():
        units += units_of(namespace)
    report.counts = {
        "jurisdictions": len(content.jurisdictions),
        "answers": sum(len(ns.topics) for ns in content.jurisdictions.values()),
        "sources": sum(len(ns.sources) for ns in content.jurisdictions.values()),
        "contacts": sum(len(ns.contacts) for ns in content.jurisdictions.values()),
        "system texts": len(content.common.system),
        "texts to translate": len(units),
    }
    _check_reviews(content, problems, today)
    locations: Locations = {}
    for language in languages:
        if language != SOURCE_LANGUAGE:
            report.coverage[language] = _check_catalog(locales_dir, language, units, problems, locations)
    if problems.errors:
        return report
    library = ContentLibrary(content, {}, languages)
    try:
        library = ContentLibrary.load(content_dir, locales_dir, languages, catalog_source="po")
    except Exception as error:  # noqa: BLE001 - reported, not raised: the checker must finish
        problems.error(locales_dir, None, f"cannot load catalogs: {error}")
    _check_sms(content, library, languages, locations, report)
    report.reviews = review_report(content, load_all_translations(locales_dir, languages), languages, today)
    _check_unconfirmed_facts(content, report.reviews, problems)
    _check_orphan_records(content, report.reviews, problems)
    return report


def _check_orphan_records(content: ContentSet, reviews: ReviewReport, problems: ProblemList) -> None:
    """A record whose text no longer exists is history, not a review: say so once per file."""
    known = {state.unit.key for state in reviews.states}
    for namespace in [content.common, *content.jurisdictions.values()]:
        orphans = sorted(key for key in namespace.reviews if key not in known)
        if orphans:
            problems.warning(namespace.review_file, None, f"review records for texts that no longer exist: "
                                                          f"{', '.join(orphans)} (delete them)")


def _check_unconfirmed_facts(content: ContentSet, reviews: ReviewReport, problems: ProblemList) -> None:
    """A text relying on a ⚠ fact must only say that we could not confirm it: say which."""
    facts = all_facts(content)
    relying: dict[str, set[str]] = {}
    for state in reviews.states:
        for fact_id in state.unit.facts:
            fact = facts.get(fact_id)
            if fact is not None and fact.status != "confirmed":
                relying.setdefault(fact_id, set()).add(state.unit.key.rsplit(".", 1)[0])
    for fact_id, keys in sorted(relying.items()):
        fact = facts[fact_id]
        what = ("is not in the fact sheet: a lawyer must confirm it before launch" if fact.status == "to-confirm"
                else "is unconfirmed (never state it as fact)")
        problems.warning(fact.file, fact.line, f"fact {fact_id} {what}; relied on by: {', '.join(sorted(keys))}")


def _check_reviews(content: ContentSet, problems: ProblemList, today: dt.date) -> None:
    for namespace in content.jurisdictions.values():
        for topic in namespace.topics.values():
            if topic.reviewed is None:
                continue
            if today - topic.reviewed > REVIEW_MAX_AGE:
                problems.warning(topic.file, topic.lines["reviewed"],
                                 f"{topic.intent}: last reviewed {topic.reviewed}, more than 12 months ago")
            elif topic.reviewed > today:
                problems.warning(topic.file, topic.lines["reviewed"],
                                 f"{topic.intent}: reviewed date {topic.reviewed} is in the future")


def _check_catalog(locales_dir: Path, language: str, units: list[Unit], problems: ProblemList,
                   locations: Locations) -> Coverage:
    coverage = Coverage(total=len(units))
    path = po_path(locales_dir, language)
    if not path.exists():
        problems.warning(path, None, f"no catalog for {language!r}: every text falls back to English (run make locales)")
        coverage.missing = len(units)
        return coverage
    try:
        catalog = read_catalog(path, language)
    except PoFileError as error:
        problems.error(path, error.lineno, f"broken catalog: {error}")
        coverage.missing = len(units)
        return coverage
    mo = mo_path(locales_dir, language)
    if mo.exists() and mo.stat().st_mtime < path.stat().st_mtime:
        problems.warning(mo, None, "older than the .po: run make locales to compile it")
    by_context = _index(catalog)
    roles = {unit.key: unit.role for unit in units}
    for message in catalog:
        if message.context and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            locations[(language, message.context)] = (path, message.lineno)
            if not message.fuzzy:  # a fuzzy entry is never shown; it is listed as fuzzy below
                _check_message(path, language, message, roles.get(message.context), problems)
    for unit in units:
        found = by_context.get(unit.key)
        if found is None or not found.string:
            coverage.missing += 1
            coverage.missing_keys.append(unit.key)
        elif found.id != unit.text or found.fuzzy:
            coverage.fuzzy += 1
            coverage.fuzzy_keys.append(unit.key)
        else:
            coverage.translated += 1
    untranslated = coverage.total - coverage.translated
    if untranslated:
        problems.warning(path, None, f"{language}: {untranslated} of {coverage.total} texts not translated "
                                     f"({coverage.fuzzy} fuzzy/outdated, {coverage.missing} missing): English "
                                     "is shown for those texts only")
    return coverage


def _index(catalog: Catalog) -> dict[str, Message]:
    return {m.context: m for m in catalog if m.context}


def _check_message(path: Path, language: str, message: Message, role: str | None, problems: ProblemList) -> None:
    assert isinstance(message.id, str) and isinstance(message.string, str)
    expected, found = placeholders(message.id), placeholders(message.string)
    if expected != found:
        problems.error(path, message.lineno,
                       f"{language} {message.context}: placeholders differ from English "
                       f"(English {_braces(expected)}, translation {_braces(found)})")
    if role == "title" and len(message.string) > MAX_TITLE_CHARS:
        problems.error(path, message.lineno, f"{language} {message.context}: title is "
                                             f"{len(message.string)} characters; the limit is {MAX_TITLE_CHARS}")


def _braces(names: list[str]) -> str:
    return " ".join("{" + n + "}" for n in names) or "none"


def _check_sms(content: ContentSet, library: ContentLibrary, languages: tuple[str, ...],
               locations: Locations, report: CheckReport) -> None:
    for name, namespace in sorted(content.jurisdictions.items()):
        for intent, topic in namespace.topics.items():
            for language in languages:
                answer = library.topic(name, intent, language)
                assert answer is not None
                count = count_segments(answer.sms)
                report.topics.append(SmsRow(name, intent, language, count, answer.sms_translated))
                key = topic_key(name, intent, "sms")
                where = locations.get((language, key)) if answer.sms_translated else None
                file, line = where or (topic.file, topic.lines["sms"])
                if language != SOURCE_LANGUAGE and not answer.sms_translated:
                    continue  # the English text, already judged on its own row
                _judge_sms(report.problems, file, line, f"{language} {intent}", answer.sms, count, SMS_SEGMENT_LIMIT)
        for key, definition in sorted({**content.common.system, **namespace.system}.items()):
            owner = name if key in namespace.system else content.common.name
            for language in languages:
                # Parameter values are unknown here: count each as its own "{name}", and let
                # the code that fills them keep them short.
                params = {p: "{" + p + "}" for p in definition.params}
                text = library.text(key, language, name, **params)
                count = count_segments(text)
                translated = library.is_translated(key, language, name)
                report.system.append(SmsRow(name, key, language, count, translated))
                where = locations.get((language, system_key(owner, key))) if translated else None
                file, line = where or (definition.file, definition.line)
                if language != SOURCE_LANGUAGE and not translated:
                    continue
                _judge_sms(report.problems, file, line, f"{language} system.{key}", text, count,
                           definition.max_segments)


def _judge_sms(problems: ProblemList, file: Path, line: int | None, label: str, text: str,
               count: SegmentCount, limit: int) -> None:
    bad = non_gsm7_characters(text)
    if bad:
        hints = ", ".join(f"{ch!r} (U+{ord(ch):04X}) -> {_suggest(ch)}" for ch in bad)
        problems.error(file, line, f"{label}: not GSM-7, so the SMS is sent as UCS-2 (70 characters a "
                                   f"segment, {count.segments} segments). Replace: {hints}")
    if count.segments > limit:
        problems.error(file, line, f"{label}: {count.segments} SMS segments ({count.units} "
                                   f"{'characters' if count.encoding == 'GSM-7' else 'UCS-2 units'}); "
                                   f"the limit is {limit}. Shorten it.")


def _suggest(ch: str) -> str:
    if ch in GSM7_REPLACEMENTS:
        return repr(GSM7_REPLACEMENTS[ch]) if GSM7_REPLACEMENTS[ch] else "remove it"
    plain = to_gsm7(ch)
    return repr(plain) if plain != ch else "rewrite without it"
