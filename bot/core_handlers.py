"""The core's own handlers: menus, language, STOP/START, DELETE, and answering intents.

Features add theirs through the same :class:`~bot.actions.Registry`; see
``bot/escalation/__init__.py`` for an example.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import choices, language_choice
from bot.actions import Registry, Replies
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.render import fits_sms
from bot.storage.base import utcnow
from bot.turn import Turn
from nlu import OUT_OF_SCOPE, URGENT_INTENTS

if TYPE_CHECKING:
    from bot.content import Topic
    from nlu import Parse

#: Intents answered with a system text rather than a topic.
SOCIAL_TEXTS = {"greet": "greet", "thanks": "thanks", "goodbye": "goodbye"}
#: Which safety text fits a message flagged urgent whose intent is not itself urgent.
URGENT_FOR_INTENT = {
    "rights_medication_custody": "urgent_medical_custody",
    "find_health_service": "urgent_medical_custody",
    "police_bribe": "urgent_violence",
    "report_police": "urgent_violence",
}
#: Which urgent intent (escalation category, fallback safety text) fits a situation.
URGENT_FOR_SITUATION = {
    "sexual_violence": "urgent_violence",
    "medical": "urgent_medical_custody",
    "extortion": "urgent_violence",
    "held_48h": "urgent_arrested_now",
    "phone_taken": "urgent_arrested_now",
}
#: A key line that would only repeat the situation's safety text is left out.
SITUATION_COVERS = {"medical": "rights_medication_custody", "extortion": "police_bribe",
                    "held_48h": "rights_48_hours"}
#: How long a follow-up ("and my friend?") still refers to the last answer.
CONTEXT_MINUTES = 10
#: A topical intent this likely (in the ranking) gets its key line under a safety text.
KEY_LINE_FLOOR = 0.15
#: The two likeliest intents closer than this: ask which one was meant.
CLOSE_CALL = 0.12
#: How sure the model must be that a refer-back message names a new topic (see answer_text).
NEW_TOPIC_OVER_CONTEXT = 0.85
#: An intent less likely than this is not worth offering in a "did you mean" menu.
CLARIFY_FLOOR = 0.05


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
        extras: list[ReplyOption] = []
        for extra in turn.services.registry.menu_extras:
            extras.extend(extra(turn))
        text = (prefix + "\n\n" if prefix else "") + turn.text("menu_intro")
    finally:
        turn.language_override = None
    if prefix and turn.inbound.channel is Channel.SMS:
        # HELP and friends: a long prefix leaves room for fewer topics, but "get help from
        # a person" (an extra) is never the one that is cut.
        while options and not fits_sms(text, [o.label for o in options + extras]):
            options.pop()
    options += extras
    turn.notes.setdefault("intent", "menu")
    return [turn.offer(text, options, intent="menu")]


def language_menu(turn: Turn, prefix: str = "", prompt_key: str = "language_prompt") -> Replies:
    options = language_choice.language_options(turn.services.settings.language_codes)
    text = (prefix + "\n\n" if prefix else "") + turn.text(prompt_key)
    turn.notes.setdefault("intent", "change_language")
    return [turn.offer(text, options, intent="change_language")]


def with_welcome(turn: Turn, replies: Replies, first_contact: bool) -> Replies:
    """Add the welcome and privacy notice to a first contact (urgent turns: with_short_welcome)."""
    if not first_contact:
        return replies
    turn.person.welcomed = True
    welcome = OutboundMessage(text=turn.text("welcome"), intent="greet")
    return [welcome] + replies


def with_short_welcome(turn: Turn, replies: Replies, first_contact: bool) -> Replies:
    """A first message that is urgent: one short welcome line on the last message (the
    offer) instead of the full welcome, so the urgent turn stays within 4 SMS segments."""
    if not first_contact or not replies:
        return replies
    turn.person.welcomed = True
    last = replies[-1]
    return replies[:-1] + [dataclasses.replace(last, text=turn.text("welcome_short") + "\n" + last.text)]


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
    if option_key is not None:
        return None  # another menu's option
    return choices.yes_or_no_words(turn)  # "yes please hurry", "ja asseblief", "cha"


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
    if choices.is_acknowledgement(turn):
        return with_welcome(turn, main_menu(turn), True) if first_contact else acknowledge(turn)
    guess = turn.services.nlu.languages.assess(turn.clean_text, person.language)
    parse = turn.services.nlu.parse(turn.clean_text, language_hint=person.language)
    turn.parse = parse
    if not person.language_chosen and guess.code in codes:
        person.language = guess.code
    turn.notes["intent"] = parse.intent
    turn.notes["confidence"] = parse.confidence
    sexual_violence = (choices.situation(turn) == "sexual_violence"
                       and choices.mentions(turn, "phrases", "police"))
    context = _context_topic(turn)
    if parse.urgent or sexual_violence:
        if context and choices.refers_back(turn) and not _sounds_like_danger(turn):
            # "and if they refuse" right after the bail answer: the classifier hears
            # danger, the person asks a follow-up. Answer in context, and still offer help.
            return urgent_follow_up(turn, context)
        if not sexual_violence and _unsure(turn, parse) and choices.situation(turn) is None:
            return with_short_welcome(turn, urgent_unclear(turn, parse), first_contact)
        return with_short_welcome(turn, urgent(turn, parse.intent), first_contact)
    if guess.unsupported is not None and not person.language_chosen:
        return with_welcome(turn, language_choice.unsupported_reply(turn, guess), first_contact)
    if (parse.intent == OUT_OF_SCOPE and choices.situation(turn) == "phone_taken"
            and choices.mentions(turn, "phrases", "police")):
        # "poliec tok my fone": the model calls it off-topic; the words say police and a
        # phone, which the searches answer covers (phones, bags, CPA s20).
        turn.notes["intent"] = "rights_search"
        return with_welcome(turn, answer_intent(turn, "rights_search"), first_contact)
    if choices.partner_violence(turn):
        turn.notes["intent"] = "partner_violence"
        return with_welcome(turn, answer_intent(turn, "partner_violence"), first_contact)
    if parse.intent == "rights_48_hours" and choices.situation(turn) == "held_48h":
        turn.notes["intent"] = "held_over_48_hours"
        return with_welcome(turn, answer_intent(turn, "held_over_48_hours"), first_contact)
    if first_contact and parse.intent in {"greet", "menu"}:
        # "dumela" is Sesotho, Setswana and Sepedi: a greeting whose language is unsure gets
        # the one-line language choice too, before the menu; not a plain "hi" answered in
        # the default language (one SMS segment more for most first messages otherwise).
        default = turn.services.settings.default_language
        note = language_choice.uncertain_first_message(turn, guess) if guess.code != default else None
        return with_welcome(turn, ([note] if note else []) + main_menu(turn), first_contact)
    # A short message that points back ("can I get in trouble for that") stays with the last
    # topic unless the model is sure it names a new one: models read "trouble" as a topic.
    placed = (parse.intent in turn.content.topic_intents(turn.jurisdiction) and not _unsure(turn, parse)
              and parse.confidence >= NEW_TOPIC_OVER_CONTEXT)
    if context and choices.refers_back(turn) and not placed:
        turn.notes["intent"] = context
        turn.notes["context"] = True
        return with_welcome(turn, answer_intent(turn, context), first_contact)
    if _unsure(turn, parse) and len(_clarify_candidates(turn, parse)) >= 2:
        replies = clarify(turn, parse)
    else:
        replies = answer_intent(turn, parse.intent)
    # The one-line language choice goes before the answer, so the answer (and its numbers)
    # stays the last thing on the screen.
    note = language_choice.uncertain_first_message(turn, guess) if first_contact else None
    return with_welcome(turn, ([note] if note else []) + replies, first_contact)


def _sounds_like_danger(turn: Turn) -> bool:
    """Words of danger now ("they are beating me now"): never read as a follow-up."""
    return (choices.situation(turn) is not None
            or any(choices.mentions(turn, "phrases", name) for name in ("danger", "hurt", "police")))


def urgent_follow_up(turn: Turn, context: str) -> Replies:
    """An urgent-sounding follow-up: the last topic's answer, then the offer of help."""
    topic = turn.topic(context)
    turn.notes["intent"] = context
    turn.notes["context"] = True
    if topic is None:
        return urgent(turn, turn.parse.intent if turn.parse else context)
    turn.notes["urgent"] = True
    answer = OutboundMessage(text=topic.sms if turn.inbound.channel is Channel.SMS else topic.full,
                             intent=context)
    offers: Replies = []
    for hook in turn.services.registry.urgent_hooks:
        offers.extend(hook(turn, URGENT_FOR_INTENT.get(context, "urgent_arrested_now")))
    return [answer] + (offers or [turn.offer(turn.text("menu_intro"), [menu_option(turn)])])


