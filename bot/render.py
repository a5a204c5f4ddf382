"""How one reply looks on each channel.

SMS: plain text, GSM-7 look-alikes replaced, options as numbered lines, and never more
than two billed segments for an answer: options that would push it over are dropped from
the end (their numbers still work, because the core keeps the full menu). Telegram: text
plus inline-keyboard rows. Console and web sandbox: text plus numbered lines.
"""

from __future__ import annotations

from bot.messages import OutboundMessage
from bot.sms_encoding import MAX_SMS_CHARS, count_segments, to_gsm7

SMS_SEGMENT_BUDGET = 2
TELEGRAM_MAX_CHARS = 4096
#: Telegram limits callback_data to 64 bytes; option keys are kept far shorter.
TELEGRAM_CALLBACK_MAX_BYTES = 64

KeyboardRows = list[list[tuple[str, str]]]


def numbered_lines(message: OutboundMessage) -> list[str]:
    return [f"{number} {option.label}" for number, option in enumerate(message.options, 1)]


def render_sms(message: OutboundMessage) -> str:
    """The exact SMS body: GSM-7 where possible, ≤ 2 segments when options are optional."""
    text = to_gsm7(message.text.strip())
    labels = [option.label for option in message.options]
    shown = visible_option_count(message.text, labels)
    lines = [to_gsm7(line) for line in numbered_lines(message)][:shown]
    if lines:
        text = text + "\n" + "\n".join(lines)
    return text[:MAX_SMS_CHARS]


def visible_option_count(text: str, labels: list[str]) -> int:
    """How many options an SMS shows. A message that *is* a menu (short intro + options)
    shows every option; an answer with follow-ups shows only those that fit the budget.
    The core stores only the shown options (bot/turn.py), so a number that was not shown
    never picks anything."""
    body = to_gsm7(text.strip())
    lines = [to_gsm7(f"{number} {label}") for number, label in enumerate(labels, 1)]
    if not lines or _is_menu(body, lines):
        return len(lines)
    while lines:
        if count_segments(body + "\n" + "\n".join(lines)).segments <= SMS_SEGMENT_BUDGET:
            return len(lines)
        lines.pop()
    return 0


def fits_sms(text: str, labels: list[str]) -> bool:
    """Whether text and every option fit the SMS budget of an answer (2 segments)."""
    lines = [f"{number} {label}" for number, label in enumerate(labels, 1)]
    body = to_gsm7("\n".join([text.strip(), *lines]))
    return count_segments(body).segments <= SMS_SEGMENT_BUDGET


def _is_menu(text: str, lines: list[str]) -> bool:
    return count_segments(text).segments == 1 and len(text) <= 120


def render_plain(message: OutboundMessage) -> str:
    """Console and sandbox: the text, then numbered options."""
    lines = numbered_lines(message)
    return message.text.strip() + ("\n" + "\n".join(lines) if lines else "")


def render_telegram(message: OutboundMessage) -> tuple[str, KeyboardRows]:
    """Text (≤ 4096 characters) and one button per row (labels are short phrases)."""
    text = message.text.strip()[:TELEGRAM_MAX_CHARS] or "…"
    rows: KeyboardRows = []
    for option in message.options:
        if len(option.key.encode("utf-8")) > TELEGRAM_CALLBACK_MAX_BYTES:
            raise ValueError(f"option key too long for Telegram: {option.key!r}")
        rows.append([(option.label, option.key)])
    return text, rows
