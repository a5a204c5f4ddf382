"""``ContentLibrary``: the answers, safety texts and system texts, in the person's language.

English comes from the YAML; other languages from the gettext catalogs, looked up by
(content key, English text). A stale or missing translation therefore never shows: that one
text falls back to English, never the whole topic. An SMS answer is one text (body,
sources line and footer in one language), so is a Telegram answer, so is a menu: a menu
whose labels are not all translated is shown wholly in English (``menu_language``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalogs import SOURCE_LANGUAGE, TranslationTable, load_translations
from bot.content.placeholders import fill
from bot.content.problems import ContentError, Problem, ProblemList
from bot.content.schema import (
    REVIEWS_FILE,
    ContentSet,
    Namespace,
    TopicDef,
    parse_content,
)
from bot.content.units import contact_key, source_key, system_key, topic_key
from bot.content.validate import contact_resolver, validate

_log = logging.getLogger(__name__)
#: Seconds between two looks at the files' modification times (a stat of ~20 files).
RELOAD_INTERVAL = 2.0


class _Watch:
    """Where a library was loaded from, and what its files looked like then."""

    def __init__(self, content_dir: Path, locales_dir: Path, catalog_source: str) -> None:
        self.content_dir, self.locales_dir, self.catalog_source = content_dir, locales_dir, catalog_source
        self.lock = threading.Lock()
        self.seen = self.signature()
        self.checked = time.monotonic()

    def due(self, force: bool) -> bool:
        now = time.monotonic()
        if not force and now - self.checked < RELOAD_INTERVAL:
            return False
        self.checked = now
        return True

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        files = [p for p in self.content_dir.rglob("*.y*ml") if p.name != REVIEWS_FILE]
        files += list(self.locales_dir.glob("*/LC_MESSAGES/*.[pm]o"))
        result = []
        for path in sorted(files):
            try:
                stat = path.stat()
            except OSError:
                continue
            result.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(result)


@dataclass(frozen=True)
class Topic:
    intent: str
    #: The language the text is really in (English when it fell back).
    language: str
    title: str
    sms: str
    full: str
    follow_ups: tuple[str, ...]
    sources: tuple[str, ...]
    reviewed: dt.date
    #: All three texts (title, SMS answer, full answer) are in the asked language.
    translated: bool
    sms_translated: bool = True
    full_translated: bool = True
    title_translated: bool = True

    def translated_for(self, channel_part: str) -> bool:
        """``"sms"`` or ``"full"``: whether the answer a person gets is in their language."""
        return self.sms_translated if channel_part == "sms" else self.full_translated


def normalise_word(word: str) -> str:
    return " ".join(word.upper().split())


class ContentLibrary:
    def __init__(self, content: ContentSet, translations: dict[str, TranslationTable],
                 languages: tuple[str, ...], warnings: list[Problem] | None = None) -> None:
        self._content = content
        self._translations = translations
        self.languages = languages
        self.warnings = warnings or []
        self._topics: dict[tuple[str, str, str], Topic | None] = {}
        self._watch: _Watch | None = None

    @classmethod
    def load(cls, content_dir: Path, locales_dir: Path, languages: tuple[str, ...],
             *, catalog_source: str = "auto") -> ContentLibrary:
        """Parse and validate content, read catalogs. Raises ContentError (file:line) on errors.

        ``catalog_source="po"`` reads the .po files even when a .mo exists (the checker)."""
        problems = ProblemList()
        content = parse_content(Path(content_dir), problems)
        if not problems.errors:
            validate(content, problems)
        if problems.errors:
            raise ContentError(problems.errors)
        translations = {
            language: load_translations(Path(locales_dir), language, prefer=catalog_source)
            for language in languages if language != SOURCE_LANGUAGE
        }
        library = cls(content, translations, tuple(languages), problems.warnings)
        library._watch = _Watch(Path(content_dir), Path(locales_dir), catalog_source)
        return library

    # --- reload without restart ------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> bool:
        """Reload when a content or catalog file changed (checked at most every
        ``RELOAD_INTERVAL`` seconds). A running service thus shows an editor's saved change
        without a restart. Content with errors is not loaded: the old content keeps
        answering and a warning names the problems. True when new content was loaded."""
        watch = self._watch
        if watch is None or not watch.due(force):
            return False
        signature = watch.signature()
        if signature == watch.seen:
            return False
        watch.seen = signature
        try:
            fresh = ContentLibrary.load(watch.content_dir, watch.locales_dir, self.languages,
                                        catalog_source=watch.catalog_source)
        except (ContentError, OSError, ValueError) as error:
            _log.warning("content changed but was not reloaded: %s", error)
            return False
        with watch.lock:
            self._content, self._translations = fresh._content, fresh._translations
            self.warnings, self._topics = fresh.warnings, {}
        _log.info("content and catalogs reloaded")
        return True

    # --- lookups ---------------------------------------------------------------------
    @property
    def content(self) -> ContentSet:
        return self._content

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted(self._content.jurisdictions))

    def menu_intents(self, jurisdiction: str) -> tuple[str, ...]:
        self.refresh()
        definition = self._namespace(jurisdiction).jurisdiction
        return definition.menu if definition else ()

    def topic_intents(self, jurisdiction: str) -> tuple[str, ...]:
        """Every intent answered by a topic (topical and urgent), in file order."""
        return tuple(self._namespace(jurisdiction).topics)

    def _namespace(self, jurisdiction: str) -> Namespace:
        try:
            return self._content.jurisdictions[jurisdiction]
        except KeyError:
            raise KeyError(f"unknown jurisdiction {jurisdiction!r}; have {', '.join(self.jurisdictions)}") from None

    def _translate(self, key: str, english: str, language: str) -> tuple[str, bool]:
        if language == SOURCE_LANGUAGE:
            return english, True
        found = self._translations.get(language, {}).get((key, english))
        return (found, True) if found else (english, False)

    # --- topics ----------------------------------------------------------------------
    def topic(self, jurisdiction: str, intent: str, language: str) -> Topic | None:
        self.refresh()
        cache_key = (jurisdiction, intent, language)
        if cache_key not in self._topics:
            ns = self._content.jurisdictions.get(jurisdiction)
            definition = ns.topics.get(intent) if ns else None
            self._topics[cache_key] = self._compose(ns, definition, language) if ns and definition else None
        return self._topics[cache_key]

    def _compose(self, ns: Namespace, topic: TopicDef, language: str) -> Topic:
        # Each text falls back on its own: a stale Telegram answer does not turn the SMS
        # answer or the menu label English.
        parts = {part: self._translate(topic_key(ns.name, topic.intent, part), getattr(topic, part), language)
                 for part in ("title", "sms", "full")}
        help_contact = (topic.help or (ns.jurisdiction.default_help if ns.jurisdiction else "")) or ""
        sms_language = language if parts["sms"][1] else SOURCE_LANGUAGE
        full_language = language if parts["full"][1] else SOURCE_LANGUAGE
        title_language = language if parts["title"][1] else SOURCE_LANGUAGE
        sms_resolve = self._resolver(ns, {}, sms_language)
        short = [self._source(ns, s, "short", sms_language) for s in topic.sms_sources]
        footer = self.text("sms_footer", sms_language, ns.name, help=sms_resolve(help_contact, None) or "")
        sms = f"{fill(parts['sms'][0], sms_resolve).rstrip()}\n{', '.join(short)}. {footer}"
        full_sources = tuple(self._source(ns, s, "full", full_language) for s in topic.sources)
        full = "\n".join([
            fill(parts["full"][0], self._resolver(ns, {}, full_language)).rstrip(), "",
            self.text("sources_label", full_language, ns.name) + ":",
            *(f"- {source}" for source in full_sources), "",
            self.text("disclaimer_full", full_language, ns.name),
        ])
        translated = all(ok for _, ok in parts.values())
        assert topic.reviewed is not None  # validated on load
        return Topic(intent=topic.intent, language=language if translated else SOURCE_LANGUAGE,
                     title=fill(parts["title"][0], self._resolver(ns, {}, title_language)), sms=sms, full=full,
                     follow_ups=topic.follow_ups, sources=full_sources, reviewed=topic.reviewed,
                     translated=translated, sms_translated=parts["sms"][1],
                     full_translated=parts["full"][1], title_translated=parts["title"][1])

    # --- menus -------------------------------------------------------------------------
    def menu_language(self, jurisdiction: str, language: str, intents: tuple[str, ...] | list[str],
                      text_keys: tuple[str, ...] = ()) -> str:
        """The language a menu of these topics (and system texts) is shown in: the asked
        language when every label is translated, else English, so a menu never mixes."""
        if language == SOURCE_LANGUAGE:
            return language
        for intent in intents:
            topic = self.topic(jurisdiction, intent, language)
            if topic is not None and not topic.title_translated:
                return SOURCE_LANGUAGE
        ns = self._namespace(jurisdiction)
        for key in text_keys:
            if (key in ns.system or key in self._content.common.system) and not self.is_translated(key, language, jurisdiction):
                return SOURCE_LANGUAGE
        return language

    def _source(self, ns: Namespace, source_id: str, part: str, language: str) -> str:
        english = getattr(ns.sources[source_id], part)
        return self._translate(source_key(ns.name, source_id, part), english, language)[0]

    def safety(self, jurisdiction: str, intent: str, language: str) -> str:
        """The immediate safety text of an urgent intent (its SMS answer: ≤ 2 segments)."""
        topic = self.topic(jurisdiction, intent, language)
        if topic is None:
            raise KeyError(f"no safety text for {intent!r} in {jurisdiction!r}")
        return topic.sms

    # --- system texts ------------------------------------------------------------------
    def text(self, key: str, language: str, jurisdiction: str = "za", **params: str) -> str:
        """A system text; a jurisdiction's own version wins over the common one.

        Falls back to English; an unknown key is a programming error and raises KeyError
        (never shown to a person as a key or an empty message)."""
        self.refresh()
        ns = self._namespace(jurisdiction)
        owner, definition = ns.name, ns.system.get(key)
        if definition is None:
            owner, definition = self._content.common.name, self._content.common.system.get(key)
        if definition is None:
            raise KeyError(f"unknown system text {key!r}")
        text = definition.text
        if definition.translate:
            text = self._translate(system_key(owner, key), definition.text, language)[0]
        if definition.translate and not self._translate(system_key(owner, key), definition.text, language)[1]:
            language = SOURCE_LANGUAGE  # an English text names its contacts in English too
        return fill(text, self._resolver(ns, params, language))

    def _resolver(self, ns: Namespace, params: Mapping[str, str], language: str
                  ) -> Callable[[str, str | None], str | None]:
        def display(contact_id: str, english: str) -> str:
            return self._translate(contact_key(ns.name, contact_id), english, language)[0]
        return contact_resolver(ns, params, display)

    def is_translated(self, key: str, language: str, jurisdiction: str = "za") -> bool:
        """For a system text key or a topic's intent name."""
        if language == SOURCE_LANGUAGE:
            return True
        ns = self._namespace(jurisdiction)
        if key in ns.topics:
            topic = self.topic(jurisdiction, key, language)
            return bool(topic and topic.translated)
        for owner in (ns, self._content.common):
            definition = owner.system.get(key)
            if definition is not None:
                return not definition.translate or self._translate(
                    system_key(owner.name, key), definition.text, language)[1]
        return False

    # --- words people type instead of numbers ------------------------------------------
    def choices(self, section: str) -> dict[str, dict[str, tuple[str, ...]]]:
        """language -> name -> words of one section of content/common/choices.yml."""
        return self._content.choices.get(section, {})

    def areas(self, jurisdiction: str) -> dict[str, tuple[str, ...]]:
        """area id -> names people type for it (content/<jurisdiction>/areas.yml)."""
        ns = self._content.jurisdictions.get(jurisdiction)
        return dict(ns.areas) if ns else {}

    # --- command words -----------------------------------------------------------------
    def command_words(self, language: str) -> dict[str, str]:
        """Normalised uppercase word -> command name. English words always work; the
        language's own words win where they differ."""
        table: dict[str, str] = {}
        for source_language in dict.fromkeys((SOURCE_LANGUAGE, language)):
            for command, words in self._content.commands.get(source_language, {}).items():
                for word in words:
                    normal = normalise_word(word)
                    table[normal] = command
                    table.setdefault(normal.replace(" ", ""), command)  # "VEE UIT" typed "VEEUIT"
        return table