def _unsure(turn: Turn, parse: Parse) -> bool:
    """Below the threshold, or the two likeliest intents nearly tied."""
    ranking = list(parse.ranking)
    if not ranking:
        return False
    top_intent, top_score = ranking[0]
    if top_intent == OUT_OF_SCOPE:
        return False  # confidently not ours ("ok", "my cat is sick")
    if top_score < turn.services.nlu.threshold:
        return True
    return len(ranking) > 1 and top_score - ranking[1][1] < CLOSE_CALL and ranking[1][0] != OUT_OF_SCOPE


def _clarify_candidates(turn: Turn, parse: Parse) -> list[str]:
    """The 2-3 likeliest intents Haki can answer with a topic."""
    found = []
    context = _context_topic(turn)
    if context and choices.refers_back(turn) and turn.topic(context) is not None:
        found.append(context)  # "what about my friend" most likely means the last topic
    for intent, score in parse.ranking:
        if intent in found:
            continue
        if score < CLARIFY_FLOOR or intent in URGENT_INTENTS or intent == OUT_OF_SCOPE:
            continue
        if turn.topic(intent) is not None:
            found.append(intent)
        if len(found) == 3:
            break
    return found


def clarify(turn: Turn, parse: Parse, *, urgent_unclear: bool = False) -> Replies:
    """ "Did you mean" with the likeliest topics, answerable by number or word."""
    turn.notes["intent"] = "clarify"
    options = [ReplyOption(key=f"intent:{intent}", label=turn.topic(intent).title)  # type: ignore[union-attr]
               for intent in _clarify_candidates(turn, parse)]
    prompt = "clarify_prompt"
    if urgent_unclear:
        prompt = "clarify_urgent_prompt"
        options = [turn.option("esc:start", "esc_menu_option")] + options[:2]
    options.append(menu_option(turn))
    return [turn.offer(turn.text(prompt), options, intent="clarify")]


