"""The shape of ``content/``: what each YAML file may hold, parsed into typed records.

Layout (one folder per namespace, flat, every file says what it is with ``kind:``)::

    content/common/   intents.yml (kind: intents), commands.yml (kind: commands),
                      system.yml (kind: system)       -> shared by every jurisdiction
    content/za/       jurisdiction.yml, contacts.yml, sources.yml, system.yml (overrides),
                      any number of kind: topics files

A new jurisdiction is a new folder with the same kinds of files: no code changes.
Parsing reports problems with file and line and carries on, so one run shows every mistake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.problems import ProblemList
from bot.content.yamlsource import YamlDoc, load_yaml
from nlu.language_table import LanguageTableError, parse_table

COMMON = "common"
KINDS = ("intents", "commands", "system", "jurisdiction", "contacts", "sources", "topics", "facts", "reviews",
         "languages", "taxonomy", "outcomes",
         "choices", "areas")
#: Who may sign a review, and what they can check (docs/editing-content.md).
REVIEW_ROLES = ("lawyer", "paralegal", "native speaker")
REVIEW_CHECKS = ("law", "translation", "back-translation")
#: confirmed: [P]/[S] in the fact sheet; unconfirmed: ⚠ there (never stated as fact);
#: to-confirm: stated, but not in the fact sheet yet (a lawyer must confirm before launch).
FACT_STATUSES = ("confirmed", "unconfirmed", "to-confirm")
#: Sections of a kind: choices file (content/common/choices.yml): section -> language ->
#: name -> words people type (option synonyms, situation triggers, short replies).
CHOICE_SECTIONS = ("options", "situations", "phrases")
COMMAND_NAMES = ("menu", "help", "lang", "stop", "start", "delete", "yes", "no", "status", "share")
#: Menu labels must fit a Telegram button and one SMS line.
MAX_TITLE_CHARS = 24
DEFAULT_MAX_SEGMENTS = 2


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phone: str = ""
    alt_phone: str = ""
    web: str = ""
    email: str = ""
    hours: str = ""
    display: str = ""  # how ``{id}`` reads; default "name phone" or "name (web)"

    def render(self, field_name: str | None = None) -> str | None:
        if field_name is None:
            if self.display:
                return self.display
            if self.phone:
                return f"{self.name} {self.phone}"
            return f"{self.name} ({self.web})" if self.web else self.name
        value = getattr(self, field_name, None) if field_name in _CONTACT_FIELDS else None
        return value or None


_CONTACT_FIELDS = ("name", "phone", "alt_phone", "web", "email", "hours", "display")


@dataclass(frozen=True)
class SourceDef:
    id: str
    short: str  # on the SMS sources line: "Constitution s35"
    full: str  # in the Telegram answer: "Constitution of ..., section 35"
    type: str  # statute, judgment, regulation, organisation
    file: Path
    line: int
    link: str = ""  # where a reviewer can read it (shown in the review pack)


@dataclass(frozen=True)
class TopicDef:
    intent: str
    title: str
    sms: str
    full: str
    follow_ups: tuple[str, ...]
    sources: tuple[str, ...]
    sms_sources: tuple[str, ...]
    help: str | None
    reviewed: dt.date | None
    note: str
    file: Path
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)
    #: Fact-sheet items (ids in facts.yml) the answer relies on.
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactDef:
    """One item of the fact sheet that texts rely on (content/<jurisdiction>/facts.yml)."""
    id: str
    section: str
    says: str
    status: str  # confirmed | unconfirmed
    changed: dt.date
    file: Path
    line: int


@dataclass(frozen=True)
class ReviewRecord:
    """Who checked one text in one language, when, what, and against which facts."""
    key: str
    language: str
    status: str  # draft | reviewed
    date: dt.date
    reviewer: str = ""
    role: str = ""
    checks: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    #: Fingerprint of the text as reviewed (``reviews.fingerprint``): a changed text is stale.
    text: str = ""
    note: str = ""


@dataclass(frozen=True)
class SystemDef:
    key: str
    text: str
    params: tuple[str, ...]
    translate: bool
    max_segments: int
    note: str
    file: Path
    line: int
    facts: tuple[str, ...] = ()


@dataclass
class JurisdictionDef:
    name: str
    menu: tuple[str, ...]
    roles: dict[str, str]
    default_help: str
    file: Path
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Namespace:
    name: str
    directory: Path
    contacts: dict[str, Contact] = field(default_factory=dict)
    contact_lines: dict[str, tuple[Path, int]] = field(default_factory=dict)
    sources: dict[str, SourceDef] = field(default_factory=dict)
    topics: dict[str, TopicDef] = field(default_factory=dict)
    system: dict[str, SystemDef] = field(default_factory=dict)
    jurisdiction: JurisdictionDef | None = None
    facts: dict[str, FactDef] = field(default_factory=dict)
    contact_facts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: text key -> language -> record (content/<namespace>/reviews.yml)
    reviews: dict[str, dict[str, ReviewRecord]] = field(default_factory=dict)
    review_file: Path | None = None
    #: area id (an escalation region) -> names and abbreviations people type ("KZN", "Durban")
    areas: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class IntentGroups:
    topical: tuple[str, ...] = ()
    urgent: tuple[str, ...] = ()
    conversation: tuple[str, ...] = ()

    @property
    def answered_by_topic(self) -> tuple[str, ...]:
        return self.topical + self.urgent

    @property
    def all(self) -> frozenset[str]:
        return frozenset(self.topical + self.urgent + self.conversation)


@dataclass
class ContentSet:
    root: Path
    common: Namespace
    jurisdictions: dict[str, Namespace]
    intents: IntentGroups
    #: language -> command name -> words, exactly as written in commands.yml
    commands: dict[str, dict[str, tuple[str, ...]]]
    docs: list[YamlDoc]
    #: section -> language -> name -> words (kind: choices; see CHOICE_SECTIONS)
    choices: dict[str, dict[str, dict[str, tuple[str, ...]]]] = field(default_factory=dict)


# --- reading ----------------------------------------------------------------------------
def content_files(root: Path) -> list[Path]:
    """YAML files of every namespace; folders starting with "." or "_" are skipped."""
    files: list[Path] = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        if directory.name.startswith((".", "_")):
            continue
        files += sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    return files


def namespace_of(path: Path) -> str:
    """Files sit directly in ``content/<namespace>/``, so the folder name is the namespace."""
    return path.parent.name


#: The review trail's file name: read by the editors' tools, not by the running service.
REVIEWS_FILE = "reviews.yml"


def parse_content(root: Path, problems: ProblemList, *, reviews: bool = False) -> ContentSet:
    """Parse every namespace. ``reviews=True`` also reads the review trail (``reviews.yml``),
    which the service never needs: it is the largest file and only the tools use it."""
    content = ContentSet(root=root, common=Namespace(COMMON, root / COMMON), jurisdictions={},
                         intents=IntentGroups(), commands={}, docs=[])
    if not root.is_dir():
        problems.error(root, None, "content folder not found")
        return content
    for path in content_files(root):
        if path.name == REVIEWS_FILE and not reviews:
            continue
        doc = load_yaml(path, problems)
        if doc is None:
            continue
        content.docs.append(doc)
        ns_name = namespace_of(path)
        if ns_name == COMMON:
            namespace = content.common
        else:
            namespace = content.jurisdictions.setdefault(ns_name, Namespace(ns_name, path.parent))
        parse_doc(doc, namespace, content, problems)
    for name, namespace in content.jurisdictions.items():
        if namespace.jurisdiction is None:
            problems.error(namespace.directory, None, f"jurisdiction {name!r} has no kind: jurisdiction file")
    return content


def parse_doc(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    """Parse one file into ``namespace`` (and, for common files, ``content``)."""
    data = doc.data
    if not isinstance(data, dict):
        problems.error(doc.path, 1, "the file must be a mapping with a 'kind:' key")
        return
    kind = data.get("kind")
    if kind not in KINDS:
        problems.error(doc.path, doc.line("kind"), f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        return
    if kind == "taxonomy":
        return  # oversight categories, read by bot/figures/taxonomy.py
    common_only = kind in ("intents", "commands", "languages", "choices")
    if common_only and namespace.name != COMMON:
        problems.error(doc.path, doc.line("kind"), f"kind: {kind} belongs in content/{COMMON}/")
        return
    if kind == "outcomes":
        # Case outcome codes for responders (bot/escalation/outcomes.py reads them): data
        # for the console, not texts for people, so the library itself keeps nothing.
        _check_outcomes(doc, problems)
        return
    if kind in ("jurisdiction", "contacts", "sources", "topics", "facts", "areas") and namespace.name == COMMON:
        problems.error(doc.path, doc.line("kind"), f"kind: {kind} belongs in a jurisdiction folder")
        return
    parser = {
        "intents": _parse_intents, "commands": _parse_commands, "system": _parse_system,
        "jurisdiction": _parse_jurisdiction, "contacts": _parse_contacts,
        "sources": _parse_sources, "topics": _parse_topics, "facts": _parse_facts,
        "reviews": _parse_reviews, "languages": _parse_languages,
        "choices": _parse_choices, "areas": _parse_areas,
    }[kind]
    parser(doc, namespace, content, problems)


def _check_outcomes(doc: YamlDoc, problems: ProblemList) -> None:
    outcomes = doc.data.get("outcomes")
    if not isinstance(outcomes, dict) or not outcomes:
        problems.error(doc.path, doc.line("kind"), "outcomes: must map codes to a label")
        return
    for code, entry in outcomes.items():
        if not (isinstance(code, str) and code.isidentifier() and len(code) <= 32):
            problems.error(doc.path, doc.line("outcomes", code), f"outcome code {code!r} must be a short identifier")
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            problems.error(doc.path, doc.line("outcomes", code), f"outcomes.{code}.label is missing")


def _str(doc: YamlDoc, problems: ProblemList, value: Any, *where: str | int, required: bool = True) -> str:
    if value is None:
        if required:
            problems.error(doc.path, doc.line(*where), f"{'.'.join(map(str, where))} is missing")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.error(doc.path, doc.line(*where), f"{'.'.join(map(str, where))} must be text")
        return ""
    text = str(value).strip()
    if required and not text:
        problems.error(doc.path, doc.line(*where), f"{'.'.join(map(str, where))} is empty")
    return text


def _str_list(doc: YamlDoc, problems: ProblemList, value: Any, *where: str | int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.error(doc.path, doc.line(*where), f"{'.'.join(map(str, where))} must be a list of names")
        return ()
    return tuple(v.strip() for v in value)


def _mapping(doc: YamlDoc, problems: ProblemList, key: str) -> dict[str, Any]:
    value = doc.data.get(key)
    if not isinstance(value, dict):
        problems.error(doc.path, doc.line(key), f"'{key}:' must be a mapping")
        return {}
    return value


def _parse_intents(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    groups = {}
    for group in ("topical", "urgent", "conversation"):
        groups[group] = _str_list(doc, problems, doc.data.get(group), group)
    if content is not None:
        content.intents = IntentGroups(**groups)


def _parse_commands(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    words = _mapping(doc, problems, "words")
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for language, commands in words.items():
        if not isinstance(commands, dict):
            problems.error(doc.path, doc.line("words", language), f"words.{language} must be a mapping")
            continue
        table[language] = {}
        for command, items in commands.items():
            if command not in COMMAND_NAMES:
                problems.error(doc.path, doc.line("words", language, command),
                               f"unknown command {command!r}; use one of {', '.join(COMMAND_NAMES)}")
                continue
            table[language][command] = _str_list(doc, problems, items, "words", language, command)
    if content is not None:
        content.commands = table


def _parse_languages(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    """languages.yml is read by nlu.language_table (settings need it before content loads);
    here it is only checked."""
    try:
        parse_table(doc.data, str(doc.path))
    except LanguageTableError as error:
        problems.error(doc.path, doc.line("languages"), str(error))


def _parse_choices(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    table: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {}
    for section in CHOICE_SECTIONS:
        languages = doc.data.get(section) or {}
        if not isinstance(languages, dict):
            problems.error(doc.path, doc.line(section), f"'{section}:' must map a language to names and words")
            continue
        table[section] = {}
        for language, names in languages.items():
            if not isinstance(names, dict):
                problems.error(doc.path, doc.line(section, language), f"{section}.{language} must be a mapping")
                continue
            table[section][str(language)] = {
                str(name): _str_list(doc, problems, words, section, language, name)
                for name, words in names.items()}
    for key in sorted(set(doc.data) - set(CHOICE_SECTIONS) - {"kind"}):
        problems.error(doc.path, doc.line(key), f"unknown section {key!r}; use {', '.join(CHOICE_SECTIONS)}")
    if content is not None:
        content.choices = table


def _parse_areas(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    for area, words in _mapping(doc, problems, "areas").items():
        namespace.areas[str(area)] = _str_list(doc, problems, words, "areas", area)


def _parse_system(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    for key, value in _mapping(doc, problems, "texts").items():
        spec = value if isinstance(value, dict) else {"text": value}
        where = ("texts", key) if not isinstance(value, dict) else ("texts", key, "text")
        text = _str(doc, problems, spec.get("text"), *where)
        max_segments = spec.get("max_segments", DEFAULT_MAX_SEGMENTS)
        if not isinstance(max_segments, int) or max_segments < 1:
            problems.error(doc.path, doc.line("texts", key), "max_segments must be a positive number")
            max_segments = DEFAULT_MAX_SEGMENTS
        if key in namespace.system:
            problems.error(doc.path, doc.line("texts", key), f"system text {key!r} is defined twice")
        namespace.system[key] = SystemDef(
            key=key, text=text, params=_str_list(doc, problems, spec.get("params"), "texts", key, "params"),
            translate=bool(spec.get("translate", True)), max_segments=max_segments,
            note=_str(doc, problems, spec.get("note"), "texts", key, "note", required=False),
            file=doc.path, line=doc.line(*where),
            facts=_str_list(doc, problems, spec.get("facts"), "texts", key, "facts"))


def _parse_jurisdiction(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    if namespace.jurisdiction is not None:
        problems.error(doc.path, 1, f"a second kind: jurisdiction file for {namespace.name!r}")
        return
    roles = doc.data.get("roles") or {}
    if not isinstance(roles, dict):
        problems.error(doc.path, doc.line("roles"), "roles must map a role name to a contact id")
        roles = {}
    namespace.jurisdiction = JurisdictionDef(
        name=_str(doc, problems, doc.data.get("name"), "name"),
        menu=_str_list(doc, problems, doc.data.get("menu"), "menu"),
        roles={str(k): str(v) for k, v in roles.items()},
        default_help=_str(doc, problems, doc.data.get("default_help"), "default_help"),
        file=doc.path, line=1, lines={k[0]: v for k, v in doc.lines.items() if len(k) == 1 and isinstance(k[0], str)})


def _parse_contacts(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    for contact_id, spec in _mapping(doc, problems, "contacts").items():
        if not isinstance(spec, dict):
            problems.error(doc.path, doc.line("contacts", contact_id), "a contact must be a mapping")
            continue
        unknown = set(spec) - set(_CONTACT_FIELDS) - {"source", "checked", "note", "facts"}
        for name in sorted(unknown):
            problems.error(doc.path, doc.line("contacts", contact_id, name), f"unknown contact field {name!r}")
        if not spec.get("source"):
            # A phone number nobody can trace is how wrong numbers reach people in danger.
            problems.error(doc.path, doc.line("contacts", contact_id), "contact has no 'source:' (where the number comes from)")
        values = {f: _str(doc, problems, spec.get(f), "contacts", contact_id, f, required=(f == "name"))
                  for f in _CONTACT_FIELDS}
        if contact_id in namespace.contacts:
            problems.error(doc.path, doc.line("contacts", contact_id), f"contact {contact_id!r} defined twice")
        namespace.contacts[contact_id] = Contact(id=contact_id, **values)
        namespace.contact_facts[contact_id] = _str_list(doc, problems, spec.get("facts"), "contacts", contact_id, "facts")
        namespace.contact_lines[contact_id] = (doc.path, doc.line("contacts", contact_id))


def _parse_sources(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    for source_id, spec in _mapping(doc, problems, "sources").items():
        if not isinstance(spec, dict):
            problems.error(doc.path, doc.line("sources", source_id), "a source must be a mapping")
            continue
        source_type = _str(doc, problems, spec.get("type"), "sources", source_id, "type")
        if source_type and source_type not in ("statute", "judgment", "regulation", "policy", "organisation"):
            problems.error(doc.path, doc.line("sources", source_id, "type"),
                           "type must be statute, judgment, regulation, policy or organisation")
        if source_id in namespace.sources:
            problems.error(doc.path, doc.line("sources", source_id), f"source {source_id!r} defined twice")
        namespace.sources[source_id] = SourceDef(
            id=source_id, short=_str(doc, problems, spec.get("short"), "sources", source_id, "short"),
            full=_str(doc, problems, spec.get("full"), "sources", source_id, "full"),
            type=source_type, file=doc.path, line=doc.line("sources", source_id, "short"),
            link=_str(doc, problems, spec.get("link"), "sources", source_id, "link", required=False))


def _parse_topics(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    allowed = {"title", "sms", "full", "follow_ups", "sources", "sms_sources", "help", "reviewed", "note", "facts"}
    for intent, spec in _mapping(doc, problems, "topics").items():
        if not isinstance(spec, dict):
            problems.error(doc.path, doc.line("topics", intent), "a topic must be a mapping")
            continue
        for name in sorted(set(spec) - allowed):
            problems.error(doc.path, doc.line("topics", intent, name), f"unknown topic field {name!r}")
        reviewed = spec.get("reviewed")
        if not isinstance(reviewed, dt.date):
            problems.error(doc.path, doc.line("topics", intent, "reviewed"),
                           "reviewed must be a date like 2026-11-22 (when a person last checked this answer)")
            reviewed = None
        sources = _str_list(doc, problems, spec.get("sources"), "topics", intent, "sources")
        sms_sources = _str_list(doc, problems, spec.get("sms_sources"), "topics", intent, "sms_sources")
        if intent in namespace.topics:
            problems.error(doc.path, doc.line("topics", intent), f"topic {intent!r} defined twice")
        namespace.topics[intent] = TopicDef(
            intent=intent,
            title=_str(doc, problems, spec.get("title"), "topics", intent, "title"),
            sms=_str(doc, problems, spec.get("sms"), "topics", intent, "sms"),
            full=_str(doc, problems, spec.get("full"), "topics", intent, "full"),
            follow_ups=_str_list(doc, problems, spec.get("follow_ups"), "topics", intent, "follow_ups"),
            sources=sources, sms_sources=sms_sources or sources[:1],
            help=_str(doc, problems, spec.get("help"), "topics", intent, "help", required=False) or None,
            reviewed=reviewed,
            note=_str(doc, problems, spec.get("note"), "topics", intent, "note", required=False),
            file=doc.path, line=doc.line("topics", intent),
            lines={name: doc.line("topics", intent, name) for name in allowed},
            facts=_str_list(doc, problems, spec.get("facts"), "topics", intent, "facts"))


def _date(doc: YamlDoc, problems: ProblemList, value: Any, *where: str | int) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    problems.error(doc.path, doc.line(*where), f"{'.'.join(map(str, where))} must be a date like 2026-11-26")
    return None


def _parse_facts(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    for fact_id, spec in _mapping(doc, problems, "facts").items():
        if not isinstance(spec, dict):
            problems.error(doc.path, doc.line("facts", fact_id), "a fact must be a mapping")
            continue
        status = _str(doc, problems, spec.get("status"), "facts", fact_id, "status")
        if status and status not in FACT_STATUSES:
            problems.error(doc.path, doc.line("facts", fact_id, "status"),
                           f"status must be one of {', '.join(FACT_STATUSES)}")
        changed = _date(doc, problems, spec.get("changed"), "facts", fact_id, "changed")
        if fact_id in namespace.facts:
            problems.error(doc.path, doc.line("facts", fact_id), f"fact {fact_id!r} defined twice")
        namespace.facts[fact_id] = FactDef(
            id=fact_id, section=_str(doc, problems, spec.get("section"), "facts", fact_id, "section"),
            says=_str(doc, problems, spec.get("says"), "facts", fact_id, "says"), status=status,
            changed=changed or dt.date.min, file=doc.path, line=doc.line("facts", fact_id))


def _parse_reviews(doc: YamlDoc, namespace: Namespace, content: ContentSet | None, problems: ProblemList) -> None:
    namespace.review_file = doc.path
    for key, languages in (doc.data.get("texts") or {}).items():
        if not isinstance(languages, dict):
            problems.error(doc.path, doc.line("texts", key), "a text's reviews map a language to a record")
            continue
        for language, spec in languages.items():
            where = ("texts", key, language)
            if not isinstance(spec, dict):
                problems.error(doc.path, doc.line(*where), "a review record must be a mapping")
                continue
            status = spec.get("status")
            if status not in ("draft", "reviewed"):
                problems.error(doc.path, doc.line(*where), "status must be draft or reviewed")
                continue
            date = _date(doc, problems, spec.get("date"), *where, "date")
            record = ReviewRecord(
                key=str(key), language=str(language), status=status, date=date or dt.date.min,
                reviewer=str(spec.get("reviewer") or ""), role=str(spec.get("role") or ""),
                checks=_str_list(doc, problems, spec.get("checks"), *where, "checks"),
                facts=_str_list(doc, problems, spec.get("facts"), *where, "facts"),
                text=str(spec.get("text") or ""), note=str(spec.get("note") or ""))
            if status == "reviewed":
                # A signed record without a person is worse than a draft: it looks checked.
                if not record.reviewer or record.role not in REVIEW_ROLES:
                    problems.error(doc.path, doc.line(*where),
                                   f"a reviewed record needs reviewer: and role: one of {', '.join(REVIEW_ROLES)}")
                for check in record.checks:
                    if check not in REVIEW_CHECKS:
                        problems.error(doc.path, doc.line(*where, "checks"),
                                       f"unknown check {check!r}; use {', '.join(REVIEW_CHECKS)}")
            namespace.reviews.setdefault(str(key), {})[str(language)] = record
