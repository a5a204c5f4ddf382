"""The responder's side: ``ACK K7-3QF``, ``DONE K7-3QF <note>`` and the Telegram buttons.

Responders write to the same bot as everyone else. We recognise them by the pseudonym of
their channel address (the same keyed HMAC that identifies a person), so nothing extra is
stored to know who is writing. Only the responder a case is assigned to can act on it;
anyone else who types ACK or DONE is simply read as an ordinary message, which says
nothing about any case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.actions import Replies
from bot.escalation import cases
from bot.escalation.cases import Outcome
from bot.escalation.notices import RESPONDER_LANGUAGE, callback_line
from bot.escalation.responders import responder_for_pseudonym
from bot.identity import log_tag
from bot.messages import Channel, OutboundMessage
from bot.storage.base import utcnow
from bot.storage.models import ProviderErasure
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.escalation import Escalation

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

    def ack(self, turn: Turn, argument: str) -> Replies | None:
        return self._typed(turn, "ack", argument)

    def done(self, turn: Turn, argument: str) -> Replies | None:
        return self._typed(turn, "done", argument)

    def _typed(self, turn: Turn, verb: str, argument: str) -> Replies | None:
        """A typed ACK/DONE. From anyone who is not a responder it is an ordinary message
        ("done", "ack lol"), so we decline and the NLU reads it; they learn nothing either way."""
        if responder_for_pseudonym(turn.session, turn.inbound.channel.value,
                                   turn.person.pseudonym) is None:
            return None
        return self._act(turn, verb, argument)

    def button(self, turn: Turn, argument: str) -> Replies | None:
        """``esc:ack:K7-3QF`` / ``esc:done:K7-3QF`` from a Telegram button; None if the
        option is not a responder's (the person's flow handles those)."""
        verb, _, reference = argument.partition(":")
        if verb not in ("ack", "done"):
            return None
        return self._act(turn, verb, reference)

    def _say(self, turn: Turn, key: str, **params: str) -> Replies:
        text = turn.content.text(key, RESPONDER_LANGUAGE, turn.jurisdiction, **params)
        return [OutboundMessage(text=text, intent="escalation")]

    def _act(self, turn: Turn, verb: str, argument: str) -> Replies:
        turn.notes["intent"] = "escalation"
        turn.person.welcomed = True  # a responder needs no welcome after this
        responder = responder_for_pseudonym(turn.session, turn.inbound.channel.value,
                                            turn.person.pseudonym)
        if responder is None:
            return self._say(turn, "esc_resp_not_responder")
        first, _, note = argument.strip().partition(" ")
        reference = cases.normalise_reference(first)
        if reference is None:
            return self._say(turn, "esc_resp_usage")
        case = cases.find_case(turn.session, reference, for_update=True)
        if case is None or case.responder_id != responder.id:
            # One answer for "no such case" and "not yours": a registered responder must
            # not learn which references exist (or whether a case was closed or withdrawn).
            return self._say(turn, "esc_resp_not_yours", reference=reference)
        now = utcnow()
        if verb == "ack":
            outcome, notifications = cases.acknowledge(turn.session, case, responder, now)
        else:
            outcome, notifications = cases.close(turn.session, turn.services.cipher, case,
                                                 responder, note, now)
        self.escalation.enqueue_after_commit(turn, notifications)
        self.escalation.log.info("responder action", extra={
            "responder": log_tag(responder.pseudonym), "case": reference, "event": verb,
            "state": outcome.value})
        if turn.inbound.channel is Channel.SMS:
            _erase_at_provider_soon(turn)
        if outcome is Outcome.DONE:
            if verb == "ack":
                # On SMS this reply goes out as TwiML, whose message id we never learn, so
                # it could never be erased at Twilio: it must not quote the person's number
                # (the notice, sent through the API and erased with the case, has it).
                callback = ("" if turn.inbound.channel is Channel.SMS
                            else callback_line(turn.services, case))
                return self._say(turn, "esc_resp_ack_ok", reference=reference,
                                 callback=callback)
            return self._say(turn, "esc_resp_done_ok", reference=reference)
        if outcome is Outcome.ALREADY and case.responder_id == responder.id:
            return self._say(turn, "esc_resp_ack_again", reference=reference)
        return self._say(turn, _REPLIES[outcome], reference=reference)
