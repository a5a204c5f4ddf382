"""The escalation tests' world: real services talking to stand-in providers, and responders
and people who write to the bot like everyone else. (A module of its own, not conftest.py,
so tests can import it by a name no other folder's conftest shares.)"""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy import select

from bot.conversation import Conversation
from bot.escalation import escalation_of
from bot.escalation.models import PENDING, SENDING, Case, Notification, Responder
from bot.escalation.responders import add_responder
from bot.escalation.regions import all_region_ids
from bot.messages import Channel
from tests.conftest import Person

_numbers = itertools.count(100)


class Party(Person):
    """A person or a responder writing to the bot from one address."""

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)

    def option_number(self, key: str) -> str:
        """The number to type on SMS for the option ``key`` of the last menu."""
        menus = [reply for reply in self.last if reply.options]
        keys = [option.key for option in menus[-1].options]
        return str(keys.index(key) + 1)


class Escalations:
    """One test's world: services wired to stand-in Telegram and Twilio servers."""

    def __init__(self, services: Any, telegram_api: Any, twilio_api: Any) -> None:
        self.services = services
        self.telegram = telegram_api
        self.twilio = twilio_api
        self.conversation = Conversation(services)

    def person(self, channel: Channel = Channel.SMS, address: str | None = None) -> Party:
        if address is None:
            address = f"+2782{next(_numbers):07d}" if channel is Channel.SMS else str(500000 + next(_numbers))
        return Party(self.conversation, channel, address)

    def responder(self, *, kind: str = "paralegal", regions: list[str] | None = None,
                  channel: Channel = Channel.TELEGRAM, address: str | None = None,
                  on_duty: bool = True, name: str = "Responder") -> Party:
        if address is None:
            address = str(900000 + next(_numbers)) if channel is Channel.TELEGRAM else f"+2783{next(_numbers):07d}"
        with self.services.db.session() as session:
            add_responder(session, self.services.cipher, self.services.settings.secret_key,
                          name=name, organisation="Test NGO", kind=kind,
                          regions=regions or ["gauteng"], channel=channel.value, address=address,
                          on_duty=on_duty, known_regions=all_region_ids(self.services.settings.content_dir))
        return Party(self.conversation, channel, address)

    # --- observing ------------------------------------------------------------------------
    def case(self, reference: str | None = None) -> Case:
        with self.services.db.session() as session:
            query = select(Case).order_by(Case.id.desc())
            if reference:
                query = query.where(Case.reference == reference)
            found = session.scalars(query).first()
            assert found is not None, "no case"
            return found

    def notifications(self) -> list[Notification]:
        with self.services.db.session() as session:
            return list(session.scalars(select(Notification).order_by(Notification.id)).all())

    def responders(self) -> list[Responder]:
        with self.services.db.session() as session:
            return list(session.scalars(select(Responder).order_by(Responder.id)).all())

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until no notification is pending or being sent (the worker is threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = [n for n in self.notifications() if n.status in (PENDING, SENDING)]
            if not busy:
                return
            time.sleep(0.02)
        raise AssertionError(f"notifications still moving after {timeout}s: "
                             f"{[(n.kind, n.status, n.last_error) for n in busy]}")

    def telegram_texts(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.telegram.sent_messages() if str(m.get("chat_id")) == chat_id]

    def sms_texts(self, number: str) -> list[str]:
        return [m["Body"] for m in self.twilio.sent_messages() if m.get("To") == number]

    def queue(self) -> Any:
        return escalation_of(self.services).queue
