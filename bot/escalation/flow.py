"""The person's side: the offer, the consent questions, STATUS.

Order of questions (one per message, each answerable by number, button or word):

    offer ── paralegal / liaison ──> region ──> call-back? (SMS only) ──> consent YES/NO
      │          │ nobody of that kind on duty                              │ YES: case
      │          └─> say so: other kind / wait / anonymous / no              │
      ├─ record anonymously ──> region ──> counted (category, region, month) │
      └─ no thanks                                      optional one line <──┘

The liaison-officer option is shown only while a liaison officer is on duty, with a line
saying that a liaison officer is a police officer. Every question accepts a number, the
option's words or content's synonyms (bot/choices.py); a reply that answers nothing is
asked again once, then the person hears that nothing is sent yet (``missed``). An urgent
message typed in the middle gets the safety text, then the same question again.

Nothing personal is stored before YES: the pending step holds only the choices (kind,
region, call-back yes/no, category). On YES the case is created with the person's reply
address encrypted; the optional line comes after YES, so it too is stored only once
consent exists (and only encrypted). On Telegram the address is a chat id, not a phone
number, so there is no call-back question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot import choices
from bot import core_handlers as core
from bot.choices import match_option
from bot.actions import Replies
from bot.escalation import cases
from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    LIAISON,
    PARALEGAL,
    RESPONDER_KINDS,
    UNASSIGNED,
    AnonymousReport,
    Case,
)
from bot.escalation.regions import UNKNOWN, regions_for
from bot.figures.marking import violation_of
from bot.escalation.routing import ranked_candidates
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.storage.base import utcnow
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.escalation import Escalation

ANONYMOUS = "anonymous"
STEP_OFFER = "esc_offer"
STEP_NOBODY = "esc_nobody"
STEP_REGION = "esc_region"
STEP_CALLBACK = "esc_callback"
STEP_CONSENT = "esc_consent"
STEP_SUMMARY = "esc_summary"
#: Replies that answer nothing: the first is asked again, from the second on the person
#: is told that nothing is sent yet and gets the main menu as one more option.
REASK_ONCE = 1


class Flow:
    def __init__(self, escalation: Escalation) -> None:
        self.escalation = escalation

    # --- entry points --------------------------------------------------------------------
    def urgent_hook(self, turn: Turn, safety_intent: str) -> Replies:
        """After the core's safety text: offer to tell someone (or count it anonymously)."""
        parsed = turn.notes.get("category") or (turn.parse.intent if turn.parse is not None else None)
        category = parsed if parsed and parsed != "out_of_scope" else safety_intent
        # The situation the words describe ("forced himself on me": sexual violence) names the
        # violation for the oversight figures more precisely than the intent can.
        situation = choices.situation(turn)
        extra = {"situation": situation} if situation else {}
        return self.offer(turn, category, "urgent", "esc_offer", **extra)

    def talk_to_person(self, turn: Turn) -> Replies:
        """The "talk to a person" answer, then the offer to pass the case on. On SMS one
        message (≤ 2 segments): the offer names a line where someone answers now."""
        turn.notes["intent"] = "talk_to_person"
        if not self.anyone_on_duty(turn):
            return self.offer(turn, "talk_to_person", "normal", "esc_talk_nobody")
        if turn.inbound.channel is Channel.SMS:
            return self.offer(turn, "talk_to_person", "normal", "esc_talk_sms")
        replies: Replies = []
        topic = turn.topic("talk_to_person")
        if topic is not None:
            replies.append(OutboundMessage(text=topic.full, intent="talk_to_person"))
        return replies + self.offer(turn, "talk_to_person", "normal", "esc_talk_offer")

    def menu_option(self, turn: Turn) -> list[ReplyOption]:
        return [turn.option("esc:start", "esc_menu_option")]

    # --- who is there ------------------------------------------------------------------------
    @staticmethod
    def on_duty(turn: Turn, kind: str) -> bool:
        """Whether any active responder of ``kind`` is on duty (any region)."""
        return bool(ranked_candidates(turn.session, kind, UNKNOWN))

    def anyone_on_duty(self, turn: Turn) -> bool:
        return any(self.on_duty(turn, kind) for kind in RESPONDER_KINDS)

    def offer(self, turn: Turn, category: str, urgency: str, text_key: str,
              **extra: str) -> Replies:
        if not turn.services.cipher.available:
            # Without encryption keys we cannot keep a case safely: say so, point to help.
            return [turn.offer(turn.text("esc_unavailable"), [core.menu_option(turn)],
                               intent="escalation")]
        turn.set_step(STEP_OFFER, category=category, urgency=urgency, offer_text=text_key, **extra)
        nobody = text_key == "esc_talk_nobody"
        liaison = self.on_duty(turn, LIAISON)
        options = []
        if not nobody:
            options.append(turn.option("esc:kind:paralegal", "esc_option_paralegal"))
        if liaison:  # never offer a police officer who is not there
            options.append(turn.option("esc:kind:liaison", "esc_option_liaison"))
        if nobody:
            options.append(turn.option("esc:wait", "esc_option_wait"))
        options += [turn.option("esc:anon", "esc_option_anonymous"),
                    turn.option("esc:no", "esc_option_no")]
        text = turn.text(text_key)
        if liaison:
            text = turn.text("esc_liaison_warning") + " " + text
        return [turn.offer(text, options, intent="escalation")]

    # --- steps ---------------------------------------------------------------------------
    def step_offer(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        key = key or self.typed_option(turn)
        if key == "cmd:menu":
            return self.left(turn)
        if key in ("esc:kind:paralegal", "esc:kind:liaison"):
            return self.choose_kind(turn, data, key.rsplit(":", 1)[1])
        answer = core.yes_or_no(turn, key)
        if key == "esc:wait" or (answer is True and "esc:wait" in (turn.person.menu or [])):
            data["kind"], data["waiting"] = PARALEGAL, "yes"  # nobody on duty: keep it for one
            return self.ask_region(turn, data)
        if key == "esc:anon":
            data["kind"] = ANONYMOUS
            return self.ask_region(turn, data)
        if key == "esc:no" or answer is False:
            return self.declined(turn)
        if answer is True and "esc:kind:paralegal" in (turn.person.menu or []):
            # "yes please help" to "who should we tell?": the paralegal, who is not
            # police. The consent question still comes before anything is shared.
            return self.choose_kind(turn, data, PARALEGAL)
        return self.missed(turn, data, self.ask_offer_again)

    def ask_offer_again(self, turn: Turn, data: dict[str, str]) -> Replies:
        extra = {k: v for k, v in data.items() if k not in ("category", "urgency", "offer_text")}
        return self.offer(turn, data.get("category", "talk_to_person"), data.get("urgency", "normal"),
                          data.get("offer_text", "esc_offer"), **extra)

    def choose_kind(self, turn: Turn, data: dict[str, str], kind: str) -> Replies:
        data["kind"] = kind
        if self.on_duty(turn, kind):
            data.pop("waiting", None)
            return self.ask_region(turn, data)
        return self.ask_nobody(turn, data)

    def ask_nobody(self, turn: Turn, data: dict[str, str]) -> Replies:
        """Nobody of the chosen kind is on duty: say so before consent, and offer the
        other kind (if on duty), waiting, the anonymous record and a line to call now."""
        turn.set_step(STEP_NOBODY, **data)
        kind = data.get("kind", PARALEGAL)
        other = LIAISON if kind == PARALEGAL else PARALEGAL
        options = []
        if self.on_duty(turn, other):
            options.append(turn.option(f"esc:kind:{other}", f"esc_option_{other}"))
        options += [turn.option("esc:wait", "esc_option_wait"),
                    turn.option("esc:anon", "esc_option_anonymous"),
                    turn.option("esc:no", "esc_option_no")]
        text = turn.text("esc_nobody_on_duty", responder=self.responder_word(turn, data))
        if other == LIAISON and options[0].key == "esc:kind:liaison":
            text = turn.text("esc_liaison_warning") + " " + text
        return [turn.offer(text, options, intent="escalation")]

    def step_nobody(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        key = key or self.typed_option(turn)
        if key == "cmd:menu":
            return self.left(turn)
        if key in ("esc:kind:paralegal", "esc:kind:liaison"):
            return self.choose_kind(turn, data, key.rsplit(":", 1)[1])
        if key == "esc:wait" or (key is None and core.yes_or_no(turn, None) is True):
            data["waiting"] = "yes"  # "yes please": keep the case for the next one on duty
            return self.ask_region(turn, data)
        if key == "esc:anon":
            data["kind"] = ANONYMOUS
            return self.ask_region(turn, data)
        if key == "esc:no" or core.yes_or_no(turn, key) is False:
            return self.declined(turn)
        return self.missed(turn, data, self.ask_nobody)

    def ask_region(self, turn: Turn, data: dict[str, str]) -> Replies:
        regions = regions_for(turn.services.settings.content_dir, turn.jurisdiction)
        data.pop("misses", None)
        if not regions:
            data["region"] = UNKNOWN
            return self.after_region(turn, data)
        return self.region_question(turn, data)

    def region_question(self, turn: Turn, data: dict[str, str]) -> Replies:
        regions = regions_for(turn.services.settings.content_dir, turn.jurisdiction)
        turn.set_step(STEP_REGION, **data)
        options = [ReplyOption(f"esc:region:{region}", turn.text(f"region_{region}")) for region in regions]
        options.append(turn.option(f"esc:region:{UNKNOWN}", "esc_option_skip"))
        return [turn.offer(turn.text("esc_region_prompt"), options, intent="escalation")]

    def step_region(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        key = key or self.typed_option(turn)
        if key == "cmd:menu":
            return self.left(turn)
        if not key or not key.startswith("esc:region:"):
            return self.missed(turn, data, self.region_question)
        region = key.split(":", 2)[2]
        known = regions_for(turn.services.settings.content_dir, turn.jurisdiction)
        data["region"] = region if region in known else UNKNOWN
        data.pop("misses", None)
        return self.after_region(turn, data)

    def after_region(self, turn: Turn, data: dict[str, str]) -> Replies:
        if data.get("kind") == ANONYMOUS:
            return self.record_anonymously(turn, data)
        if turn.inbound.channel is Channel.SMS:
            return self.callback_question(turn, data)
        data["callback"] = "no"
        return self.ask_consent(turn, data)

    def callback_question(self, turn: Turn, data: dict[str, str]) -> Replies:
        turn.set_step(STEP_CALLBACK, **data)
        text = turn.text("esc_callback_prompt", responder=self.responder_word(turn, data))
        return [turn.offer(text, core.yes_no_options(turn), intent="escalation")]

    def step_callback(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        if key == "cmd:menu":
            return self.left(turn)
        answer = core.yes_or_no(turn, key)
        if answer is None:
            return self.missed(turn, data, self.callback_question)
        data["callback"] = "yes" if answer else "no"
        data.pop("misses", None)
        return self.ask_consent(turn, data)

    def ask_consent(self, turn: Turn, data: dict[str, str]) -> Replies:
        turn.set_step(STEP_CONSENT, **data)
        key = "esc_consent_with_number" if data.get("callback") == "yes" else "esc_consent"
        text = turn.text(key, responder=self.responder_word(turn, data),
                         category=cases.category_label(turn.services, turn.jurisdiction,
                                                       data.get("category", ""), turn.language),
                         region=self.region_word(turn, data.get("region", UNKNOWN)))
        return [turn.offer(text, core.yes_no_options(turn), intent="escalation")]

    def step_consent(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        if key == "cmd:menu":
            return self.left(turn)
        answer = core.yes_or_no(turn, key)
        if answer is None:
            # Someone in trouble may type what happened instead of YES: ask again rather
            # than silently dropping the question they may think they answered.
            return self.missed(turn, data, self.ask_consent)
        if not answer:
            return self.declined(turn)
        return self.create_case(turn, data)

    # --- a reply that answers nothing ---------------------------------------------------------
    def typed_option(self, turn: Turn) -> str | None:
        """A word naming one of the options the person was shown (any length of reply)."""
        return match_option(turn, list(turn.person.menu or []))

    def missed(self, turn: Turn, data: dict[str, str],
               ask: Callable[[Turn, dict[str, str]], Replies]) -> Replies | None:
        """The reply did not answer the question. MENU and HELP leave, saying that nothing
        was shared; STOP and DELETE run and end the questions; other commands (PRIVACY,
        STATUS, LANG zu ...) are answered and the question follows again. An urgent
        message gets the safety text and the same question again; anything else is asked
        again once, then the person hears that nothing is sent yet, with the main menu as
        a way out."""
        command = core.match_command(turn)
        if command is not None:
            name, argument = command
            if name in ("menu", "help"):
                return self.left(turn)
            if name in ("stop", "delete"):
                return None  # they mean it: the command runs and the questions end
            # PRIVACY, STATUS, LANG zu, SHARE ...: answer it, then the same question again.
            handled = turn.services.registry.commands[name].handler(turn, argument) or []
            return [r for r in handled if not r.options] + ask(turn, data)
        if turn.clean_text and any(ch.isalnum() for ch in turn.clean_text):
            parse = turn.services.nlu.parse(turn.clean_text, language_hint=turn.person.language)
            if parse.urgent or choices.situation(turn) == "sexual_violence":
                turn.parse = parse
                turn.notes["urgent"] = True
                return [core.safety_message(turn, parse.intent)] + ask(turn, data)
        misses = int(data.get("misses", "0")) + 1
        data["misses"] = str(misses)
        replies = ask(turn, data)
        question = replies[-1]
        if misses <= REASK_ONCE:
            text = turn.text("reask") + " " + question.text
            options = list(question.options)
        else:
            text = turn.text("still_waiting")
            options = [o for o in question.options if o.key != "cmd:menu"] + [core.menu_option(turn)]
        return replies[:-1] + [turn.offer(text, options, intent="escalation")]

    def left(self, turn: Turn) -> Replies:
        """MENU in the middle of the questions: leave, and say that nothing was shared."""
        turn.clear_step()
        turn.notes["intent"] = "escalation"
        return core.main_menu(turn, prefix=turn.text("esc_left"))

    def create_case(self, turn: Turn, data: dict[str, str]) -> Replies:
        person = turn.person
        now = utcnow()
        requested = data.get("kind")
        kind = requested if requested is not None and requested in RESPONDER_KINDS else PARALEGAL
        details = cases.NewCase(
            pseudonym=person.pseudonym, channel=turn.inbound.channel.value,
            address=turn.inbound.address, language=turn.language, jurisdiction=turn.jurisdiction,
            category=data.get("category", "talk_to_person"), region=data.get("region", UNKNOWN),
            urgency=data.get("urgency", "normal"), kind=kind,
            callback_allowed=data.get("callback") == "yes" and turn.inbound.channel is Channel.SMS)
        case, notifications = cases.create_case(turn.session, turn.services, details, now)
        if data.get("situation") and case.created_at == now:  # a new case, not a twin tap's
            case.violation = self._violation(turn, data)
        # POPIA s11: we must be able to show when consent was given.
        person.consents = {**(person.consents or {}), f"escalation:{case.reference}": now.isoformat()}
        self.escalation.enqueue_after_commit(turn, notifications)
        turn.notes["escalated"] = True
        responder = self.responder_word(turn, data)
        turn.set_step(STEP_SUMMARY, reference=case.reference, kind=kind)
        return [self._created(turn, case, responder), self._summary_prompt(turn, responder)]

    @staticmethod
    def _created(turn: Turn, case: Case, responder: str) -> OutboundMessage:
        if case.responder_id is None:
            # Nobody of that kind on duty: never promise an answer within minutes.
            text = turn.text("esc_case_waiting", reference=case.reference, responder=responder)
        else:
            text = turn.text("esc_case_created", reference=case.reference, responder=responder,
                             minutes=str(turn.services.settings.ack_minutes))
        return OutboundMessage(text=text, intent="escalation")

    @staticmethod
    def _summary_prompt(turn: Turn, responder: str) -> OutboundMessage:
        return turn.offer(turn.text("esc_summary_prompt", responder=responder),
                          [turn.option("esc:skip", "esc_option_skip_summary")], intent="escalation")

    def step_summary(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        reference = data.get("reference", "")
        responder = self.responder_word(turn, data)
        if key == "esc:skip":
            turn.clear_step()
            return [turn.offer(turn.text("esc_summary_skipped", reference=reference, responder=responder),
                               [core.menu_option(turn)], intent="escalation")]
        if key == "answer:yes" or (key is None and turn.clean_text
                                   and choices.yes_or_no_words(turn) is True):
            # A second YES (a double tap, a twin that lost the race for the consent): the
            # case exists once; tell them where it stands again and keep asking for the line.
            case = cases.find_case(turn.session, reference)
            if case is not None and case.pseudonym == turn.person.pseudonym:
                return [self._created(turn, case, responder), self._summary_prompt(turn, responder)]
        if key is not None or core.match_command(turn) is not None or not turn.clean_text:
            return None  # a command or another menu's option: not the line we asked for
        case = cases.find_case(turn.session, reference)
        turn.clear_step()
        if case is None or case.pseudonym != turn.person.pseudonym:
            return None
        notifications = cases.add_summary(turn.session, turn.services, case, turn.clean_text, utcnow())
        self.escalation.enqueue_after_commit(turn, notifications)
        added = turn.offer(turn.text("esc_summary_added", reference=reference),
                           [core.menu_option(turn)], intent="escalation")
        parse = turn.services.nlu.parse(turn.clean_text, language_hint=turn.person.language)
        if parse.urgent or choices.situation(turn) == "sexual_violence":
            # "they are beating me now" as the line: it goes to the responder, and the
            # person gets the safety text for it too.
            turn.parse = parse
            return [core.safety_message(turn, parse.intent), added]
        return [added]

    # --- endings -------------------------------------------------------------------------
    def declined(self, turn: Turn) -> Replies:
        turn.clear_step()
        turn.notes["intent"] = "escalation"
        return core.main_menu(turn, prefix=turn.text("esc_declined"))

    def record_anonymously(self, turn: Turn, data: dict[str, str]) -> Replies:
        turn.clear_step()
        now = utcnow()
        turn.session.add(AnonymousReport(jurisdiction=turn.jurisdiction,
                                         violation=self._violation(turn, data),
                                         category=data.get("category", "talk_to_person"),
                                         region=data.get("region", UNKNOWN),
                                         month=now.strftime("%Y-%m")))
        return [turn.offer(turn.text("esc_anonymous_recorded"), [core.menu_option(turn)],
                           intent="escalation")]

    # --- STATUS ----------------------------------------------------------------------------
    def status(self, turn: Turn, argument: str) -> Replies:
        turn.notes["intent"] = "escalation"
        found = cases.open_cases_of(turn.session, turn.person.pseudonym)
        if not found:
            return [turn.offer(turn.text("esc_status_none"), [core.menu_option(turn)], intent="escalation")]
        states = {ASSIGNED: "esc_state_assigned", UNASSIGNED: "esc_state_unassigned",
                  ACKNOWLEDGED: "esc_state_acknowledged", CLOSED: "esc_state_closed"}
        lines = []
        for case in found[:3]:  # SMS: the three newest are plenty
            responder = self.responder_word(turn, {"kind": case.responder_kind})
            state = turn.text(states.get(case.status, "esc_state_closed"), responder=responder)
            lines.append(turn.text("esc_status_line", reference=case.reference, state=state))
        return [turn.offer("\n".join(lines), [core.menu_option(turn)], intent="escalation")]

    # --- buttons pressed outside their step ------------------------------------------------
    def stale_option(self, turn: Turn, argument: str) -> Replies:
        """An ``esc:`` option from an old message (the step is gone): start over sensibly."""
        verb, _, rest = argument.partition(":")
        if verb == "kind" and rest in RESPONDER_KINDS:
            turn.set_step(STEP_OFFER, category="talk_to_person", urgency="normal")
            return self.step_offer(turn, f"esc:kind:{rest}") or []
        if verb == "anon":
            turn.set_step(STEP_OFFER, category="talk_to_person", urgency="normal")
            return self.step_offer(turn, "esc:anon") or []
        if verb == "start":
            return self.talk_to_person(turn)
        return core.main_menu(turn)

    @staticmethod
    def _violation(turn: Turn, data: dict[str, str]) -> str | None:
        """None: derived from the category when the row is written (bot/figures/marking.py)."""
        if not data.get("situation"):
            return None
        return violation_of(turn.services.settings.content_dir, turn.jurisdiction,
                            data.get("category", "talk_to_person"), data.get("urgency"),
                            data["situation"])

    # --- words -----------------------------------------------------------------------------
    @staticmethod
    def responder_word(turn: Turn, data: dict[str, str]) -> str:
        kind = data.get("kind") if data.get("kind") in RESPONDER_KINDS else PARALEGAL
        return turn.text(f"esc_responder_{kind}")

    @staticmethod
    def region_word(turn: Turn, region: str) -> str:
        return turn.text("esc_region_unknown" if region == UNKNOWN else f"region_{region}")