def urgent_unclear(turn: Turn, parse: Parse) -> Replies:
    """Maybe urgent, but unclear what about: safety text first, then "did you mean",
    with "get help from a person" first so the urgent path is one word away."""
    turn.notes["urgent"] = True
    safety = turn.content.safety(turn.jurisdiction, "urgent_arrested_now", turn.language)
    if parse.intent in URGENT_INTENTS:
        safety = turn.content.safety(turn.jurisdiction, parse.intent, turn.language)
    return [OutboundMessage(text=safety, intent=parse.intent)] + clarify(turn, parse, urgent_unclear=True)


def acknowledge(turn: Turn) -> Replies:
    """ "ok", "thanks", an emoji: a short answer and the menu."""
    turn.notes["intent"] = "thanks"
    return main_menu(turn, prefix=turn.text("acknowledge"))


def _context_topic(turn: Turn) -> str | None:
    """The topic answered in the last few minutes, if no step is pending."""
    data = turn.person.pending_data or {}
    if turn.person.pending_step or not data.get("context"):
        return None
    try:
        at = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        return None
    now = utcnow()
    if at.tzinfo is None and now.tzinfo is not None:
        at = at.replace(tzinfo=now.tzinfo)
    if now - at > timedelta(minutes=CONTEXT_MINUTES):
        return None
    return str(data["context"])


def remember_topic(turn: Turn, intent: str) -> None:
    """Keep the topic just answered (an intent name, never the message) for follow-ups.
    It lives in pending_data while no step is pending; any step replaces it."""
    if not turn.person.pending_step:
        turn.person.pending_data = {"context": intent, "at": utcnow().isoformat()}


