"""Build the reply the core would send for a topic or system text, for ``haki content preview``.

The options mirror ``bot.core_handlers``: an answer offers its follow-ups and the main menu;
an answer that fell back to English adds the language note and the language menu; the menu
intro carries the main menu. Rendering is ``bot.render``'s, so the preview is the real SMS.
"""

from __future__ import annotations

from bot.content.library import ContentLibrary
from bot.core_handlers import MENU_TEXTS
from bot.messages import OutboundMessage, ReplyOption
from bot.render import render_sms, render_telegram
from bot.sms_encoding import count_segments
from nlu.language_table import load_table


def build_messages(library: ContentLibrary, key: str, language: str, jurisdiction: str,
                   languages: tuple[str, ...], channel: str = "sms") -> list[OutboundMessage]:
    """The messages the core sends for KEY, in order (an English fallback answer is followed
    by the language menu as a second message, exactly as ``core_handlers.topic_reply``)."""
    topic = library.topic(jurisdiction, key, language)
    if topic is not None and key in library.content.intents.urgent:
        # As core_handlers.urgent: the safety text (the SMS text, on every channel) comes
        # first; the escalation offer that follows depends on who is on duty (preview esc_offer).
        return [OutboundMessage(text=library.safety(jurisdiction, key, language), intent=key)]
    if topic is not None:
        return _topic_messages(library, topic.intent, language, jurisdiction, languages, channel)
    if key == "menu_intro":
        menu_lang = library.menu_language(jurisdiction, language, library.menu_intents(jurisdiction), MENU_TEXTS)
        return [OutboundMessage(text=library.text(key, menu_lang, jurisdiction),
                                options=tuple(_menu_options(library, menu_lang, jurisdiction)), intent="menu")]
    text = library.text(key, language, jurisdiction)  # KeyError for an unknown key
    options: list[ReplyOption] = []
    if key == "language_prompt":
        options = _language_options(library, jurisdiction, languages)
    elif key == "delete_confirm":
        options = [ReplyOption("yes", library.text("option_yes", language, jurisdiction)),
                   ReplyOption("no", library.text("option_no", language, jurisdiction))]
    return [OutboundMessage(text=text, options=tuple(options), intent=None)]


def build_message(library: ContentLibrary, key: str, language: str, jurisdiction: str,
                  languages: tuple[str, ...], channel: str = "sms") -> OutboundMessage:
    """The first message of ``build_messages`` (the answer itself)."""
    return build_messages(library, key, language, jurisdiction, languages, channel)[0]


def _topic_messages(library: ContentLibrary, intent: str, language: str, jurisdiction: str,
                    languages: tuple[str, ...], channel: str) -> list[OutboundMessage]:
    topic = library.topic(jurisdiction, intent, language)
    assert topic is not None
    part = "sms" if channel == "sms" else "full"
    text = topic.sms if part == "sms" else topic.full
    if not topic.translated_for(part):
        prompt = library.text("fallback_language_note", language, jurisdiction)
        return [OutboundMessage(text=text, intent=intent),
                OutboundMessage(text=prompt, intent="change_language",
                                options=tuple(_language_options(library, jurisdiction, languages)))]
    menu_lang = library.menu_language(jurisdiction, language, topic.follow_ups, ("option_menu",))
    options = []
    for follow_up in topic.follow_ups:
        other = library.topic(jurisdiction, follow_up, menu_lang)
        if other is not None:
            options.append(ReplyOption(f"intent:{follow_up}", other.title))
    options.append(ReplyOption("cmd:menu", library.text("option_menu", menu_lang, jurisdiction)))
    return [OutboundMessage(text=text, options=tuple(options), intent=intent)]


def _menu_options(library: ContentLibrary, language: str, jurisdiction: str) -> list[ReplyOption]:
    """The topics of the main menu, then the entries features add (as ``main_menu``)."""
    options = []
    for intent in library.menu_intents(jurisdiction):
        topic = library.topic(jurisdiction, intent, language)
        if topic is not None:
            options.append(ReplyOption(f"intent:{intent}", topic.title))
    for key, option_key in MENU_EXTRAS:
        try:
            options.append(ReplyOption(option_key, library.text(key, language, jurisdiction)))
        except KeyError:
            continue
    return options


def _language_options(library: ContentLibrary, jurisdiction: str, languages: tuple[str, ...]) -> list[ReplyOption]:
    # The menu labels come from content/common/languages.yml, as in the conversation.
    table = load_table()
    return [ReplyOption(f"lang:{code}", info.own if (info := table.get(code)) else code) for code in languages]


#: Main-menu entries the escalation and peers features add (their ``menu_extras``).
MENU_EXTRAS = (("esc_menu_option", "esc:start"), ("peers_share_option", "cmd:share"))


def describe_all(messages: list[OutboundMessage], channel: str) -> str:
    return "\n===\n".join(describe(message, channel) for message in messages)


def describe(message: OutboundMessage, channel: str) -> str:
    """The rendered reply plus a last line with its size."""
    if channel == "sms":
        body = render_sms(message)
        count = count_segments(body)
        return f"{body}\n---\nsegments: {count.segments} ({count.encoding}, {count.units} characters)"
    text, rows = render_telegram(message)
    buttons = [f"[{label}] -> {key}" for row in rows for label, key in row]
    return "\n---\n".join([text, *(["\n".join(buttons)] if buttons else []), f"characters: {len(text)}"])
