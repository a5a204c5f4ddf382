"""How a referral code starts a conversation: Telegram /start, SMS JOIN, or the code alone.

Every path ends the same way: a live code on a first contact attributes the person to the
code and starts them in the educator's region and language; anything else (unknown,
revoked, malformed, overlong, a person we already know) is a normal start, with no error
shown and nothing attributed.
"""

from __future__ import annotations

from bot import core_handlers as core
from bot.actions import Replies
from bot.messages import InboundKind
from bot.peers import codes
from bot.peers.reach import attribute
from bot.peers.registry import active_code
from bot.turn import Turn


def apply_code(turn: Turn, text: str | None) -> bool:
    """True when ``text`` is a live code (whether or not this person is new)."""
    code = active_code(turn.session, text)
    if code is None:
        return False
    person = turn.person
    # Only a first contact is attributed; someone we know keeps their settings.
    if not person.welcomed and attribute(turn, code):
        person.region = code.region
        if not person.language_chosen and code.language in turn.services.settings.language_codes:
            person.language = code.language
    return True


def start_hook(turn: Turn, payload: str | None) -> Replies | None:
    """Telegram /start <payload>: apply the code, then let the core show welcome + menu."""
    if payload and codes.valid_telegram_payload(payload):
        apply_code(turn, payload)
    return None


def cmd_join(turn: Turn, argument: str) -> Replies:
    """``JOIN <code>`` (or JOIN alone) by SMS: the same as Telegram's /start <code>."""
    was_opted_out = turn.person.opted_out
    turn.person.opted_out = False
    turn.clear_step()
    words = argument.split()
    if words:
        apply_code(turn, words[0])
    turn.notes["intent"] = "greet"
    return core.main_menu(turn, prefix=turn.text("start_confirmed") if was_opted_out else "")


def code_alone(turn: Turn) -> Replies | None:
    """A typed message that is exactly a live code; anything else goes on to the NLU."""
    if turn.inbound.kind is not InboundKind.TEXT or codes.normalise(turn.clean_text) is None:
        return None
    if not apply_code(turn, turn.clean_text):
        return None
    turn.notes["intent"] = "greet"
    return core.main_menu(turn)
