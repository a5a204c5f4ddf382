"""gettext catalogs: load translations, and merge a new template into them.

Loading: ``locales/<lang>/LC_MESSAGES/haki.mo`` when it is at least as new as the ``.po``;
otherwise the ``.po`` itself, so a fresh clone (no ``make locales`` yet) and an editor who
just saved Poedit both get the current translations. Fuzzy and empty entries never count.

Updating (``python -m bot.content.catalog_tool update``, run by ``make locales``): like
``pybabel update``, except that fuzzy matching follows the msgctxt. Babel matches old
translations by similar *English* text, which silently drops a translation when an editor
rewrites an answer, or borrows another topic's translation when two answers look alike.
Our keys are stable, so: same key + new English = the old translation, marked fuzzy.

Previous-text blocks (``#| msgctxt``/``#| msgid``, what the English said when the
translation was made) are written and read here, not by Babel: Babel's writer wraps a long
previous msgid without quoting it (``msgfmt -c`` rejects the file) and its reader takes
``#|`` lines for translator comments, so a second run lost them. Translators need them to
see what changed in the English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import normalize, read_po, write_po

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


PO_WIDTH = 76


def read_catalog(path: Path, language: str) -> Catalog:
    """Read a .po file; raises babel's PoFileError (with the line) on a broken file.

    ``#|`` previous-text lines become ``message.previous_id`` again (Babel reads them as
    translator comments)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN, abort_invalid=True)
    for message in catalog:
        previous = [c for c in message.user_comments if c.startswith("|")]
        if previous:
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            msgid = _previous_msgid(previous)
            if msgid is not None:
                message.previous_id = [msgid]
    return catalog


def _previous_msgid(lines: list[str]) -> str | None:
    """The text of ``#| msgid "..."`` and its continuation lines."""
    parts: list[str] = []
    inside = False
    for raw in lines:
        line = raw[1:].strip()
        if line.startswith("msgid "):
            inside, line = True, line[len("msgid "):].strip()
        elif line.startswith(("msgctxt ", "msgid_plural ")):
            inside = False
            continue
        if inside and line.startswith('"') and line.endswith('"'):
            parts.append(_unescape(line[1:-1]))
    return "".join(parts) if inside or parts else None


def _unescape(text: str) -> str:
    out, chars = [], iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def render_po(catalog: Catalog) -> str:
    """The .po text with correct ``#|`` previous-text blocks (see the module docstring)."""
    import io

    buffer = io.BytesIO()
    write_po(buffer, catalog, include_previous=False, width=PO_WIDTH)
    text = buffer.getvalue().decode(catalog.charset or "utf-8")
    for message in catalog:
        if not message.id or not message.previous_id or not message.context or not isinstance(message.id, str):
            continue
        anchor = "\nmsgctxt " + normalize(message.context, width=PO_WIDTH) + "\nmsgid "
        at = text.find(anchor)
        if at < 0:
            continue
        block = _comment_block("msgctxt", message.context) + _comment_block("msgid", str(message.previous_id[0]))
        text = text[:at + 1] + block + text[at + 1:]
    return text


def _comment_block(keyword: str, value: str) -> str:
    lines = normalize(value, width=PO_WIDTH).split("\n")
    return "".join(f"#| {keyword} {line}\n" if i == 0 else f"#| {line}\n" for i, line in enumerate(lines))


def write_if_changed(path: Path, text: str, ignore_prefixes: tuple[str, ...] = ()) -> bool:
    """Write ``text`` unless the file already says the same (lines starting with one of
    ``ignore_prefixes``, like a creation date, do not count). True when written."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        def significant(t: str) -> list[str]:
            return [line for line in t.splitlines() if not line.startswith(ignore_prefixes)]
        if significant(old) == significant(text):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


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
            # The English the translation was made from: an already fuzzy entry keeps its own.
            entry.previous_id = (list(older.previous_id) if older.fuzzy and older.previous_id
                                 else [str(older.id)])
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
        # Entries already obsolete stay (as msgmerge keeps them): a text that comes back
        # finds its translation again.
        for obsolete_key, message in old.obsolete.items():
            msgid, context = (obsolete_key if isinstance(obsolete_key, tuple) else (obsolete_key, None))
            if obsolete_key not in new.obsolete and new.get(msgid, context) is None and message.string:
                new.obsolete[obsolete_key] = message
    return new, stats


#: Header lines that change on every extraction without any text changing.
VOLATILE_HEADERS = ('"POT-Creation-Date:', '"Generated-By:', "# FIRST AUTHOR", "#, fuzzy")


def update(template_path: Path, locales_dir: Path, languages: list[str],
           pot_path: Path | None = None) -> int:
    """Merge a freshly extracted template into each catalog. With ``pot_path``, the fresh
    template replaces that file only when a text changed, so ``make locales`` on
    unchanged content leaves every tracked file alone."""
    if pot_path is not None:
        written = write_if_changed(pot_path, template_path.read_text(encoding="utf-8"), VOLATILE_HEADERS)
        print(f"{pot_path}: {'updated' if written else 'unchanged'}")
    with template_path.open("rb") as handle:
        template = read_po(handle)
    for language in languages:
        path = po_path(locales_dir, language)
        old = read_catalog(path, language) if path.exists() else None
        catalog, stats = merge(template, old, language)
        written = write_if_changed(path, render_po(catalog), VOLATILE_HEADERS)
        print(f"{path}: {stats.kept} kept, {stats.fuzzy} now fuzzy, {stats.new} new, "
              f"{stats.obsolete} obsolete{'' if written else ' (unchanged)'}")
    return 0
