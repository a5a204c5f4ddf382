"""gettext catalogs: load translations, and merge a new template into them.

Loading: ``locales/<lang>/LC_MESSAGES/haki.mo`` when it is at least as new as the ``.po``;
otherwise the ``.po`` itself, so a fresh clone (no ``make locales`` yet) and an editor who
just saved Poedit both get the current translations. Fuzzy and empty entries never count.

Updating (``python -m bot.content.catalog_tool update``, run by ``make locales``): like
``pybabel update``, except that fuzzy matching follows the msgctxt. Babel matches old
translations by similar *English* text, which silently drops a translation when an editor
rewrites an answer, or borrows another topic's translation when two answers look alike.
Our keys are stable, so: same key + new English = the old translation, marked fuzzy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "haki"
SOURCE_LANGUAGE = "en"

#: (msgctxt, msgid) -> msgstr
TranslationTable = dict[tuple[str | None, str], str]
#: babel's Message.id: a str, or a tuple of str for a plural message (babel's own alias
#: exists only for type checkers).
MessageId = str | tuple[str, ...] | list[str]


def po_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read_catalog(path: Path, language: str) -> Catalog:
    """Read a .po file; raises babel's PoFileError (with the line) on a broken file."""
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN, abort_invalid=True)


def load_translations(locales_dir: Path, language: str, prefer: str = "auto") -> TranslationTable:
    """The usable translations of one language (empty when there is no catalog).

    ``prefer="po"`` always reads the .po (the checker wants what editors wrote)."""
    po, mo = po_path(locales_dir, language), mo_path(locales_dir, language)
    catalog: Catalog | None = None
    use_mo = mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime)
    if prefer == "auto" and use_mo:
        with mo.open("rb") as handle:
            catalog = read_mo(handle)
    elif po.exists():
        catalog = read_catalog(po, language)
    if catalog is None:
        return {}
    table: TranslationTable = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.string, str) or not message.string:
            continue
        context = message.context
        if isinstance(context, bytes):  # babel's read_mo leaves msgctxt undecoded
            context = context.decode(catalog.charset or "utf-8")
        table[(context, str(message.id))] = message.string
    return table


# --- update ---------------------------------------------------------------------------
@dataclass
class UpdateStats:
    kept: int = 0
    fuzzy: int = 0
    new: int = 0
    obsolete: int = 0
    notes: list[str] = field(default_factory=list)


def merge(template: Catalog, old: Catalog | None, language: str) -> tuple[Catalog, UpdateStats]:
    """A catalog with ``template``'s messages and ``old``'s translations, matched by key."""
    stats = UpdateStats()
    new = Catalog(locale=language, domain=DOMAIN, project=template.project, version=template.version,
                  copyright_holder=template.copyright_holder, msgid_bugs_address=template.msgid_bugs_address,
                  creation_date=old.creation_date if old else template.creation_date,
                  fuzzy=False)
    new.header_comment = (old.header_comment if old is not None else
                          template.header_comment.replace("Translations template", f"{language} translations", 1))
    if old is not None:
        new.revision_date = old.revision_date
        new.last_translator = old.last_translator
        new.language_team = old.language_team
    by_exact: dict[tuple[str | None, MessageId], Message] = {}
    by_context: dict[str, Message] = {}
    if old is not None:
        for message in old:
            if not message.id:
                continue
            by_exact[(message.context, message.id)] = message
            if message.context:
                by_context[message.context] = message
    used: set[tuple[str | None, object]] = set()
    for message in template:
        if not message.id:
            continue
        msgid = message.id  # a tuple for plural messages from code
        empty: str | tuple[str, ...] = "" if isinstance(msgid, str) else ("",) * len(msgid)
        entry = Message(msgid, empty, locations=list(message.locations),
                        flags=set(message.flags) - {"fuzzy"},
                        auto_comments=list(message.auto_comments), context=message.context)
        previous = by_exact.get((message.context, msgid))
        if language == SOURCE_LANGUAGE:
            # The source language's catalog is the identity: English lives in YAML.
            entry.string = msgid if isinstance(msgid, str) else tuple(msgid)
            stats.kept += 1
        elif previous is not None:
            entry.string = previous.string
            entry.user_comments = list(previous.user_comments)
            if previous.fuzzy:
                entry.flags.add("fuzzy")
                entry.previous_id = list(previous.previous_id)
            used.add((previous.context, previous.id))
            stats.kept += 1
        elif (isinstance(msgid, str) and message.context and message.context in by_context
              and by_context[message.context].string):
            # Same key, new English: keep the translation for the translator to review.
            older = by_context[message.context]
            entry.string = older.string
            entry.user_comments = list(older.user_comments)
            entry.flags.add("fuzzy")
            entry.previous_id = [str(older.id)]
            used.add((older.context, older.id))
            stats.fuzzy += 1
        else:
            stats.new += 1
        new[msgid] = entry  # babel keys it by (msgid, msgctxt)
    if old is not None and language != SOURCE_LANGUAGE:
        for key, message in by_exact.items():
            context, msgid = key
            if key not in used and message.string and new.get(msgid, context) is None:
                # babel types obsolete keys with a singular msgid; a plural message keeps its
                # whole id here, as it always has (write_po reads only the values).
                obsolete_key = msgid if context is None else (msgid, context)
                new.obsolete[cast("str | tuple[str, str]", obsolete_key)] = message
                stats.obsolete += 1
    return new, stats


def update(template_path: Path, locales_dir: Path, languages: list[str]) -> int:
    with template_path.open("rb") as handle:
        template = read_po(handle)
    for language in languages:
        path = po_path(locales_dir, language)
        old = read_catalog(path, language) if path.exists() else None
        catalog, stats = merge(template, old, language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, include_previous=True, width=76)
        print(f"{path}: {stats.kept} kept, {stats.fuzzy} now fuzzy, {stats.new} new, "
              f"{stats.obsolete} obsolete")
    return 0
