"""The reply outbox: replies that must reach the person, kept until the provider took them.

A Telegram webhook answer carries one Bot API call; a turn with more replies (an urgent
message: the safety text, then the offer to tell someone) sends them through the Bot API.
If that fails for a while (Telegram answering 500, a network cut, our process restarting)
the replies must not just be dropped after a few tries: the safety text above all.

So each such reply is a ``pending_replies`` row (address and message Fernet-encrypted),
written before the first attempt:

1. a sender thread (``BackgroundReplies``) sends the rows of one turn in order, right after
   the webhook answered, holding them under a short lease; a row is deleted the moment
   Telegram accepts it. After a few quick tries it leaves the row due again with back-off;
2. ``deliver_due`` (a periodic job, run by the sweep every ``HAKI_SWEEP_SECONDS``) sends
   due rows, per person oldest first, and stops at a person's first failure so their
   replies never arrive out of order. Rows whose lease ran out (a process died while
   sending) are picked up the same way;
3. a reply that could not be delivered in ``MAX_AGE`` is dropped with a WARNING (by then it
   is out of date), as is one the provider refuses for good (the person blocked the bot);
4. DELETE drops the person's pending rows at once (an eraser, same transaction).

Without encryption keys nothing is written, and replies go as before: a few tries, in
memory only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from bot.identity import pseudonym
from bot.messages import Channel, OutboundMessage, ReplyOption
from bot.storage.base import utcnow
from bot.storage.models import PendingReply
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("haki.outbound")

#: The sender thread's hold on a new row: the sweep leaves it alone meanwhile.
LEASE = timedelta(minutes=2)
#: After this a reply is out of date (the person has moved on or given up): dropped.
MAX_AGE = timedelta(hours=24)
BATCH = 100


def backoff(attempts: int) -> timedelta:
    """5, 10, 20 ... seconds, at most five minutes between tries."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Pending:
    row_id: int
    address: str
    message: OutboundMessage


def _encode(message: OutboundMessage) -> str:
    return json.dumps({"text": message.text, "intent": message.intent,
                       "options": [[o.key, o.label] for o in message.options],
                       "ignore_opt_out": message.ignore_opt_out}, ensure_ascii=False)


def _decode(data: str) -> OutboundMessage:
    fields = json.loads(data)
    return OutboundMessage(text=fields["text"], intent=fields.get("intent"),
                           options=tuple(ReplyOption(k, v) for k, v in fields.get("options", [])),
                           ignore_opt_out=bool(fields.get("ignore_opt_out")))


class ReplyStore:
    """The ``pending_replies`` rows of one channel."""

    def __init__(self, services: Services, channel: Channel) -> None:
        self.services = services
        self.channel = channel

    @property
    def available(self) -> bool:
        return self.services.cipher.available

    def add(self, address: str, messages: Iterable[OutboundMessage]) -> list[Pending]:
        """Store the replies of one turn, held by the caller's lease; returns them in order."""
        cipher, now = self.services.cipher, utcnow()
        who = pseudonym(self.services.settings.secret_key, self.channel.value, address)
        messages = list(messages)
        rows = [PendingReply(channel=self.channel.value, pseudonym=who,
                             address_encrypted=cipher.encrypt(address),
                             message_encrypted=cipher.encrypt(_encode(message)),
                             attempts=0, next_attempt_at=now + LEASE, created_at=now,
                             last_error="") for message in messages]
        with self.services.db.session() as session:
            session.add_all(rows)
            session.flush()
            ids = [row.id for row in rows]
        return [Pending(row_id, address, message) for row_id, message in zip(ids, messages)]

    def delivered(self, row_id: int) -> None:
        with self.services.db.session() as session:
            session.execute(delete(PendingReply).where(PendingReply.id == row_id))

    def failed(self, row_ids: list[int], reason: str, *, permanent: bool,
               now: datetime | None = None) -> None:
        """The first row failed (and the later ones wait behind it): due again with back-off,
        or dropped when retrying cannot help."""
        if not row_ids:
            return
        now = now or utcnow()
        with self.services.db.session() as session:
            if permanent:
                session.execute(delete(PendingReply).where(PendingReply.id.in_(row_ids)))
                return
            first = session.get(PendingReply, row_ids[0])
            attempts = (first.attempts if first is not None else 0) + 1
            session.execute(update(PendingReply).where(PendingReply.id.in_(row_ids))
                            .values(next_attempt_at=now + backoff(attempts)))
            session.execute(update(PendingReply).where(PendingReply.id == row_ids[0])
                            .values(attempts=attempts, last_error=reason[:80]))

    def claim_due(self, now: datetime) -> list[list[Pending]]:
        """Due rows, one list per person in the order they were written, each put under a
        lease so that a second sweep running now skips them."""
        cipher = self.services.cipher
        with self.services.db.session() as session:
            expired = session.execute(delete(PendingReply).where(
                PendingReply.channel == self.channel.value,
                PendingReply.created_at < now - MAX_AGE))
            if getattr(expired, "rowcount", 0):
                log.warning("replies dropped undelivered after a day",
                            extra={"replies": expired.rowcount})  # type: ignore[attr-defined]
            rows = session.scalars(
                select(PendingReply).where(PendingReply.channel == self.channel.value,
                                           PendingReply.next_attempt_at <= now)
                .order_by(PendingReply.id).limit(BATCH).with_for_update(skip_locked=True)).all()
            # A person's later replies never overtake an earlier one that is not due yet.
            waiting = set(session.scalars(
                select(PendingReply.pseudonym).where(
                    PendingReply.channel == self.channel.value,
                    PendingReply.next_attempt_at > now,
                    PendingReply.pseudonym.in_({row.pseudonym for row in rows}))).all())
            groups: dict[str, list[Pending]] = {}
            for row in rows:
                if row.pseudonym in waiting:
                    continue
                groups.setdefault(row.pseudonym, []).append(Pending(
                    row.id, cipher.decrypt(row.address_encrypted),
                    _decode(cipher.decrypt(row.message_encrypted))))
            claimed = [p.row_id for group in groups.values() for p in group]
            if claimed:
                session.execute(update(PendingReply).where(PendingReply.id.in_(claimed))
                                .values(next_attempt_at=now + LEASE))
        return list(groups.values())

    def erase(self, turn: Turn) -> None:
        """DELETE: the person's undelivered replies go with everything else."""
        turn.session.execute(delete(PendingReply).where(
            PendingReply.pseudonym == turn.person.pseudonym))
