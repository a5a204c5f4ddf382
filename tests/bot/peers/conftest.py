"""Fixtures for the peers tests: services with a bot name and SMS number, educators, people."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import pytest

from bot.conversation import Conversation
from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.peers.registry import add_educator

PEER_SETTINGS = {
    "telegram_bot_username": "HakiTestBot",
    "twilio_number": "+27820000000",
    "sms_number_display": "31555",
}


class Visitor:
    """Someone writing to the service; keeps the last replies."""

    def __init__(self, conversation: Conversation, channel: Channel, address: str) -> None:
        self.conversation, self.channel, self.address = conversation, channel, address
        self.last: list[OutboundMessage] = []

    def says(self, text: str, *, at: datetime | None = None, **fields: object) -> list[OutboundMessage]:
        if at is not None:
            fields["received_at"] = at
        message = InboundMessage(channel=self.channel, address=self.address, text=text,
                                 external_id=secrets.token_hex(8), **fields)  # type: ignore[arg-type]
        self.last = self.conversation.handle(message)
        return self.last

    def starts(self, payload: str | None = None, *, at: datetime | None = None) -> list[OutboundMessage]:
        return self.says("", kind=InboundKind.START, payload=payload, at=at)

    def presses(self, key: str, *, at: datetime | None = None) -> list[OutboundMessage]:
        return self.says("", kind=InboundKind.BUTTON, payload=key, at=at)

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)

    @property
    def option_keys(self) -> list[str]:
        return [option.key for reply in self.last for option in reply.options]


@pytest.fixture
def peer_services(services_for, sqlite_url):  # type: ignore[no-untyped-def]
    return services_for(sqlite_url, **PEER_SETTINGS)


def make_visitors(services) -> Callable[..., Visitor]:  # type: ignore[no-untyped-def]
    conversation = Conversation(services)
    counter = iter(range(100_000))

    def make(channel: Channel = Channel.SMS) -> Visitor:
        number = next(counter)
        address = f"+2783{number:07d}" if channel is Channel.SMS else str(7_000_000 + number)
        return Visitor(conversation, channel, address)

    return make


@pytest.fixture
def visitor(peer_services) -> Callable[..., Visitor]:  # type: ignore[no-untyped-def]
    return make_visitors(peer_services)


def new_educator(services, *, organisation: str = "Sisonke", region: str = "gauteng",  # type: ignore[no-untyped-def]
                 language: str = "zu", name: str = "Thandi") -> str:
    """Register an educator; returns their first code."""
    with services.db.session() as session:
        _, code = add_educator(session, services.cipher, name=name, organisation=organisation,
                               region=region, language=language,
                               languages=services.settings.language_codes)
        return code.code


@pytest.fixture
def code(peer_services) -> str:  # type: ignore[no-untyped-def]
    return new_educator(peer_services)


@pytest.fixture
def another_code(peer_services) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """Register one more educator on the peer services: ``another_code(organisation=...)``."""
    return lambda **fields: new_educator(peer_services, **fields)


@pytest.fixture
def educator_on() -> Callable[..., str]:
    """Register an educator on any services: ``educator_on(services, organisation=...)``."""
    return new_educator


@pytest.fixture
def visitors_for() -> Callable[..., Callable[..., Visitor]]:
    """People talking to any services: ``visitors_for(services)(Channel.SMS)``."""
    return make_visitors


@pytest.fixture
def peer_services_on(services_for):  # type: ignore[no-untyped-def]
    """Peer services on a given database URL (for tests that run on SQLite and PostgreSQL)."""
    return lambda database_url: services_for(database_url, **PEER_SETTINGS)
