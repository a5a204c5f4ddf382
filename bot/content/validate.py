"""Cross-file rules for content (cheap enough to run on every load).

What one file cannot know on its own: that every intent has an answer, that follow-ups,
sources and contacts exist, that placeholders can be filled. Translation and SMS-length
rules need the catalogs and live in ``checks.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.content.placeholders import fill, placeholders
from bot.content.problems import ProblemList
from bot.content.schema import COMMON, MAX_TITLE_CHARS, ContentSet, Namespace
from bot.content.units import units_of

#: System texts the core asks for by key (the contract in docs/architecture.md).
REQUIRED_SYSTEM_TEXTS = (
    "welcome", "privacy_notice", "disclaimer", "menu_intro", "language_prompt", "language_changed",
    "not_understood", "stop_confirmed", "start_confirmed", "delete_confirm", "delete_done",
    "delete_cancelled", "media_unsupported", "empty_message", "greet", "thanks", "goodbye",
    "rate_limited", "fallback_language_note", "option_menu", "option_yes", "option_no", "option_more",
    "help_commands",
    # used by the content library itself to build answers
    "sms_footer", "disclaimer_full", "sources_label",
)


#: (contact id, English display) -> the display in the reader's language
DisplayTranslator = Callable[[str, str], str]


def contact_resolver(namespace: Namespace | None, params: Mapping[str, str],
                     translate_display: DisplayTranslator | None = None
                     ) -> Callable[[str, str | None], str | None]:
    """Resolve ``{name}``/``{name.field}``: call parameters first, then contacts, then roles.

    A contact's ``display`` ("Legal Aid SA at a court") is a text like any other and is
    translated with ``translate_display``; numbers and names are not."""

    def resolve(name: str, field_name: str | None) -> str | None:
        if field_name is None and name in params:
            return params[name]
        if namespace is None:
            return None
        contact = namespace.contacts.get(name)
        if contact is None and namespace.jurisdiction is not None:
            target = namespace.jurisdiction.roles.get(name)
            contact = namespace.contacts.get(target) if target else None
        if contact is None:
            return None
        if field_name is None and contact.display and translate_display is not None:
            return translate_display(contact.id, contact.display)
        return contact.render(field_name)

    return resolve


def unresolved(text: str, namespace: Namespace | None, params: tuple[str, ...] = ()) -> list[str]:
    marker = "\x00"
    resolve = contact_resolver(namespace, {p: marker for p in params})
    return placeholders(fill(text, resolve))


def validate(content: ContentSet, problems: ProblemList) -> None:
    intents = content.intents
    if not intents.answered_by_topic:
        problems.error(content.root / COMMON, None, "no kind: intents file lists the topical and urgent intents")
    _validate_commands(content, problems)
    for key in REQUIRED_SYSTEM_TEXTS:
        if key not in content.common.system:
            problems.error(content.root / COMMON, None, f"system text {key!r} is missing (the core needs it)")
    for namespace in content.jurisdictions.values():
        _validate_jurisdiction(content, namespace, problems)
        _validate_facts(content, namespace, problems)


def _validate_facts(content: ContentSet, ns: Namespace, problems: ProblemList) -> None:
    """Every fact a text relies on is in this jurisdiction's facts.yml (common texts too)."""
    def check(facts: tuple[str, ...], file: object, line: int | None, what: str) -> None:
        for fact_id in facts:
            if fact_id not in ns.facts:
                problems.error(file, line, f"{what} relies on fact {fact_id!r}, which is not in "  # type: ignore[arg-type]
                                           f"content/{ns.name}/facts.yml")
    if not ns.facts:
        return  # a jurisdiction without a facts file has nothing to check against yet
    for topic in ns.topics.values():
        check(topic.facts, topic.file, topic.line, topic.intent)
    for owner in (ns, content.common):
        for text in owner.system.values():
            check(text.facts, text.file, text.line, f"system text {text.key}")
    for contact_id, facts in ns.contact_facts.items():
        file, line = ns.contact_lines.get(contact_id, (ns.directory, None))
        check(facts, file, line, f"contact {contact_id}")


def _validate_commands(content: ContentSet, problems: ProblemList) -> None:
    where = content.root / COMMON / "commands.yml"
    if "en" not in content.commands:
        problems.error(where, None, "command words for 'en' are missing (English words always work)")
    for language, table in content.commands.items():
        owner: dict[str, str] = {}
        for command, words in table.items():
            for word in words:
                normal = " ".join(word.upper().split())
                if normal in owner and owner[normal] != command:
                    problems.error(where, None, f"{language}: {word!r} means both {owner[normal]} and {command}")
                owner[normal] = command


def _validate_jurisdiction(content: ContentSet, ns: Namespace, problems: ProblemList) -> None:
    jur = ns.jurisdiction
    if jur is None:
        return
    for role, contact_id in jur.roles.items():
        if contact_id not in ns.contacts:
            problems.error(jur.file, jur.lines.get("roles"), f"role {role!r} names unknown contact {contact_id!r}")
    if jur.default_help and contact_resolver(ns, {})(jur.default_help, None) is None:
        problems.error(jur.file, jur.lines.get("default_help"), f"default_help {jur.default_help!r} is not a contact or role")
    for intent in jur.menu:
        if intent not in ns.topics or intent not in content.intents.topical:
            problems.error(jur.file, jur.lines.get("menu"), f"menu lists {intent!r}, which has no topical answer")
    for intent in content.intents.answered_by_topic:
        if intent not in ns.topics:
            problems.error(ns.directory, None, f"{ns.name}: intent {intent!r} has no answer (add it to a topics file)")
    used_sources: set[str] = set()
    for topic in ns.topics.values():
        line = topic.lines
        if topic.intent not in content.intents.answered_by_topic:
            problems.error(topic.file, topic.line, f"{topic.intent!r} is not a topical or urgent intent in intents.yml")
        if len(topic.title) > MAX_TITLE_CHARS:
            problems.error(topic.file, line["title"], f"title is {len(topic.title)} characters; the limit is {MAX_TITLE_CHARS}")
        for follow_up in topic.follow_ups:
            if follow_up not in ns.topics:
                problems.error(topic.file, line["follow_ups"], f"follow-up {follow_up!r} has no answer")
        if not topic.sources:
            problems.error(topic.file, line["sources"], f"{topic.intent}: every answer needs at least one source")
        for source_id in topic.sources + topic.sms_sources:
            used_sources.add(source_id)
            if source_id not in ns.sources:
                problems.error(topic.file, line["sources"], f"source {source_id!r} is not in a kind: sources file")
        for source_id in topic.sms_sources:
            if source_id not in topic.sources:
                problems.error(topic.file, line["sms_sources"], f"sms_sources {source_id!r} is not in this topic's sources")
        if topic.help and contact_resolver(ns, {})(topic.help, None) is None:
            problems.error(topic.file, line["help"], f"help {topic.help!r} is not a contact or role")
    for source in ns.sources.values():
        if source.id not in used_sources:
            problems.warning(source.file, source.line, f"source {source.id!r} is not used by any answer")
    # Placeholders must be fillable for this jurisdiction, in its own texts and the common ones.
    for unit in units_of(ns) + units_of(content.common):
        params: tuple[str, ...] = ()
        if unit.role == "system":
            key = unit.key.split(":system.", 1)[1]
            definition = ns.system.get(key) or content.common.system.get(key)
            params = definition.params if definition else ()
        for name in unresolved(unit.text, ns, params):
            problems.error(unit.file, unit.line,
                           f"{{{name}}} is not a contact, role or parameter in jurisdiction {ns.name!r}")
