"""Choosing the reply language: language names and numbers after LANG, the one-line choice
after an uncertain first message, and the safe reply to a language we do not answer in.

The languages come from content/common/languages.yml (nlu.language_table); which language a
message is in comes from nlu.language (lingua, word lists, the person's saved language).
"""

from __future__ import annotations

from bot.actions import Replies
from bot.messages import OutboundMessage, ReplyOption
from bot.turn import Turn
from nlu.language import LanguageGuess
from nlu.language_table import fold_name, load_table


def own_name(code: str) -> str:
    info = load_table().get(code)
    return info.own if info else code


def language_options(codes: tuple[str, ...]) -> list[ReplyOption]:
    """The language menu: each language in its own name, the same in every language."""
    return [ReplyOption(key=f"lang:{code}", label=own_name(code)) for code in codes]


def code_from_words(text: str, codes: tuple[str, ...]) -> str | None:
    """The language a LANG argument or a message names: "5", "st", "Sesotho", "ke batla
    Sepedi", "isiXhosa please". Numbers follow the language menu's order."""
    if text.strip().isdigit():
        number = int(text.strip())
        return codes[number - 1] if 1 <= number <= len(codes) else None
    words = fold_name(text)
    if not words:
        return None
    table = load_table()
    if words in codes:
        return words
    found = table.by_name(words)
    if found in codes:
        return found
    padded = f" {words} "
    for info in table.supported:
        if info.code in codes and any(f" {name} " in padded for name in (*info.names, fold_name(info.own))):
            return info.code
    return None


def name_only(text: str, codes: tuple[str, ...]) -> str | None:
    """The language when the whole message is just its name ("Sepedi", "isiXhosa!")."""
    found = load_table().by_name(text)
    return found if found in codes else None


def choice_line(codes: tuple[str, ...]) -> str:
    """One line, the same in every language: "LANG 1 English, 2 isiZulu, ..." (1 SMS segment)."""
    return "LANG " + ", ".join(f"{n} {own_name(code)}" for n, code in enumerate(codes, 1))


def uncertain_first_message(turn: Turn, guess: LanguageGuess) -> OutboundMessage | None:
    """After the answer to a first message whose language the text did not settle, a
    separate one-line choice (the answer keeps its own two segments and its numbers)."""
    if guess.certain or turn.person.language_chosen:
        return None
    codes = turn.services.settings.language_codes
    if len(codes) < 2:
        return None
    return OutboundMessage(text=choice_line(codes), intent="change_language")


def unsupported_reply(turn: Turn, guess: LanguageGuess) -> Replies:
    """A message in a language we do not answer in yet (Xitsonga, Tshivenda, siSwati,
    isiNdebele): never act on a misread word (no STOP, DELETE or goodbye). Say so in English
    and in the closest supported language, with the emergency line and the language menu."""
    settings = turn.services.settings
    info = load_table().get(guess.unsupported or "")
    closest = info.closest if info is not None and info.closest in settings.language_codes else turn.language
    english = "en" if "en" in settings.language_codes else settings.default_language
    turn.notes["intent"] = "out_of_scope"
    turn.notes["unsupported_language"] = guess.unsupported or ""
    replies: Replies = []
    if closest != english:
        replies.append(OutboundMessage(text=turn.content.text("not_understood", english, turn.jurisdiction),
                                       intent="out_of_scope"))
    replies.append(OutboundMessage(text=turn.content.text("not_understood", closest, turn.jurisdiction),
                                   intent="out_of_scope"))
    # The menu on its own: short enough that SMS shows every language (a long text before it
    # would push the last languages out of the two-segment budget).
    replies.append(turn.offer(turn.content.text("language_prompt", closest, turn.jurisdiction),
                              language_options(settings.language_codes), intent="change_language"))
    return replies
