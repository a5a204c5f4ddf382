"""How a code reaches people: a Telegram deep link and an SMS keyword.

The deep link carries only the code (8 characters, well inside Telegram's 64-character
``[A-Za-z0-9_-]`` start parameter), never anything about the educator or the person.
"""

from __future__ import annotations

from bot.settings import Settings

#: The SMS keyword is the same in every language; zu/af words also work (see __init__).
JOIN_WORD = "JOIN"


def telegram_link(settings: Settings, code: str | None = None) -> str | None:
    """``https://t.me/<bot>?start=<code>``, or the bare bot link; None without a bot name."""
    username = settings.telegram_bot_username.strip().lstrip("@")
    if not username:
        return None
    return f"https://t.me/{username}" + (f"?start={code}" if code else "")


def sms_keyword(code: str | None = None) -> str:
    return f"{JOIN_WORD} {code}" if code else JOIN_WORD


def sms_number(settings: Settings) -> str | None:
    """The number people text, as printed; None when no SMS number is configured."""
    return (settings.sms_number_display or settings.twilio_number).strip() or None


def sms_qr_payload(number: str, code: str) -> str:
    """A QR payload that opens the SMS app with JOIN <code> to ``number`` (the ``SMSTO:``
    form phone cameras understand), for posters of an SMS-only service."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return f"SMSTO:{digits}:{sms_keyword(code)}"
