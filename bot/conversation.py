"""The one entry point: an InboundMessage in, the replies out.

Order of business for each message (first match wins):
1. a duplicate delivery (same provider id) is answered with nothing;
2. pictures and voice notes get a "please type" reply;
3. an opted-out person is answered only for START and DELETE;
4. a pending step (delete confirmation, escalation consent ...) gets the first look;
5. a button press or a number typed after a menu runs that option;
6. a command word (MENU, LANG, STOP, DELETE ... in any supported language);
7. otherwise the NLU picks an intent; urgent parses get safety information first.
A person writing for the first time also gets the welcome with the privacy notice.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import choices
from bot.actions import Registry, Replies
from bot.identity import keyed_hash, log_tag, pseudonym
from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.services import Services
from bot.storage.base import utcnow
from bot.storage.db import StorageUnavailable, is_outage
from bot.storage.models import InboundReceipt, Person
from bot.turn import Turn

log = logging.getLogger("haki.conversation")

#: The NLU never needs more than this; longer messages are cut (Twilio's cap is 1600).
MAX_TEXT_FOR_NLU = 2000
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
#: Only when even the content library fails: plain, GSM-7, and still points to help.
LAST_RESORT_REPLY = "Sorry, Haki could not answer just now. Please try again later. Danger now? Call 10111."
#: A typed reply this short may name a menu option; longer ones are read as messages.
SHORT_REPLY_WORDS = 4
_NUMBER_REPLY = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


def clean_text(text: str) -> str:
    """Normalise for matching only: NFKC, no zero-width or control characters, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_TEXT_FOR_NLU]


@dataclass(frozen=True)
class TurnResult:
    replies: list[OutboundMessage]
    intent: str | None
    confidence: float
    urgent: bool
    language: str
    duplicate: bool = False


