"""The core's own handlers: menus, language, STOP/START, DELETE, and answering intents.

Features add theirs through the same :class:`~bot.actions.Registry`; see
``bot/escalation/__init__.py`` for an example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import language_choice
from bot.actions import Registry, Replies
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.turn import Turn
from nlu import URGENT_INTENTS

if TYPE_CHECKING:
    from bot.content import Topic

#: Intents answered with a system text rather than a topic.
SOCIAL_TEXTS = {"greet": "greet", "thanks": "thanks", "goodbye": "goodbye"}
#: Which safety text fits a message flagged urgent whose intent is not itself urgent.
URGENT_FOR_INTENT = {
    "rights_medication_custody": "urgent_medical_custody",
    "find_health_service": "urgent_medical_custody",
    "police_bribe": "urgent_violence",
    "report_police": "urgent_violence",
}


# --- building blocks ---------------------------------------------------------------------
def menu_option(turn: Turn) -> ReplyOption:
    return turn.option("cmd:menu", "option_menu")


#: System texts that appear as labels or the question of the main menu.
MENU_TEXTS = ("menu_intro", "option_menu", "esc_menu_option", "peers_share_option")


def main_menu(turn: Turn, prefix: str = "") -> Replies:
    intents = turn.content.menu_intents(turn.jurisdiction)
    # A menu never mixes languages: one label without a translation makes it all English.
    language = turn.content.menu_language(turn.jurisdiction, turn.language, intents, MENU_TEXTS)
    turn.language_override = language if language != turn.language else None
    try:
        options = []
        for intent in intents:
            topic = turn.topic(intent)
            if topic is not None:
                options.append(ReplyOption(key=f"intent:{intent}", label=topic.title))
        for extra in turn.services.registry.menu_extras:
            options.extend(extra(turn))
        text = (prefix + "\n\n" if prefix else "") + turn.text("menu_intro")
    finally:
        turn.language_override = None
    turn.notes.setdefault("intent", "menu")
    return [turn.offer(text, options, intent="menu")]


def language_menu(turn: Turn, prefix: str = "", prompt_key: str = "language_prompt") -> Replies:
    options = language_choice.language_options(turn.services.settings.language_codes)
    text = (prefix + "\n\n" if prefix else "") + turn.text(prompt_key)
    turn.notes.setdefault("intent", "change_language")
    return [turn.offer(text, options, intent="change_language")]


def with_welcome(turn: Turn, replies: Replies, first_contact: bool, *, after: bool = False) -> Replies:
    """Add the welcome and privacy notice to a first contact (after safety text if urgent)."""
    if not first_contact:
        return replies
    turn.person.welcomed = True
    welcome = OutboundMessage(text=turn.text("welcome"), intent="greet")
    return replies + [welcome] if after else [welcome] + replies


def media_reply(turn: Turn) -> Replies:
    turn.notes["intent"] = "out_of_scope"
    return [turn.offer(turn.text("media_unsupported"), [menu_option(turn)], intent="out_of_scope")]


def empty_reply(turn: Turn) -> Replies:
    turn.notes["intent"] = "out_of_scope"
    return [turn.offer(turn.text("empty_message"), [menu_option(turn)], intent="out_of_scope")]


def yes_or_no(turn: Turn, option_key: str | None) -> bool | None:
    """True/False when the person answered yes/no (button, number or word), else None."""
    if option_key in {"answer:yes", "answer:no"}:
        return option_key == "answer:yes"
    word = _command_table(turn).get(turn.clean_text.strip(" .!?").upper())
    if word and word[0] in {"yes", "no"}:
        return word[0] == "yes"
    return None


def yes_no_options(turn: Turn) -> list[ReplyOption]:
    return [turn.option("answer:yes", "option_yes"), turn.option("answer:no", "option_no")]


# --- command words -------------------------------------------------------------------------
def _command_table(turn: Turn) -> dict[str, tuple[str, str]]:
    """Word -> (command, language). The person's language wins where words collide."""
    table: dict[str, tuple[str, str]] = {}
    codes = list(turn.services.settings.language_codes)
    # Later languages overwrite earlier ones, so order: others, English, the person's own.
    order = [c for c in codes if c not in {"en", turn.language}] + ["en", turn.language]
    for code in order:
        for word, command in turn.content.command_words(code).items():
            table[word.upper()] = (command, code)
    for word, command in turn.services.registry.extra_command_words.items():
        table[word.upper()] = (command, turn.language)
    return table


def match_command(turn: Turn) -> tuple[str, str] | None:
    """(command, argument) when the message is a command word, in any language."""
    text = turn.clean_text.strip(" .!?").upper()
    if not text:
        return None
    table = _command_table(turn)
    commands = turn.services.registry.commands
    whole = table.get(text)
    if whole and whole[0] in commands:
        _note_language(turn, whole[1])
        return whole[0], ""
    first, _, rest = text.partition(" ")
    found = table.get(first)
    if found and found[0] in commands and commands[found[0]].takes_argument:
        _note_language(turn, found[1])
        # Arguments keep their original case (a responder's note, a referral code).
        original_rest = turn.clean_text.strip().split(" ", 1)[1] if " " in turn.clean_text.strip() else ""
        return found[0], original_rest.strip()
    return None


