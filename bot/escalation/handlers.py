"""The responder's side by SMS and Telegram: ``ACK K7-3QF``, ``DONE K7-3QF <outcome> <note>``,
``NOTE K7-3QF <text>``, ``CASES``, ``HELP``, the Telegram buttons, and linking a Telegram
chat with a one-time code (``LINK 123456``).

Responders write to the same bot as everyone else. We recognise them by the pseudonym of
their channel address (the same keyed HMAC that identifies a person), so nothing extra is
stored to know who is writing. Every change goes through the escalation service
(bot/escalation/service.py), exactly like the console's buttons. Anyone who is not a
responder and types ACK, DONE or CASES is read as an ordinary message, which says nothing
about any case.

The Telegram Done button asks for the outcome (buttons) and then a note (the next text;
"-" for none) before it closes the case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.actions import Replies
from bot.escalation import cases
from bot.escalation.cases import Outcome
from bot.escalation.models import ACKNOWLEDGED, OPEN_STATES, Case, Responder
from bot.escalation.notices import RESPONDER_LANGUAGE, callback_line
from bot.escalation.outcomes import find_outcome, outcome_codes
from bot.escalation.responders import responder_for_pseudonym
from bot.escalation.service import (
    Actor,
    Denied,
    Done,
    EscalationService,
    Invalid,
    NotFound,
    UnitOfWork,
)
from bot.identity import log_tag
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.storage.base import utcnow
from bot.storage.models import ProviderErasure
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.escalation import Escalation

STEP_CLOSE_NOTE = "esc_resp_close_note"
MAX_LISTED = 8

_REPLIES = {
    Outcome.ALREADY: "esc_resp_ack_again",
    Outcome.NOT_YOURS: "esc_resp_not_yours",
    Outcome.CLOSED: "esc_resp_closed_already",
    Outcome.WITHDRAWN: "esc_resp_withdrawn",
}


#: Like webhooks/erasure.py: after the reply to this message has left (it is erased too).
ERASE_AFTER = timedelta(minutes=5)


def _erase_at_provider_soon(turn: Turn) -> None:
    """A responder's ACK/DONE by SMS names a case (DONE may carry a note about the person):
    it is erased from Twilio's message log a few minutes later (webhooks/erasure.py runs
    ``provider_erasures`` rows). Only when Twilio is configured: nothing else sweeps them."""
    if turn.inbound.external_id and Channel.SMS in turn.services.senders:
        turn.session.add(ProviderErasure(channel=Channel.SMS.value,
                                         message_id=turn.inbound.external_id[:64],
                                         address_encrypted=None,
                                         not_before=utcnow() + ERASE_AFTER, attempts=0,
                                         last_error=""))


class ResponderCommands:
    def __init__(self, escalation: Escalation) -> None:
        self.escalation = escalation
        self.service = EscalationService(escalation)

    # --- entry points ----------------------------------------------------------------------
    def ack(self, turn: Turn, argument: str) -> Replies | None:
        return self._typed(turn, "ack", argument)

    def done(self, turn: Turn, argument: str) -> Replies | None:
        return self._typed(turn, "done", argument)

    def note(self, turn: Turn, argument: str) -> Replies | None:
        return self._typed(turn, "note", argument)

    def list_cases(self, turn: Turn, argument: str) -> Replies | None:
        responder = self._responder(turn)
        if responder is None:
            return None
        turn.notes["intent"] = "escalation"
        now = utcnow()
        found = turn.session.scalars(
            select(Case).where(Case.responder_id == responder.id,
                               Case.status.in_(OPEN_STATES + (ACKNOWLEDGED,)))
            .order_by(Case.ack_deadline.is_(None), Case.ack_deadline, Case.created_at)
            .limit(MAX_LISTED)).all()
        # A look at cases is audited like the console's inbox (who, when; no content).
        UnitOfWork(turn.session).audit(Actor.responder(responder, turn.inbound.channel.value),
                                       "view_cases", detail=f"{len(found)} listed")
        if not found:
            return self._say(turn, "esc_resp_cases_none")
        lines = []
        for case in found:
            if case.status == ACKNOWLEDGED:
                when = "acknowledged"
            elif case.ack_deadline is not None and case.ack_deadline <= now:
                when = "ACK OVERDUE"
            elif case.ack_deadline is not None:
                when = f"ACK by {case.ack_deadline:%H:%M} UTC"
            else:
                when = case.status
            lines.append(f"{case.reference} {case.urgency} {when}")
        return self._say(turn, "esc_resp_cases", lines="\n".join(lines))

    def help(self, turn: Turn, argument: str) -> Replies | None:
        """HELP from a responder: their commands. From anyone else: the core's HELP."""
        if self._responder(turn) is None:
            return None
        turn.notes["intent"] = "escalation"
        codes = outcome_codes(turn.services.settings.content_dir, turn.jurisdiction)
        console = turn.services.settings.public_url.rstrip("/") + "/console/"
        return self._say(turn, "esc_resp_help", outcomes=", ".join(c.code for c in codes),
                         console=console)

    def button(self, turn: Turn, argument: str) -> Replies | None:
        """``esc:ack:K7-3QF`` / ``esc:done:K7-3QF`` / ``esc:outcome:K7-3QF:released`` from a
        Telegram button; None if the option is not a responder's (the person's flow)."""
        verb, _, rest = argument.partition(":")
        if verb in ("ack", "done"):
            return self._act(turn, verb, rest)
        if verb == "outcome":
            reference, _, code = rest.partition(":")
            return self._outcome_chosen(turn, reference, code)
        return None

    def close_note_step(self, turn: Turn, option_key: str | None) -> Replies | None:
        """The text after the outcome button: the closing note ("-" for none). A button
        instead (another case's ACK) drops the question and is handled as usual."""
        if option_key is not None:
            return None
        data = dict(turn.person.pending_data or {})
        turn.clear_step()
        note = "" if turn.clean_text.strip() in ("-", "") else turn.clean_text
        return self._act(turn, "done", f"{data.get('reference', '')} {data.get('outcome', '')} {note}")

    def link(self, turn: Turn, argument: str) -> Replies | None:
        """``LINK 483920`` (or /start link-483920): a Telegram responder links this chat."""
        from bot.escalation.responders import link_chat

        code = "".join(ch for ch in argument if ch.isdigit())
        if turn.inbound.channel is not Channel.TELEGRAM or len(code) != 8 or code != argument.strip():
            return None  # "link" as an ordinary word
        turn.notes["intent"] = "escalation"
        turn.person.welcomed = True
        linked = link_chat(turn.session, turn.services.cipher, turn.services.settings.secret_key,
                           turn.inbound.channel.value, turn.inbound.address, code, utcnow())
        return self._say(turn, "esc_resp_linked" if linked else "esc_resp_link_bad")

    # --- helpers -----------------------------------------------------------------------------
    def _responder(self, turn: Turn) -> Responder | None:
        return responder_for_pseudonym(turn.session, turn.inbound.channel.value,
                                       turn.person.pseudonym)

    def _typed(self, turn: Turn, verb: str, argument: str) -> Replies | None:
        if self._responder(turn) is None:
            return None
        return self._act(turn, verb, argument)

    def _say(self, turn: Turn, key: str, options: tuple[ReplyOption, ...] = (),
             **params: str) -> Replies:
        text = turn.content.text(key, RESPONDER_LANGUAGE, turn.jurisdiction, **params)
        return [OutboundMessage(text=text, options=options, intent="escalation")]

    def _outcome_chosen(self, turn: Turn, reference: str, code: str) -> Replies:
        turn.notes["intent"] = "escalation"
        if self._responder(turn) is None:
            return self._say(turn, "esc_resp_not_responder")
        found = find_outcome(turn.services.settings.content_dir, turn.jurisdiction, code)
        normal = cases.normalise_reference(reference)
        if found is None or normal is None:
            return self._say(turn, "esc_resp_usage")
        turn.set_step(STEP_CLOSE_NOTE, reference=normal, outcome=found.code)
        return self._say(turn, "esc_resp_done_note", reference=normal, outcome=found.label)

    def _ask_outcome(self, turn: Turn, reference: str) -> Replies:
        codes = outcome_codes(turn.services.settings.content_dir, turn.jurisdiction)
        if turn.inbound.channel is Channel.TELEGRAM:
            options = tuple(ReplyOption(f"esc:outcome:{reference}:{c.code}", c.label) for c in codes)
            return self._say(turn, "esc_resp_done_outcome", options=options, reference=reference)
        return self._say(turn, "esc_resp_bad_outcome", reference=reference,
                         outcomes=" ".join(c.code for c in codes))

    def _act(self, turn: Turn, verb: str, argument: str) -> Replies:
        turn.notes["intent"] = "escalation"
        turn.person.welcomed = True  # a responder needs no welcome after this
        responder = self._responder(turn)
        if responder is None:
            return self._say(turn, "esc_resp_not_responder")
        first, _, rest = argument.strip().partition(" ")
        reference = cases.normalise_reference(first)
        if reference is None:
            return self._say(turn, "esc_resp_usage")
        actor = Actor.responder(responder, turn.inbound.channel.value)
        uow = self.service.in_turn(turn)
        try:
            case = self.service.case_for(uow, reference, actor, for_update=True)
        except (NotFound, Denied):
            # One answer for "no such case" and "not yours": a registered responder must
            # not learn which references exist (or whether a case was closed or withdrawn).
            return self._say(turn, "esc_resp_not_yours", reference=reference)
        try:
            if verb == "ack":
                done = self.service.acknowledge(uow, case, actor)
            elif verb == "note":
                done = self.service.add_note(uow, case, actor, rest)
            else:
                code, _, note = rest.strip().partition(" ")
                if not code or find_outcome(turn.services.settings.content_dir, case.jurisdiction,
                                            code) is None:
                    if case.status == ACKNOWLEDGED or case.status in OPEN_STATES:
                        return self._ask_outcome(turn, reference)
                    code = ""
                done = (self.service.close(uow, case, actor, code, note) if code
                        else _closed_or_gone(case))
        except Denied:
            return self._say(turn, "esc_resp_not_yours", reference=reference)
        except Invalid:
            return self._say(turn, "esc_resp_usage")
        self.escalation.log.info("responder action", extra={
            "responder": log_tag(responder.pseudonym), "case": reference, "event": verb,
            "state": done.outcome.value})
        if turn.inbound.channel is Channel.SMS:
            _erase_at_provider_soon(turn)
        if done.outcome is Outcome.DONE:
            if verb == "ack":
                # On SMS this reply goes out as TwiML, whose message id we never learn, so
                # it could never be erased at Twilio: it must not quote the person's number
                # (the notice, sent through the API and erased with the case, has it).
                callback = ("" if turn.inbound.channel is Channel.SMS
                            else callback_line(turn.services, case))
                return self._say(turn, "esc_resp_ack_ok", reference=reference,
                                 callback=callback)
            if verb == "note":
                return self._say(turn, "esc_resp_note_ok", reference=reference)
            return self._say(turn, "esc_resp_done_ok", reference=reference)
        if done.outcome is Outcome.ALREADY and case.responder_id == responder.id:
            return self._say(turn, "esc_resp_ack_again", reference=reference)
        return self._say(turn, _REPLIES[done.outcome], reference=reference)


def _closed_or_gone(case: Case) -> Done:
    return Done(Outcome.WITHDRAWN if case.status == "withdrawn" else Outcome.CLOSED, case)
