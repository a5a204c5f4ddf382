"""Referral codes: their shape, how they are made, and how typed input is read.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), with at least
one digit and one letter. The digit is what keeps "the code alone" from swallowing ordinary words: no word
in any of our languages is 8 letters with a digit in it, so a message is only treated as a
code when it has that shape *and* names an active code. 31^8 ≈ 8.5e11 possibilities make
guessing a live code hopeless, and the code says nothing about the educator who holds it.
"""

from __future__ import annotations

import re
import secrets

#: Upper-case letters and digits minus 0, O, 1, I, L (read aloud or hand-copied safely).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DIGITS = frozenset("23456789")
LETTERS = frozenset(ALPHABET) - DIGITS
CODE_LENGTH = 8
#: What Telegram allows in a /start payload (https://core.telegram.org/bots/features#deep-linking).
TELEGRAM_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CODE_SHAPE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    """A fresh random code (the caller checks it is not already taken)."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if _mixed(code):
            return code


def normalise(text: str | None) -> str | None:
    """The code ``text`` stands for, or None if it does not have a code's shape.

    Case does not matter (people type what they see on a poster in any case); anything
    else that is not exactly a code, including a Telegram payload with extra characters,
    is not a code.
    """
    if not text:
        return None
    candidate = text.strip().upper()
    if not _CODE_SHAPE.match(candidate) or not _mixed(candidate):
        return None
    return candidate


def _mixed(code: str) -> bool:
    """A digit keeps words out; a letter keeps out numbers (a PIN, part of a phone number)."""
    return any(ch in DIGITS for ch in code) and any(ch in LETTERS for ch in code)


def valid_telegram_payload(payload: str) -> bool:
    return bool(TELEGRAM_PAYLOAD.match(payload))
