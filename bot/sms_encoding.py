"""GSM-7 versus UCS-2, and how many billed segments a text costs.

One character outside the GSM 03.38 alphabet (a curly quote, an em dash, an emoji) turns
the whole message into UCS-2, which fits 70 characters per segment instead of 160. We
replace the usual look-alikes before sending and count segments the way carriers do.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set (one septet each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus itself.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_SMS_CHARS = 1600  # Twilio's limit for one message body

#: Look-alikes that make a message UCS-2 for no good reason, and their GSM-7 stand-ins.
GSM7_REPLACEMENTS: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
    "\u2022": "-", "\u00b7": "-", "\u2192": "->", "\u2190": "<-",
    "\u00e1": "a", "\u00e2": "a", "\u00ea": "e", "\u00eb": "e", "\u00ee": "i", "\u00ef": "i",
    "\u00f4": "o", "\u00fb": "u", "\u00e7": "c", "\u00ed": "i", "\u00f3": "o", "\u00fa": "u",
    "\u00c1": "A", "\u00c2": "A", "\u00ca": "E", "\u00cb": "E", "\u00ce": "I", "\u00d4": "O",
    "\u2705": "", "\u26a0": "!", "\u2713": "v", "\u2714": "v",
    "\t": " ",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of first appearance."""
    seen: list[str] = []
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED and ch not in seen:
            seen.append(ch)
    return seen


def to_gsm7(text: str) -> str:
    """Replace look-alikes with GSM-7 characters; anything else non-GSM is left as is.

    Afrikaans letters with a circumflex or diaeresis (ê, ë, ô) are not in GSM-7; writing them
    plain is how people already text, and keeps the message at 160 characters a segment.
    """
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
        elif ch in GSM7_REPLACEMENTS:
            out.append(GSM7_REPLACEMENTS[ch])
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def count_segments(text: str) -> SegmentCount:
    """How many SMS segments carriers bill for ``text``."""
    if not text:
        return SegmentCount("GSM-7", 0, 1)
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SegmentCount(encoding, units, segments)
