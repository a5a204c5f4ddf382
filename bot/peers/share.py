"""SHARE: a short message a person can forward to a friend, and its main-menu item.

The forwarded message carries the service's plain link and the JOIN keyword, never a
referral code: nothing in it says who forwarded it or how they found the service, and its
wording is neutral in case someone else reads the friend's phone.
"""

from __future__ import annotations

from typing import Protocol

from bot import core_handlers as core
from bot.actions import Replies
from bot.messages import OutboundMessage, ReplyOption
from bot.peers import links
from bot.settings import Settings
from bot.turn import Turn

SHARE_OPTION_KEY = "cmd:share"


class TextLookup(Protocol):
    """``turn.text`` or a bound ``content.text``: a system text by key, with parameters."""

    def __call__(self, key: str, **params: str) -> str: ...


def share_text(turn: Turn) -> str:
    return compose_share(turn.services.settings, turn.text)


def compose_share(settings: Settings, text: TextLookup) -> str:
    """The forwardable message: one neutral line, then how to reach the service."""
    lines = [text("peers_share_message")]
    link = links.telegram_link(settings)
    if link:
        lines.append(text("peers_share_telegram", link=link))
    number = links.sms_number(settings)
    if number:
        lines.append(text("peers_share_sms", keyword=links.sms_keyword(), number=number))
    return "\n".join(lines)


def cmd_share(turn: Turn, argument: str) -> Replies:
    turn.notes["intent"] = "share"
    intro = turn.offer(turn.text("peers_share_intro"), [core.menu_option(turn)], intent="share")
    return [intro, OutboundMessage(text=share_text(turn), intent="share")]


def menu_item(turn: Turn) -> list[ReplyOption]:
    return [turn.option(SHARE_OPTION_KEY, "peers_share_option")]
