"""The person's side: the offer, the consent questions, STATUS.

Order of questions (one per message, each answerable by number, button or word):

    offer ── paralegal / liaison ──> region ──> call-back? (SMS only) ──> consent YES/NO
      │                                                                     │ YES: case
      ├─ record anonymously ──> region ──> counted (category, region, month) │
      └─ no thanks                                      optional one line <──┘

Nothing personal is stored before YES: the pending step holds only the choices (kind,
region, call-back yes/no, category). On YES the case is created with the person's reply
address encrypted; the optional line comes after YES, so it too is stored only once
consent exists (and only encrypted). On Telegram the address is a chat id, not a phone
number, so there is no call-back question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import core_handlers as core
from bot.actions import Replies
from bot.escalation import cases
from bot.escalation.models import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    PARALEGAL,
    RESPONDER_KINDS,
    UNASSIGNED,
    AnonymousReport,
)
from bot.escalation.regions import UNKNOWN, regions_for
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.storage.base import utcnow
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.escalation import Escalation

ANONYMOUS = "anonymous"
STEP_OFFER = "esc_offer"
STEP_REGION = "esc_region"
STEP_CALLBACK = "esc_callback"
STEP_CONSENT = "esc_consent"
STEP_SUMMARY = "esc_summary"


class Flow:
    def __init__(self, escalation: Escalation) -> None:
        self.escalation = escalation

    # --- entry points --------------------------------------------------------------------
    def urgent_hook(self, turn: Turn, safety_intent: str) -> Replies:
        """After the core's safety text: offer to tell someone (or count it anonymously)."""
        parsed = turn.parse.intent if turn.parse is not None else None
        category = parsed if parsed and parsed != "out_of_scope" else safety_intent
        return self.offer(turn, category, "urgent", "esc_offer")

    def talk_to_person(self, turn: Turn) -> Replies:
        """The "talk to a person" answer (helplines), then the offer to pass the case on."""
        turn.notes["intent"] = "talk_to_person"
        replies: Replies = []
        topic = turn.topic("talk_to_person")
        if topic is not None:
            text = topic.sms if turn.inbound.channel is Channel.SMS else topic.full
            replies.append(OutboundMessage(text=text, intent="talk_to_person"))
        return replies + self.offer(turn, "talk_to_person", "normal", "esc_talk_offer")

    def menu_option(self, turn: Turn) -> list[ReplyOption]:
        return [turn.option("esc:start", "esc_menu_option")]

    def offer(self, turn: Turn, category: str, urgency: str, text_key: str) -> Replies:
        if not turn.services.cipher.available:
            # Without encryption keys we cannot keep a case safely: say so, point to help.
            return [turn.offer(turn.text("esc_unavailable"), [core.menu_option(turn)],
                               intent="escalation")]
        turn.set_step(STEP_OFFER, category=category, urgency=urgency)
        options = [turn.option("esc:kind:paralegal", "esc_option_paralegal"),
                   turn.option("esc:kind:liaison", "esc_option_liaison"),
                   turn.option("esc:anon", "esc_option_anonymous"),
                   turn.option("esc:no", "esc_option_no")]
        return [turn.offer(turn.text(text_key), options, intent="escalation")]

    # --- steps ---------------------------------------------------------------------------
    def step_offer(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        if key in ("esc:kind:paralegal", "esc:kind:liaison"):
            data["kind"] = key.rsplit(":", 1)[1]
            return self.ask_region(turn, data)
        if key == "esc:anon":
            data["kind"] = ANONYMOUS
            return self.ask_region(turn, data)
        answer = core.yes_or_no(turn, key)
        if key == "esc:no" or answer is False:
            return self.declined(turn)
        if answer is True:  # "yes" to a choice of four: ask again, by number
            return self.offer(turn, data.get("category", "talk_to_person"),
                              data.get("urgency", "normal"), "esc_offer")
        return None

    def ask_region(self, turn: Turn, data: dict[str, str]) -> Replies:
        regions = regions_for(turn.services.settings.content_dir, turn.jurisdiction)
        if not regions:
            data["region"] = UNKNOWN
            return self.after_region(turn, data)
        turn.set_step(STEP_REGION, **data)
        options = [ReplyOption(f"esc:region:{region}", turn.text(f"region_{region}")) for region in regions]
        options.append(turn.option(f"esc:region:{UNKNOWN}", "esc_option_skip"))
        return [turn.offer(turn.text("esc_region_prompt"), options, intent="escalation")]

    def step_region(self, turn: Turn, key: str | None) -> Replies | None:
        if not key or not key.startswith("esc:region:"):
            return None
        data = dict(turn.person.pending_data or {})
        region = key.split(":", 2)[2]
        known = regions_for(turn.services.settings.content_dir, turn.jurisdiction)
        data["region"] = region if region in known else UNKNOWN
        return self.after_region(turn, data)

    def after_region(self, turn: Turn, data: dict[str, str]) -> Replies:
        if data.get("kind") == ANONYMOUS:
            return self.record_anonymously(turn, data)
        if turn.inbound.channel is Channel.SMS:
            turn.set_step(STEP_CALLBACK, **data)
            text = turn.text("esc_callback_prompt", responder=self.responder_word(turn, data))
            return [turn.offer(text, core.yes_no_options(turn), intent="escalation")]
        data["callback"] = "no"
        return self.ask_consent(turn, data)

    def step_callback(self, turn: Turn, key: str | None) -> Replies | None:
        answer = core.yes_or_no(turn, key)
        if answer is None:
            return None
        data = dict(turn.person.pending_data or {})
        data["callback"] = "yes" if answer else "no"
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
        answer = core.yes_or_no(turn, key)
        if answer is None:
            data = dict(turn.person.pending_data or {})
            if key is not None or data.get("asked_again") or core.match_command(turn) is not None:
                return None
            # Someone in trouble may type what happened instead of YES: ask once more
            # rather than silently dropping the question they may think they answered.
            data["asked_again"] = "yes"
            return self.ask_consent(turn, data)
        if not answer:
            return self.declined(turn)
        return self.create_case(turn, dict(turn.person.pending_data or {}))

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
        # POPIA s11: we must be able to show when consent was given.
        person.consents = {**(person.consents or {}), f"escalation:{case.reference}": now.isoformat()}
        self.escalation.enqueue_after_commit(turn, notifications)
        turn.notes["escalated"] = True
        responder = self.responder_word(turn, data)
        created = OutboundMessage(
            text=turn.text("esc_case_created", reference=case.reference, responder=responder,
                           minutes=str(turn.services.settings.ack_minutes)),
            intent="escalation")
        turn.set_step(STEP_SUMMARY, reference=case.reference, kind=kind)
        prompt = turn.offer(turn.text("esc_summary_prompt", responder=responder),
                            [turn.option("esc:skip", "esc_option_skip_summary")], intent="escalation")
        return [created, prompt]

    def step_summary(self, turn: Turn, key: str | None) -> Replies | None:
        data = dict(turn.person.pending_data or {})
        reference = data.get("reference", "")
        responder = self.responder_word(turn, data)
        if key == "esc:skip":
            turn.clear_step()
            return [turn.offer(turn.text("esc_summary_skipped", reference=reference, responder=responder),
                               [core.menu_option(turn)], intent="escalation")]
        if key is not None or core.match_command(turn) is not None or not turn.clean_text:
            return None  # a command or another menu's option: not the line we asked for
        case = cases.find_case(turn.session, reference)
        turn.clear_step()
        if case is None or case.pseudonym != turn.person.pseudonym:
            return None
        notifications = cases.add_summary(turn.session, turn.services, case, turn.clean_text, utcnow())
        self.escalation.enqueue_after_commit(turn, notifications)
        return [turn.offer(turn.text("esc_summary_added", reference=reference),
                           [core.menu_option(turn)], intent="escalation")]

    # --- endings -------------------------------------------------------------------------
    def declined(self, turn: Turn) -> Replies:
        turn.clear_step()
        turn.notes["intent"] = "escalation"
        return core.main_menu(turn, prefix=turn.text("esc_declined"))

    def record_anonymously(self, turn: Turn, data: dict[str, str]) -> Replies:
        turn.clear_step()
        now = utcnow()
        turn.session.add(AnonymousReport(jurisdiction=turn.jurisdiction,
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
            return self.offer(turn, "talk_to_person", "normal", "esc_talk_offer")
        return core.main_menu(turn)

    # --- words -----------------------------------------------------------------------------
    @staticmethod
    def responder_word(turn: Turn, data: dict[str, str]) -> str:
        kind = data.get("kind") if data.get("kind") in RESPONDER_KINDS else PARALEGAL
        return turn.text(f"esc_responder_{kind}")

    @staticmethod
    def region_word(turn: Turn, region: str) -> str:
        return turn.text("esc_region_unknown" if region == UNKNOWN else f"region_{region}")
