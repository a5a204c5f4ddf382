"""The responder registry: add, list, disable, enable, put on or off duty, recognise.

A responder writes to the same bot as everyone else (ACK/DONE by SMS, buttons on
Telegram). We recognise them by the keyed pseudonym of their channel address, exactly as
we recognise a person, and keep the address itself only as a Fernet token, because we
must be able to send to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation.models import RESPONDER_KINDS, Responder, ResponderLinkCode
from bot.escalation.regions import ALL
from bot.identity import pseudonym
from bot.messages import Channel
from bot.storage.crypto import Cipher

RESPONDER_CHANNELS = (Channel.TELEGRAM.value, Channel.SMS.value)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CHAT_ID = re.compile(r"^-?\d{1,20}$")


class ResponderError(ValueError):
    """A responder's details are invalid; the message says which and why."""


@dataclass(frozen=True)
class ResponderView:
    """What `haki responders list` shows: never the full address."""

    id: int
    name: str
    organisation: str
    kind: str
    regions: tuple[str, ...]
    channel: str
    masked_address: str
    on_duty: bool
    active: bool


def normalise_address(channel: str, address: str) -> str:
    address = address.strip().replace(" ", "")
    if channel == Channel.SMS.value:
        if not _E164.match(address):
            raise ResponderError("an SMS address is an E.164 number like +27821234567")
    elif channel == Channel.TELEGRAM.value:
        if not _CHAT_ID.match(address):
            raise ResponderError("a Telegram address is the numeric chat id (e.g. 123456789)")
    else:
        raise ResponderError(f"channel must be one of {', '.join(RESPONDER_CHANNELS)}")
    return address


def mask(address: str) -> str:
    """Enough to tell two responders apart, too little to contact or identify them."""
    if len(address) <= 4:
        return "*" * len(address)
    return address[:3] + "*" * (len(address) - 5) + address[-2:]


def add_responder(session: Session, cipher: Cipher, secret_key: str, *, name: str,
                  organisation: str, kind: str, regions: list[str], channel: str,
                  address: str, on_duty: bool, known_regions: set[str],
                  jurisdiction: str = "za") -> Responder:
    if kind not in RESPONDER_KINDS:
        raise ResponderError(f"kind must be one of {', '.join(RESPONDER_KINDS)}")
    if not name.strip():
        raise ResponderError("a responder needs a name")
    cleaned = [r.strip().lower() for r in regions if r.strip()]
    if not cleaned:
        raise ResponderError(f"give at least one region (or '{ALL}')")
    unknown = [r for r in cleaned if r != ALL and r not in known_regions]
    if unknown:
        raise ResponderError(f"unknown region(s) {', '.join(unknown)}; "
                             f"use {', '.join(sorted(known_regions))} or {ALL}")
    address = normalise_address(channel, address)
    who = pseudonym(secret_key, channel, address)
    existing = session.scalar(select(Responder).where(Responder.channel == channel,
                                                      Responder.pseudonym == who))
    if existing is not None:
        raise ResponderError(f"that address is already responder #{existing.id}")
    responder = Responder(name=name.strip(), organisation=organisation.strip(), kind=kind,
                          regions=cleaned, channel=channel,
                          address_encrypted=cipher.encrypt(address), pseudonym=who,
                          on_duty=on_duty, active=True)
    session.add(responder)
    _known_to_the_bot(session, channel, who, jurisdiction)
    session.flush()
    return responder


def _known_to_the_bot(session: Session, channel: str, who: str, jurisdiction: str) -> None:
    """A responder's first ACK should not get the welcome meant for people in trouble, so
    their conversation row exists from the start, welcomed, in English."""
    from bot.storage.models import Person

    person = session.get(Person, who)
    if person is None:
        session.add(Person(pseudonym=who, channel=channel, language="en", language_chosen=True,
                           jurisdiction=jurisdiction, welcomed=True, opted_out=False, pending_step=None,
                           pending_data={}, menu=[], consents={}))
    else:
        person.welcomed = True