class Conversation:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.registry: Registry = services.registry

    # --- public --------------------------------------------------------------------------
    def handle(self, inbound: InboundMessage) -> list[OutboundMessage]:
        return self.handle_turn(inbound).replies

    def handle_turn(self, inbound: InboundMessage, *, dry_run: bool = False,
                    assume_welcomed: bool = False) -> TurnResult:
        """Handle one message. ``dry_run`` rolls everything back (used by `haki ask`)."""
        started = time.perf_counter()
        who = pseudonym(self.services.settings.secret_key, inbound.channel.value, inbound.address)
        outcome = self._attempt(inbound, who, dry_run, assume_welcomed)
        if outcome is None:
            # Lost a race that was not a duplicate (two first messages creating the same
            # person at once): the other turn has committed, so this one can now succeed.
            outcome = self._attempt(inbound, who, dry_run, assume_welcomed)
        if outcome is None:
            return self._apology(who, inbound, RuntimeError("turn conflicted twice"))
        if isinstance(outcome, TurnResult):
            return outcome
        turn, replies = outcome
        for callback in turn.after_commit:
            callback()
        parse = turn.parse
        intent = turn.notes.get("intent") or (parse.intent if parse else None)
        log.info(
            "turn",
            extra={
                "person": log_tag(who),
                "channel": inbound.channel.value,
                "intent": intent,
                "urgent": bool(turn.notes.get("urgent")),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        self.services.metrics.turn(inbound.channel.value, intent, parse)
        return TurnResult(
            replies=replies,
            intent=intent,
            confidence=float(turn.notes.get("confidence", parse.confidence if parse else 1.0)),
            urgent=bool(turn.notes.get("urgent")),
            language=turn.language,
        )

    def _attempt(self, inbound: InboundMessage, who: str, dry_run: bool,
                 assume_welcomed: bool) -> tuple[Turn, Replies] | TurnResult | None:
        """One try at a turn in one transaction: the turn and its replies when it committed,
        a finished result (duplicate, apology), or None when a unique constraint said no
        for a reason other than a duplicate delivery."""
        session = self.services.db.new_session()
        # Writes wait for the commit. On SQLite the write lock is then held for a moment,
        # not for the whole turn (NLU included), so concurrent webhooks do not queue behind
        # each other. Code that needs an id mid-turn calls session.flush() itself.
        session.autoflush = False
        try:
            if inbound.external_id:
                # No look-up first: the unique receipt decides at commit. A redelivery is
                # rare, so it is cheaper to run its turn and throw it away (IntegrityError
                # below) than to pay a SELECT on every message.
                session.add(InboundReceipt(channel=inbound.channel.value,
                                           external_hash=self._receipt_hash(inbound)))
            person = self._load_person(session, who, inbound, assume_welcomed)
            turn = Turn(inbound=inbound, person=person, session=session, services=self.services,
                        clean_text=clean_text(inbound.text), dry_run=dry_run)
            replies = [r for r in self._route(turn) if r.text.strip()]
            for observer in self.registry.turn_observers:
                observer(turn)
            if not turn.notes.get("erased"):
                person.last_seen = utcnow()
                if person.blocked:
                    person.blocked = False  # they wrote to us, so they unblocked us
            if dry_run:
                session.rollback()
            else:
                self.services.db.commit(session)
            return turn, replies
        except IntegrityError:
            session.rollback()
            if inbound.external_id:
                with self.services.db.session() as fresh:
                    if self._already_handled(fresh, inbound.channel, self._receipt_hash(inbound)):
                        return self._duplicate(inbound)  # the twin delivery won the race
            return None
        except Exception as error:  # noqa: BLE001 - a provider retries a 500 forever
            try:
                session.rollback()
            except Exception:  # noqa: BLE001, S110 - the connection is gone; nothing to undo
                pass
            if is_outage(error):
                # Not a bug: nothing was saved, so the channel asks for the message again.
                raise StorageUnavailable(type(error).__name__) from None
            return self._apology(who, inbound, error)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _duplicate(self, inbound: InboundMessage) -> TurnResult:
        log.info("duplicate delivery ignored", extra={"channel": inbound.channel.value})
        return TurnResult([], None, 0.0, False, self.services.settings.default_language,
                          duplicate=True)

    def _apology(self, who: str, inbound: InboundMessage, error: Exception) -> TurnResult:
        """A bug must not become a webhook retry storm: say sorry, log where, not what."""
        frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        log.error("turn failed", extra={
            "person": log_tag(who), "channel": inbound.channel.value,
            "error": type(error).__name__,
            "where": f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "?",
        })
        language = self.services.settings.default_language
        try:
            text = self.services.content.text("not_understood", language)
        except Exception:  # noqa: BLE001 - content itself is broken; still answer
            text = LAST_RESORT_REPLY
        return TurnResult([OutboundMessage(text=text, intent="out_of_scope")], "out_of_scope",
                          0.0, False, language)

    # --- storage -------------------------------------------------------------------------
    def _receipt_hash(self, inbound: InboundMessage) -> str:
        return keyed_hash(self.services.settings.secret_key, "inbound", inbound.external_id or "")

    @staticmethod
    def _already_handled(session: Session, channel: Channel, receipt_hash: str) -> bool:
        """Whether a delivery of this provider message id has already been answered."""
        return session.scalar(
            select(InboundReceipt.id).where(InboundReceipt.channel == channel.value,
                                            InboundReceipt.external_hash == receipt_hash)
        ) is not None

    def _load_person(self, session: Session, who: str, inbound: InboundMessage,
                     assume_welcomed: bool) -> Person:
        person = session.get(Person, who)
        if person is None:
            settings = self.services.settings
            person = Person(
                pseudonym=who, channel=inbound.channel.value,
                language=inbound.language_hint if inbound.language_hint in settings.language_codes else None,
                language_chosen=bool(inbound.language_hint and assume_welcomed),
                jurisdiction=settings.jurisdiction, welcomed=assume_welcomed,
                opted_out=False, blocked=False, pending_step=None, pending_data={}, menu=[], consents={},
            )
            session.add(person)
        return person

    # --- routing -------------------------------------------------------------------------
    def _route(self, turn: Turn) -> Replies:
        from bot import core_handlers as core

        inbound, person = turn.inbound, turn.person
        first_contact = not person.welcomed

        if inbound.kind is InboundKind.MEDIA or inbound.kind is InboundKind.UNSUPPORTED:
            if person.opted_out:
                return []
            return core.with_welcome(turn, core.media_reply(turn), first_contact)

        if inbound.kind is InboundKind.START:
            return core.start(turn, inbound.payload)

        option_key = self._picked_option(turn)
        command = None if option_key else core.match_command(turn)

        if person.opted_out:
            if command and self.registry.commands[command[0]].allowed_when_opted_out:
                return self.registry.commands[command[0]].handler(turn, command[1]) or []
            if person.pending_step == "confirm_delete":
                return core.run_step(turn, option_key) or []
            return []  # they asked us to stop; silence is the respectful answer

        if person.pending_step:
            replies = core.run_step(turn, option_key)
            if replies is not None:
                return replies

        if option_key:
            return core.with_welcome(turn, core.run_option(turn, option_key), first_contact)
        if inbound.kind is InboundKind.BUTTON:
            # A button from an old message whose menu we no longer hold.
            return core.main_menu(turn)
        if command:
            name, argument = command
            handled = self.registry.commands[name].handler(turn, argument)
            if handled is not None:  # None: "not for me", e.g. DONE from someone not a responder
                return core.with_welcome(turn, handled, first_contact)
        if not turn.clean_text:
            return core.with_welcome(turn, core.empty_reply(turn), first_contact)
        if not any(ch.isalnum() for ch in turn.clean_text):
            # "😢😢", "?": not empty, just no words. A short answer and the menu.
            if first_contact:
                return core.with_welcome(turn, core.main_menu(turn), first_contact)
            return core.acknowledge(turn)
        for hook in self.registry.text_hooks:
            hooked = hook(turn)
            if hooked is not None:
                return core.with_welcome(turn, hooked, first_contact)
        return core.answer_text(turn, first_contact)

    def _picked_option(self, turn: Turn) -> str | None:
        inbound = turn.inbound
        if inbound.kind is InboundKind.BUTTON:
            key = inbound.payload or ""
            return key if key.split(":", 1)[0] in self.registry.actions else None
        match = _NUMBER_REPLY.match(turn.clean_text)
        if match and turn.person.menu:
            index = int(match.group(1)) - 1
            if 0 <= index < len(turn.person.menu):
                return turn.person.menu[index]
            return None
        if turn.person.menu and self._short_reply(turn) and choices.situation(turn) is None:
            # A word for an option ("kzn", "the paralegal", "afrikaans"). Only short
            # replies, and never one that describes danger ("raped", "sick", "my phone"):
            # those go to the NLU and its safety texts.
            return choices.match_option(turn, turn.person.menu)
        return None

    @staticmethod
    def _short_reply(turn: Turn) -> bool:
        return 0 < len(choices.words_of(turn.clean_text)) <= SHORT_REPLY_WORDS
