"""`haki chat` (talk to the bot in a terminal) and `haki ask` (the machine interface).

``haki ask`` is what evaluations use: every line is handled as if it came from a person who
already had the welcome and has no pending step, against a throw-away in-memory database,
so it never changes stored data and needs no configured secrets.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterable, Iterator

import click

from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.render import render_plain, render_sms, render_telegram
from bot.settings import load_settings
from bot.sms_encoding import count_segments

CHANNELS = click.Choice(["console", "sms", "telegram", "web"])


def render_reply(channel: Channel, message: OutboundMessage) -> str:
    if channel is Channel.SMS:
        return render_sms(message)
    if channel is Channel.TELEGRAM:
        text, rows = render_telegram(message)
        buttons = [f"[{label}]" for row in rows for label, _ in row]
        return text + ("\n" + " ".join(buttons) if buttons else "")
    return render_plain(message)


def _lines(text: str | None) -> Iterator[str]:
    if text is not None:
        yield text
        return
    for line in sys.stdin:
        yield line.rstrip("\r\n")


@click.command()
@click.argument("text", required=False)
@click.option("--lang", "language", default=None, help="Reply language (default: detected).")
@click.option("--channel", "channel_name", type=CHANNELS, default="console")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line.")
def ask(text: str | None, language: str | None, channel_name: str, as_json: bool) -> None:
    """Answer TEXT (or each line of standard input) without touching stored data."""
    from bot.conversation import Conversation
    from bot.services import build_services
    from bot.storage.db import Database

    # Nothing is stored, so a random pseudonym key is as good as the real one.
    settings = load_settings(secret_key=secrets.token_urlsafe(48), database_url="sqlite://")
    database = Database("sqlite://")
    database.create_all()
    services = build_services(settings, database=database)
    conversation = Conversation(services)
    channel = Channel(channel_name)
    out = sys.stdout
    for number, line in enumerate(_lines(text)):
        inbound = InboundMessage(channel=channel, address=f"ask-{number}", text=line,
                                 language_hint=language)
        result = conversation.handle_turn(inbound, dry_run=True, assume_welcomed=True)
        rendered = [render_reply(channel, reply) for reply in result.replies]
        if not as_json:
            out.write("\n\n".join(rendered) + "\n")
            continue
        record: dict[str, object] = {
            "text": line,
            "lang": result.language,
            "intent": result.intent or "out_of_scope",
            "confidence": round(result.confidence, 4),
            "urgent": result.urgent,
            "reply": "\n\n".join(rendered),
            "messages": len(rendered),
        }
        if channel is Channel.SMS:
            counts = [count_segments(body) for body in rendered]
            record["sms_segments"] = sum(c.segments for c in counts)
            record["sms_encoding"] = "UCS-2" if any(c.encoding == "UCS-2" for c in counts) else "GSM-7"
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    services.close()


@click.command()
@click.option("--lang", "language", default=None, help="Start in this language.")
@click.option("--channel", "channel_name", type=CHANNELS, default="console",
              help="Render replies as this channel would.")
@click.option("--as", "who", default="local", help="Which console person to be.")
def chat(language: str | None, channel_name: str, who: str) -> None:
    """Talk to Haki in this terminal (uses the configured database)."""
    from bot.conversation import Conversation
    from bot.services import build_services
    from bot.settings import get_settings
    from bot.storage import migrate

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    services = build_services(settings)
    conversation = Conversation(services)
    channel = Channel(channel_name)
    click.echo(f"Talking to Haki as '{who}' on {channel.value}. Ctrl-D to leave.")
    last_keys: list[str] = []
    for line in _prompted_lines():
        inbound = _console_inbound(channel, who, line, language, last_keys)
        replies = conversation.handle(inbound)
        for reply in replies:
            click.echo("haki> " + render_reply(channel, reply).replace("\n", "\n      "))
        if replies:
            last_keys = [option.key for option in replies[-1].options]
    services.close()


def _prompted_lines() -> Iterable[str]:
    while True:
        try:
            yield input("you> ")
        except EOFError:
            click.echo("")
            return


def _console_inbound(channel: Channel, who: str, line: str, language: str | None,
                     last_keys: list[str]) -> InboundMessage:
    """On Telegram a number presses a button; elsewhere the core reads numbers itself."""
    stripped = line.strip()
    if channel is Channel.TELEGRAM and stripped.isdigit() and 0 < int(stripped) <= len(last_keys):
        return InboundMessage(channel=channel, address=f"console:{who}", kind=InboundKind.BUTTON,
                              payload=last_keys[int(stripped) - 1], language_hint=language)
    if stripped.startswith("/start"):
        payload = stripped[len("/start"):].strip() or None
        return InboundMessage(channel=channel, address=f"console:{who}", kind=InboundKind.START,
                              payload=payload, language_hint=language)
    return InboundMessage(channel=channel, address=f"console:{who}", text=line,
                          language_hint=language)