def _note_language(turn: Turn, code: str) -> None:
    if not turn.person.language_chosen and code != "en":
        turn.person.language = code


# --- steps and options ----------------------------------------------------------------------
def run_step(turn: Turn, option_key: str | None) -> Replies | None:
    handler = turn.services.registry.steps.get(turn.person.pending_step or "")
    if handler is None:
        turn.clear_step()
        return None
    replies = handler(turn, option_key)
    if replies is None:
        turn.clear_step()
    return replies


def run_option(turn: Turn, key: str) -> Replies:
    action, _, argument = key.partition(":")
    handler = turn.services.registry.actions.get(action)
    if handler is None:
        return main_menu(turn)
    return handler(turn, argument)


def start(turn: Turn, payload: str | None) -> Replies:
    """Telegram /start (with an optional referral payload) or SMS JOIN."""
    first_contact = not turn.person.welcomed
    turn.person.opted_out = False
    turn.clear_step()
    for hook in turn.services.registry.start_hooks:
        replies = hook(turn, payload)
        if replies is not None:
            return with_welcome(turn, replies, first_contact)
    return with_welcome(turn, main_menu(turn), first_contact)


# --- answering what people write ---------------------------------------------------------
def answer_text(turn: Turn, first_contact: bool) -> Replies:
    person = turn.person
    codes = turn.services.settings.language_codes
    named = language_choice.name_only(turn.clean_text, codes)
    if named is not None:  # "Sepedi", "isiXhosa": the person is choosing a language
        return with_welcome(turn, set_language(turn, named), first_contact)
    guess = turn.services.nlu.languages.assess(turn.clean_text, person.language)
    parse = turn.services.nlu.parse(turn.clean_text, language_hint=person.language)
    turn.parse = parse
    if not person.language_chosen and guess.code in codes:
        person.language = guess.code
    turn.notes["intent"] = parse.intent
    turn.notes["confidence"] = parse.confidence
    if parse.urgent:
        return with_welcome(turn, urgent(turn, parse.intent), first_contact, after=True)
    if guess.unsupported is not None and not person.language_chosen:
        return with_welcome(turn, language_choice.unsupported_reply(turn, guess), first_contact)
    if first_contact and parse.intent in {"greet", "menu"}:
        replies = main_menu(turn)
    else:
        replies = answer_intent(turn, parse.intent)
    # The one-line language choice goes before the answer, so the answer (and its numbers)
    # stays the last thing on the screen.
    note = language_choice.uncertain_first_message(turn, guess) if first_contact else None
    return with_welcome(turn, ([note] if note else []) + replies, first_contact)


def urgent(turn: Turn, intent: str) -> Replies:
    """Safety first, then whatever the features offer (escalation's consent question)."""
    turn.notes["urgent"] = True
    safety_intent = intent if intent in URGENT_INTENTS else URGENT_FOR_INTENT.get(intent, "urgent_arrested_now")
    safety = turn.content.safety(turn.jurisdiction, safety_intent, turn.language)
    offers: Replies = []
    for hook in turn.services.registry.urgent_hooks:
        offers.extend(hook(turn, safety_intent))
    if offers:
        return [OutboundMessage(text=safety, intent=intent)] + offers
    return [turn.offer(safety, [menu_option(turn)], intent=intent)]


def answer_intent(turn: Turn, intent: str) -> Replies:
    handler = turn.services.registry.intents.get(intent)
    if handler is not None:
        return handler(turn)
    if intent in URGENT_INTENTS:
        return urgent(turn, intent)
    if intent in SOCIAL_TEXTS:
        return [turn.offer(turn.text(SOCIAL_TEXTS[intent]), [menu_option(turn)], intent=intent)]
    if intent == "menu":
        return main_menu(turn)
    if intent == "change_language":
        named = language_choice.code_from_words(turn.clean_text, turn.services.settings.language_codes)
        return set_language(turn, named) if named else language_menu(turn)
    if intent == "stop":
        return cmd_stop(turn, "")
    if intent == "delete_data":
        return cmd_delete(turn, "")
    topic = turn.topic(intent)
    if topic is None or intent == "out_of_scope":
        turn.notes["intent"] = "out_of_scope" if topic is None else intent
        return [turn.offer(turn.text("not_understood"), [menu_option(turn)], intent="out_of_scope")]
    return topic_reply(turn, topic)


