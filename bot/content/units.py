"""Translatable units: every English text in content/ with its key (the gettext msgctxt).

The same function feeds the Babel extractor, the loader and the checker, so a key can never
mean one thing in the catalogs and another at run time. Keys look like
``za:topic.rights_arrest.sms`` and ``common:system.welcome``: the msgid is the English
text, so editing it in YAML turns the old translation fuzzy (see ``catalogs.update``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.content.schema import MAX_TITLE_CHARS, Namespace


@dataclass(frozen=True)
class Unit:
    key: str  # msgctxt
    text: str  # msgid, the English source
    file: Path
    line: int
    comments: tuple[str, ...]
    #: "title", "sms", "full", "system", "source", "contact"
    role: str


def topic_key(namespace: str, intent: str, part: str) -> str:
    return f"{namespace}:topic.{intent}.{part}"


def source_key(namespace: str, source_id: str, part: str) -> str:
    return f"{namespace}:source.{source_id}.{part}"


def contact_key(namespace: str, contact_id: str) -> str:
    return f"{namespace}:contact.{contact_id}.display"


def system_key(namespace: str, key: str) -> str:
    return f"{namespace}:system.{key}"


_KEEP = "Keep every {placeholder} exactly as it is (names and phone numbers are filled in)."
_SMS = ("Sent by SMS: plain characters only (no curly quotes, dashes or accents like e with a "
        "hat), short words; the sources line and disclaimer are added after it.")


_CONTACT = ("How a contact reads inside a sentence (SMS too): keep the name and the number "
            "exactly; translate only words like 'or', 'at a court'.")


def units_of(namespace: Namespace) -> list[Unit]:
    units: list[Unit] = []
    ns = namespace.name
    for topic in namespace.topics.values():
        note = (f"Note: {topic.note}",) if topic.note else ()
        units.append(Unit(topic_key(ns, topic.intent, "title"), topic.title, topic.file, topic.lines["title"],
                          (f"Menu button: at most {MAX_TITLE_CHARS} characters.",) + note, "title"))
        units.append(Unit(topic_key(ns, topic.intent, "sms"), topic.sms, topic.file, topic.lines["sms"],
                          (_SMS, _KEEP) + note, "sms"))
        units.append(Unit(topic_key(ns, topic.intent, "full"), topic.full, topic.file, topic.lines["full"],
                          ("Telegram answer: sources and disclaimer are added after it.", _KEEP) + note, "full"))
    for source in namespace.sources.values():
        units.append(Unit(source_key(ns, source.id, "short"), source.short, source.file, source.line,
                          ("Source on the SMS line: keep it short; keep section numbers.",), "source"))
        units.append(Unit(source_key(ns, source.id, "full"), source.full, source.file, source.line,
                          ("Full name of a law, judgment or organisation: keep numbers and case names.",), "source"))
    for contact in namespace.contacts.values():
        if contact.display:
            file, line = namespace.contact_lines.get(contact.id, (namespace.directory, 1))
            units.append(Unit(contact_key(ns, contact.id), contact.display, file, line,
                              (_CONTACT,), "contact"))
    for text in namespace.system.values():
        if not text.translate:
            continue
        note = (f"Note: {text.note}",) if text.note else ()
        units.append(Unit(system_key(ns, text.key), text.text, text.file, text.line,
                          (_SMS, _KEEP) + note, "system"))
    return [u for u in units if u.text]
