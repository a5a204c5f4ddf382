"""Build the reply the core would send for a topic or system text, for ``haki content preview``.

The options mirror ``bot.core_handlers``: an answer offers its follow-ups and the main menu;
an answer that fell back to English adds the language note and the language menu; the menu
intro carries the main menu. Rendering is ``bot.render``'s, so the preview is the real SMS.
"""

from __future__ import annotations

from bot.content.library import ContentLibrary
from bot.messages import OutboundMessage, ReplyOption
from bot.render import render_sms, render_telegram
from bot.sms_encoding import count_segments
from nlu.language_table import load_table


def build_message(library: ContentLibrary, key: str, language: str, jurisdiction: str,
                  languages: tuple[str, ...], channel: str = "sms") -> OutboundMessage:
    topic = library.topic(jurisdiction, key, language)
    if topic is not None:
        return _topic_message(library, topic.intent, language, jurisdiction, languages, channel)
    text = library.text(key, language, jurisdiction)  # KeyError for an unknown key
    options: list[ReplyOption] = []
    if key == "menu_intro":
        options = _menu_options(library, language, jurisdiction)
    elif key == "language_prompt":
        options = _language_options(library, jurisdiction, languages)
    elif key == "delete_confirm":
        options = [ReplyOption("yes", library.text("option_yes", language, jurisdiction)),
                   ReplyOption("no", library.text("option_no", language, jurisdiction))]
    return OutboundMessage(text=text, options=tuple(options), intent=None)


def _topic_message(library: ContentLibrary, intent: str, language: str, jurisdiction: str,
                   languages: tuple[str, ...], channel: str) -> OutboundMessage:
    topic = library.topic(jurisdiction, intent, language)
    assert topic is not None
    text = topic.sms if channel == "sms" else topic.full
    if not topic.translated and language != "en":
        note = library.text("fallback_language_note", language, jurisdiction)
        return OutboundMessage(text=text + "\n\n" + note, intent=intent,
                               options=tuple(_language_options(library, jurisdiction, languages)))
    options = []
    for follow_up in topic.follow_ups:
        other = library.topic(jurisdiction, follow_up, language)
        if other is not None:
            options.append(ReplyOption(f"intent:{follow_up}", other.title))
    options.append(ReplyOption("cmd:menu", library.text("option_menu", language, jurisdiction)))
    return OutboundMessage(text=text, options=tuple(options), intent=intent)


def _menu_options(library: ContentLibrary, language: str, jurisdiction: str) -> list[ReplyOption]:
    options = []
    for intent in library.menu_intents(jurisdiction):
        topic = library.topic(jurisdiction, intent, language)
        if topic is not None:
            options.append(ReplyOption(f"intent:{intent}", topic.title))
    return options


def _language_options(library: ContentLibrary, jurisdiction: str, languages: tuple[str, ...]) -> list[ReplyOption]:
    # The menu labels come from content/common/languages.yml, as in the conversation.
    table = load_table()
    return [ReplyOption(f"lang:{code}", info.own if (info := table.get(code)) else code) for code in languages]


def describe(message: OutboundMessage, channel: str) -> str:
    """The rendered reply plus a last line with its size."""
    if channel == "sms":
        body = render_sms(message)
        count = count_segments(body)
        return f"{body}\n---\nsegments: {count.segments} ({count.encoding}, {count.units} characters)"
    text, rows = render_telegram(message)
    buttons = [f"[{label}] -> {key}" for row in rows for label, key in row]
    return "\n---\n".join([text, *(["\n".join(buttons)] if buttons else []), f"characters: {len(text)}"])
