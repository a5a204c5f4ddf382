"""DELETE, continued at Twilio: the person's messages in the account's message log.

Twilio keeps every SMS to and from a number, bodies included, in the account's log (the
Message resource; research notes: "delete your own rows, then DELETE or redact the message
at Twilio"). For someone whose phone may be searched, or whose number is in a subpoenaed
account, "delete everything" has to reach that log too.

1. When a person on SMS confirms DELETE, the core runs the erasers in the same transaction
   as the deletion; ours leaves one ``provider_erasures`` row: the number as a Fernet
   token and the time to start, a few minutes later, so the DELETE confirmation we are
   about to send has left and is erased with the rest.
   Escalation's eraser adds a row per SMS notice it sent a responder about the person's
   cases (``message_id``): those bodies can quote the consented summary and call-back
   number, and they sit in the log under the responder's number, not the person's.
2. Every sweep (``registry.periodic_jobs``) takes due rows, lists the messages to and from
   the number and deletes each (``TwilioSmsSender.erase_log``), or deletes the one message
   (``erase_message``), then deletes the row.
   A message still being sent cannot be deleted yet (error 20009), and Twilio may be
   down: the row then waits with back-off and is tried again until it succeeds.

Telegram is not covered: the Bot API can delete a message only within 48 hours, and only
in the chat, which is the person's own device; DELETE there is about our database.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from bot.messages import Channel
from bot.storage.base import utcnow
from bot.storage.models import ProviderErasure
from bot.turn import Turn
from webhooks.delivery_error import DeliveryError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.storage.db import Database
    from webhooks.outbound import TwilioSmsSender

log = logging.getLogger("haki.erasure")

#: Wait this long after DELETE, so the last replies have been delivered (and are erased).
START_AFTER = timedelta(minutes=5)
#: A claimed row is left alone by other sweeps for this long.
LEASE = timedelta(minutes=10)
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most six hours: Twilio may be down for a while."""
    return timedelta(minutes=min(360, 2 ** max(0, attempts - 1)))


def register_local(services: Services) -> None:
    """DELETE on our own disk: after the erasing turn has committed, SQLite's write-ahead
    log is checkpointed and truncated (secure_delete is on, so the freed pages are zeros),
    otherwise the -wal file keeps the person's pseudonym and their encrypted contact and
    summary until some later checkpoint. Installed for every deployment by
    webhooks.outbound.register."""

    def checkpoint_after_commit(turn: Turn) -> None:
        database = turn.services.db
        if database.is_sqlite:
            turn.defer(lambda: _checkpoint(database))

    services.registry.erasers.append(checkpoint_after_commit)


def _checkpoint(database: Database) -> None:
    if not database.checkpoint():
        log.warning("checkpoint after erasure incomplete (a reader held the log); "
                    "the next one finishes it")


def register(services: Services, sender: TwilioSmsSender) -> None:
    """Installed by webhooks.outbound when Twilio credentials are configured."""

    def queue_erasure(turn: Turn) -> None:
        if turn.inbound.channel is not Channel.SMS:
            return
        turn.session.add(ProviderErasure(
            channel=Channel.SMS.value,
            address_encrypted=turn.services.cipher.encrypt(turn.inbound.address),
            not_before=utcnow() + START_AFTER, attempts=0, last_error=""))

    def erase_due(now: datetime) -> None:
        erase_at_twilio(services, sender, now)

    services.registry.erasers.append(queue_erasure)
    services.registry.periodic_jobs.append(erase_due)


def erase_at_twilio(services: Services, sender: TwilioSmsSender,
                    now: datetime | None = None) -> int:
    """Work through the due rows; returns how many numbers were fully erased."""
    now = now or utcnow()
    done = 0
    for row_id, token, message_id in _claim(services, now):
        try:
            if message_id:
                deleted = sender.erase_message(message_id)
            elif token:
                deleted = sender.erase_log(services.cipher.decrypt(token))
            else:
                deleted = 0
        except DeliveryError as error:
            with services.db.session() as session:
                row = session.get(ProviderErasure, row_id)
                if row is not None:
                    row.attempts += 1
                    row.last_error = error.reason[:80]
                    row.not_before = now + backoff(row.attempts)
            log.warning("provider erasure will be retried",
                        extra={"erasure": row_id, "reason": error.reason})
            continue
        with services.db.session() as session:
            session.execute(delete(ProviderErasure).where(ProviderErasure.id == row_id))
        log.info("provider log erased", extra={"erasure": row_id, "messages": deleted})
        done += 1
    return done


def _claim(services: Services, now: datetime) -> list[tuple[int, str | None, str | None]]:
    """Due rows, each pushed out by a lease so a second sweep running now skips them."""
    with services.db.session() as session:
        rows = session.execute(
            select(ProviderErasure.id, ProviderErasure.address_encrypted,
                   ProviderErasure.message_id)
            .where(ProviderErasure.not_before <= now).order_by(ProviderErasure.id)
            .limit(BATCH).with_for_update(skip_locked=True)).all()
        if rows:
            session.execute(update(ProviderErasure)
                            .where(ProviderErasure.id.in_([row.id for row in rows]))
                            .values(not_before=now + LEASE))
    return [(row.id, row.address_encrypted, row.message_id) for row in rows]