def view(responder: Responder, cipher: Cipher) -> ResponderView:
    try:
        masked = mask(cipher.decrypt(responder.address_encrypted))
    except Exception:  # noqa: BLE001 - a lost key must not stop the listing
        masked = "(undecryptable)"
    return ResponderView(responder.id, responder.name, responder.organisation, responder.kind,
                         tuple(responder.regions or ()), responder.channel, masked,
                         responder.on_duty, responder.active)


def list_responders(session: Session) -> list[Responder]:
    return list(session.scalars(select(Responder).order_by(Responder.id)).all())


def get_responder(session: Session, responder_id: int) -> Responder:
    responder = session.get(Responder, responder_id)
    if responder is None:
        raise ResponderError(f"no responder #{responder_id}")
    return responder


def responder_for_address(session: Session, secret_key: str, channel: str,
                          address: str) -> Responder | None:
    """The active responder writing from this address, if it is one."""
    who = pseudonym(secret_key, channel, address)
    return session.scalar(select(Responder).where(Responder.channel == channel,
                                                  Responder.pseudonym == who,
                                                  Responder.active.is_(True)))


def responder_for_pseudonym(session: Session, channel: str, who: str) -> Responder | None:
    return session.scalar(select(Responder).where(Responder.channel == channel,
                                                  Responder.pseudonym == who,
                                                  Responder.active.is_(True)))


# --- linking a Telegram chat with a one-time code ---------------------------------------------
LINK_CODE_DIGITS = 8
LINK_CODE_HOURS = 48
UNLINKED_PREFIX = "unlinked-"


def add_unlinked_responder(session: Session, *, name: str, organisation: str, kind: str,
                           regions: list[str], on_duty: bool, known_regions: set[str],
                           now: datetime) -> tuple[Responder, str]:
    """A Telegram responder without a chat yet: inactive until they send ``LINK <code>``.
    Returns the responder and the code (shown once; only its hash is kept)."""
    import secrets as _secrets

    if kind not in RESPONDER_KINDS:
        raise ResponderError(f"kind must be one of {', '.join(RESPONDER_KINDS)}")
    cleaned = [r.strip().lower() for r in regions if r.strip()]
    unknown = [r for r in cleaned if r != ALL and r not in known_regions]
    if not cleaned or unknown:
        raise ResponderError(f"give known regions (or '{ALL}')")
    responder = Responder(name=name.strip(), organisation=organisation.strip(), kind=kind,
                          regions=cleaned, channel=Channel.TELEGRAM.value, address_encrypted="",
                          pseudonym=UNLINKED_PREFIX + _secrets.token_hex(16), on_duty=on_duty,
                          active=False)
    session.add(responder)
    session.flush()
    return responder, new_link_code(session, responder.id, now)


def new_link_code(session: Session, responder_id: int, now: datetime) -> str:
    import secrets as _secrets

    code = "".join(_secrets.choice("0123456789") for _ in range(LINK_CODE_DIGITS))
    session.add(ResponderLinkCode(code_hash=_code_hash(code), responder_id=responder_id,
                                  expires_at=now + timedelta(hours=LINK_CODE_HOURS)))
    return code


def link_chat(session: Session, cipher: Cipher, secret_key: str, channel: str, address: str,
              code: str, now: datetime) -> bool:
    """Bind the chat that sent a valid code to its responder, and spend the code."""
    found = session.scalar(select(ResponderLinkCode).where(ResponderLinkCode.code_hash == _code_hash(code)))
    if found is None or found.expires_at <= now:
        return False
    responder = session.get(Responder, found.responder_id)
    session.delete(found)
    if responder is None:
        return False
    who = pseudonym(secret_key, channel, address)
    taken = session.scalar(select(Responder.id).where(Responder.channel == channel,
                                                      Responder.pseudonym == who,
                                                      Responder.id != responder.id))
    if taken is not None:
        return False
    responder.channel = channel
    responder.pseudonym = who
    responder.address_encrypted = cipher.encrypt(address)
    responder.active = True
    return True


def _code_hash(code: str) -> str:
    import hashlib

    return hashlib.sha256(code.encode()).hexdigest()