def topic_reply(turn: Turn, topic: Topic) -> Replies:
    """The answer for the person's channel, with follow-ups; plus the language menu when
    the answer had to fall back to English (a separate message, so an SMS answer stays
    within its two segments)."""
    part = "sms" if turn.inbound.channel is Channel.SMS else "full"
    text = topic.sms if part == "sms" else topic.full
    language = turn.content.menu_language(turn.jurisdiction, turn.language, topic.follow_ups, ("option_menu",))
    turn.language_override = language if language != turn.language else None
    try:
        options = []
        for follow_up in topic.follow_ups:
            other = turn.topic(follow_up)
            if other is not None:
                options.append(ReplyOption(key=f"intent:{follow_up}", label=other.title))
        options.append(menu_option(turn))
    finally:
        turn.language_override = None
    # Only the text this person gets counts: a stale Telegram answer does not make an SMS
    # reader see the language menu.
    if topic.translated_for(part):
        return [turn.offer(text, options, intent=topic.intent)]
    answer = OutboundMessage(text=text, intent=topic.intent)
    languages = language_menu(turn, prompt_key="fallback_language_note")
    return [answer] + languages


# --- commands -------------------------------------------------------------------------------
def cmd_menu(turn: Turn, argument: str) -> Replies:
    return main_menu(turn)


def cmd_help(turn: Turn, argument: str) -> Replies:
    return main_menu(turn, prefix=turn.text("help_commands"))


def cmd_privacy(turn: Turn, argument: str) -> Replies:
    turn.notes["intent"] = "menu"
    return [turn.offer(turn.text("privacy_notice"), [menu_option(turn)], intent="menu")]


def cmd_lang(turn: Turn, argument: str) -> Replies:
    code = language_choice.code_from_words(argument, turn.services.settings.language_codes)
    if code is not None:
        return set_language(turn, code)
    return language_menu(turn)


def set_language(turn: Turn, code: str) -> Replies:
    if code not in turn.services.settings.language_codes:
        return language_menu(turn)
    turn.person.language = code
    turn.person.language_chosen = True
    turn.notes["intent"] = "change_language"
    return main_menu(turn, prefix=turn.text("language_changed"))


def cmd_stop(turn: Turn, argument: str) -> Replies:
    turn.person.opted_out = True
    turn.clear_step()
    turn.person.menu = []
    turn.notes["intent"] = "stop"
    return [OutboundMessage(text=turn.text("stop_confirmed"), intent="stop", ignore_opt_out=True)]


def cmd_start(turn: Turn, argument: str) -> Replies:
    turn.person.opted_out = False
    turn.notes["intent"] = "greet"
    return main_menu(turn, prefix=turn.text("start_confirmed"))


def cmd_delete(turn: Turn, argument: str) -> Replies:
    turn.set_step("confirm_delete")
    turn.notes["intent"] = "delete_data"
    return [turn.offer(turn.text("delete_confirm"), yes_no_options(turn), intent="delete_data",
                       ignore_opt_out=True)]


def step_confirm_delete(turn: Turn, option_key: str | None) -> Replies | None:
    answer = yes_or_no(turn, option_key)
    turn.notes["intent"] = "delete_data"
    if answer is None:
        return None
    if not answer:
        turn.clear_step()
        if turn.person.opted_out:
            return [OutboundMessage(text=turn.text("delete_cancelled"), ignore_opt_out=True)]
        return main_menu(turn, prefix=turn.text("delete_cancelled"))
    done = turn.text("delete_done")  # render before the person (and their language) is gone
    erase_person(turn)
    return [OutboundMessage(text=done, intent="delete_data", ignore_opt_out=True)]


def erase_person(turn: Turn) -> None:
    """Every feature deletes its rows for this pseudonym, then the person row goes."""
    for eraser in turn.services.registry.erasers:
        eraser(turn)
    turn.session.delete(turn.person)
    turn.session.flush()
    turn.notes["erased"] = True


def action_answer(turn: Turn, argument: str) -> Replies:
    # A yes/no button pressed after its question expired.
    return main_menu(turn)


def register(registry: Registry) -> None:
    registry.actions["intent"] = lambda turn, intent: _answer_chosen(turn, intent)
    registry.actions["lang"] = set_language
    registry.actions["cmd"] = _run_command_option
    registry.actions["answer"] = action_answer
    registry.command("menu")(cmd_menu)
    registry.command("help")(cmd_help)
    registry.command("privacy")(cmd_privacy)
    registry.command("lang", takes_argument=True)(cmd_lang)
    registry.command("stop", allowed_when_opted_out=True)(cmd_stop)
    registry.command("start", allowed_when_opted_out=True)(cmd_start)
    registry.command("delete", allowed_when_opted_out=True)(cmd_delete)
    registry.step("confirm_delete")(step_confirm_delete)
    registry.extra_command_words.setdefault("PRIVACY", "privacy")


def _answer_chosen(turn: Turn, intent: str) -> Replies:
    turn.notes["intent"] = intent
    turn.notes["confidence"] = 1.0
    return answer_intent(turn, intent)


def _run_command_option(turn: Turn, name: str) -> Replies:
    command = turn.services.registry.commands.get(name)
    replies = command.handler(turn, "") if command else None
    return replies if replies is not None else main_menu(turn)
