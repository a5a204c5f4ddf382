"""STATS: a registered peer educator texts STATS (or IZIBALO, STATISTIEK) by SMS, or sends
it on Telegram, and gets last month's reach of their own codes.

Only numbers and chats registered for an educator (``haki peers contact``) get an answer;
from anyone else the word goes on to the normal conversation, so the feature is invisible.
The figures are exactly the published ones (bot/peers/stats.py, hidden where small): one
line per code, never a sum over codes, which would be a new figure nobody protected.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.actions import Replies
from bot.figures.report import last_complete_month
from bot.identity import pseudonym
from bot.messages import OutboundMessage
from bot.peers.models import EducatorContact, PeerEducator, ReferralCode
from bot.peers.stats import reach_stats, show
from bot.turn import Turn

STATS_WORDS = ("STATS", "/STATS", "IZIBALO", "STATISTIEK")
#: Lines per reply: an SMS answer stays within two segments.
MAX_CODES = 3
CHANNELS = ("sms", "telegram")


def register_contact(session: Session, secret_key: str, educator_id: int, channel: str,
                     address: str) -> EducatorContact:
    """Let ``address`` on ``channel`` ask for the educator's STATS (stored as a pseudonym)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    if session.get(PeerEducator, educator_id) is None:
        raise ValueError(f"no educator with id {educator_id}")
    if not address.strip():
        raise ValueError("give the number (+27...) or the Telegram chat id")
    key = pseudonym(secret_key, channel, address)
    row = session.get(EducatorContact, key)
    if row is None:
        row = EducatorContact(pseudonym=key, educator_id=educator_id, channel=channel)
        session.add(row)
    else:
        row.educator_id = educator_id
    session.flush()
    return row


def stats_hook(turn: Turn) -> Replies | None:
    """A text hook: answers STATS from a registered educator, lets anything else through."""
    if turn.clean_text.strip(" .!?").upper() not in STATS_WORDS:
        return None
    contact = turn.session.get(EducatorContact, turn.person.pseudonym)
    if contact is None:
        return None
    turn.notes["intent"] = "peer_stats"
    codes = list(turn.session.scalars(select(ReferralCode.code)
                                      .where(ReferralCode.educator_id == contact.educator_id)
                                      .order_by(ReferralCode.revoked_at.is_not(None),
                                                ReferralCode.created_at)))
    when = turn.inbound.received_at
    month = last_complete_month(when)
    records = reach_stats(turn.session, by="code", first_month=month, last_month=month,
                          codes=codes, now=when)
    if not records:
        return [OutboundMessage(text=turn.text("peers_stats_none", month=month), intent="peer_stats")]
    by_code = {str(record["code"]): record for record in records}
    lines = [turn.text("peers_stats_header", month=month)]
    for code in [c for c in codes if c in by_code][:MAX_CODES]:
        record = by_code[code]
        lines.append(turn.text("peers_stats_line", code=code, new=show(record["new_people"]),
                               returning=show(record["returning_people"]),
                               escalations=show(record["escalations"])))
    return [OutboundMessage(text="\n".join(lines), intent="peer_stats")]