def urgent(turn: Turn, intent: str) -> Replies:
    """Safety first (for the situation the words describe), the key line of the specific
    answer when the message also asks a topical question, then whatever the features
    offer (escalation's consent question)."""
    safety = safety_message(turn, intent)
    offers: Replies = []
    for hook in turn.services.registry.urgent_hooks:
        offers.extend(hook(turn, turn.notes["safety_intent"]))
    if offers:
        return [safety] + offers
    return [turn.offer(safety.text, [menu_option(turn)], intent=intent)]


def safety_message(turn: Turn, intent: str) -> OutboundMessage:
    """The safety text for this message's situation, plus the key line of its topic."""
    turn.notes["urgent"] = True
    situation = choices.situation(turn)
    if intent in URGENT_INTENTS:
        safety_intent = intent
    elif situation:
        safety_intent = URGENT_FOR_SITUATION[situation]
    else:
        safety_intent = URGENT_FOR_INTENT.get(intent, "urgent_arrested_now")
    if situation == "sexual_violence":
        # Whatever the classifier guessed ("arrested now"), the case is about violence.
        safety_intent = turn.notes["category"] = "urgent_violence"
    turn.notes["safety_intent"] = safety_intent
    if choices.partner_violence(turn) and turn.topic("partner_violence") is not None:
        # A partner or client, not police: the GBV answer, and the case says so.
        intent = turn.notes["category"] = "partner_violence"
    safety = _safety_text(turn, situation, safety_intent)
    key_line = _key_line(turn, situation)
    if key_line and (turn.inbound.channel is not Channel.SMS
                     or fits_sms(safety.rstrip() + "\n" + key_line, [])):
        # On SMS the safety text and the key line share one message of ≤ 2 segments
        # (content/za/safety.yml keeps both short); a line that would not fit is left out
        # rather than pushing the urgent turn past 4 segments.
        safety = safety.rstrip() + "\n" + key_line
    return OutboundMessage(text=safety, intent=intent)


def _safety_text(turn: Turn, situation: str | None, safety_intent: str) -> str:
    if choices.partner_violence(turn) and situation != "sexual_violence":
        topic = turn.topic("partner_violence")
        if topic is not None:
            return topic.sms
    if situation:
        return turn.text(f"safety_{situation}")
    return turn.content.safety(turn.jurisdiction, safety_intent, turn.language)


def _key_line(turn: Turn, situation: str | None) -> str | None:
    """One line of the topical answer the urgent message also asks about (bail, ARVs ...)."""
    if turn.parse is None:
        return None
    for intent, score in turn.parse.ranking:
        if score < KEY_LINE_FLOOR:
            break
        if intent in URGENT_INTENTS or intent == OUT_OF_SCOPE or SITUATION_COVERS.get(situation or "") == intent:
            continue
        try:
            return turn.text(f"key_{intent}")
        except KeyError:
            continue
    return None


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
    remember_topic(turn, topic.intent)
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
    if option_key == "cmd:menu":
        turn.clear_step()
        return main_menu(turn, prefix=turn.text("delete_cancelled"))
    if answer is None:
        if option_key is not None or match_command(turn) is not None or not turn.clean_text:
            return None  # another menu's option or a command: not an answer to this
        parse = turn.services.nlu.parse(turn.clean_text, language_hint=turn.person.language)
        if parse.urgent or (parse.intent in turn.content.topic_intents(turn.jurisdiction)
                            and not _unsure(turn, parse)):
            return None  # danger, or a clear new question: they changed their mind
        misses = int((turn.person.pending_data or {}).get("misses", "0")) + 1
        turn.set_step("confirm_delete", misses=str(misses))
        if misses == 1:
            return [turn.offer(turn.text("reask") + " " + turn.text("delete_confirm"),
                               yes_no_options(turn), intent="delete_data", ignore_opt_out=True)]
        return [turn.offer(turn.text("delete_still_pending"), yes_no_options(turn) + [menu_option(turn)],
                           intent="delete_data", ignore_opt_out=True)]
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
