"""``ContentLibrary``: the answers, safety texts and system texts, in the person's language.

English comes from the YAML; other languages from the gettext catalogs, looked up by
(content key, English text). A stale or missing translation therefore never shows: the
English text is used and ``translated`` is False, so the core can add the language menu.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalogs import SOURCE_LANGUAGE, TranslationTable, load_translations
from bot.content.placeholders import fill
from bot.content.problems import ContentError, Problem, ProblemList
from bot.content.schema import ContentSet, Namespace, TopicDef, parse_content
from bot.content.units import source_key, system_key, topic_key
from bot.content.validate import contact_resolver, validate


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
    translated: bool


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
        return cls(content, translations, tuple(languages), problems.warnings)

    # --- lookups ---------------------------------------------------------------------
    @property
    def content(self) -> ContentSet:
        return self._content

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted(self._content.jurisdictions))

    def menu_intents(self, jurisdiction: str) -> tuple[str, ...]:
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
        cache_key = (jurisdiction, intent, language)
        if cache_key not in self._topics:
            ns = self._content.jurisdictions.get(jurisdiction)
            definition = ns.topics.get(intent) if ns else None
            self._topics[cache_key] = self._compose(ns, definition, language) if ns and definition else None
        return self._topics[cache_key]

    def _compose(self, ns: Namespace, topic: TopicDef, language: str) -> Topic:
        parts = {part: self._translate(topic_key(ns.name, topic.intent, part), getattr(topic, part), language)
                 for part in ("title", "sms", "full")}
        translated = all(ok for _, ok in parts.values())
        if not translated:
            # All or nothing: half an answer in one language and half in another confuses.
            language = SOURCE_LANGUAGE
            parts = {part: (getattr(topic, part), True) for part in parts}
        resolve = contact_resolver(ns, {})
        short = [self._source(ns, s, "short", language) for s in topic.sms_sources]
        full_sources = tuple(self._source(ns, s, "full", language) for s in topic.sources)
        help_contact = (topic.help or (ns.jurisdiction.default_help if ns.jurisdiction else "")) or ""
        footer = self.text("sms_footer", language, ns.name, help=resolve(help_contact, None) or "")
        sms = f"{fill(parts['sms'][0], resolve).rstrip()}\n{', '.join(short)}. {footer}"
        full = "\n".join([
            fill(parts["full"][0], resolve).rstrip(), "",
            self.text("sources_label", language, ns.name) + ":",
            *(f"- {source}" for source in full_sources), "",
            self.text("disclaimer_full", language, ns.name),
        ])
        assert topic.reviewed is not None  # validated on load
        return Topic(intent=topic.intent, language=language, title=fill(parts["title"][0], resolve),
                     sms=sms, full=full, follow_ups=topic.follow_ups, sources=full_sources,
                     reviewed=topic.reviewed, translated=translated)

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
        ns = self._namespace(jurisdiction)
        owner, definition = ns.name, ns.system.get(key)
        if definition is None:
            owner, definition = self._content.common.name, self._content.common.system.get(key)
        if definition is None:
            raise KeyError(f"unknown system text {key!r}")
        text = definition.text
        if definition.translate:
            text = self._translate(system_key(owner, key), definition.text, language)[0]
        return fill(text, contact_resolver(ns, params))

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
