"""The one message type the core understands, in and out.

Channels (``webhooks/``, the console, the sandbox) turn whatever their provider sends into
an :class:`InboundMessage`, and turn each :class:`OutboundMessage` back into what their
provider expects. Nothing in ``bot/`` or ``nlu/`` ever sees a Telegram ``Update`` or a
Twilio form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum


class Channel(str, Enum):
    """Where a message came from; decides rendering (buttons or numbered lines)."""

    SMS = "sms"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    WEB = "web"


class InboundKind(str, Enum):
    TEXT = "text"  # a typed message
    BUTTON = "button"  # a press on an option we offered; ``payload`` is the option key
    START = "start"  # Telegram /start, or SMS JOIN; ``payload`` may hold a referral code
    MEDIA = "media"  # picture, voice note, sticker...: we cannot read it
    UNSUPPORTED = "unsupported"  # anything else a channel chose to pass on


@dataclass(frozen=True)
class InboundMessage:
    """One message from a person, already authenticated and normalised by its channel.

    ``address`` is the channel's own way to reach the person (E.164 number, chat id). The
    core never stores it: it is turned into a keyed pseudonym on arrival, and kept only in
    memory for as long as it takes to reply.
    """

    channel: Channel
    address: str
    text: str = ""
    kind: InboundKind = InboundKind.TEXT
    payload: str | None = None
    external_id: str | None = None  # provider's id (MessageSid, update_id) for de-duplication
    language_hint: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class ReplyOption:
    """A choice offered to the person. ``key`` comes back as a BUTTON payload, or is
    looked up from the number the person typed on SMS."""

    key: str
    label: str


@dataclass(frozen=True)
class OutboundMessage:
    """One reply. Channels decide how to show ``options`` (buttons or numbered lines)."""

    text: str
    options: tuple[ReplyOption, ...] = ()
    #: The intent the reply answers, for metrics and ``haki ask`` (never the person's text).
    intent: str | None = None
    #: Set on replies that must go out even if the person has opted out (the STOP receipt).
    ignore_opt_out: bool = False


@dataclass(frozen=True)
class DeliveryReport:
    """What a provider later says about a message we sent (Twilio's status callback).

    ``provider_id`` is the id the provider gave when it accepted the message (a Twilio
    MessageSid), the same one ``Sender.send`` returned. ``status`` is the provider's word,
    lower-case: ``delivered``, ``undelivered``, ``failed`` (final), or an intermediate one
    (``queued``, ``sent`` ...) that listeners may ignore. No address, no text.
    """

    channel: Channel
    provider_id: str
    status: str
    error_code: str = ""
    #: The channel judged the failure final for this address (landline, unknown number,
    #: opted out): sending the same again cannot succeed.
    permanent: bool = False

    @property
    def final_failure(self) -> bool:
        return self.status in ("undelivered", "failed")
