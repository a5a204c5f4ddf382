"""`haki peers ...`: register educators, issue and revoke codes, print links and posters,
read reach figures."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.settings import Settings
from bot.storage.cli_session import migrated_session


@click.group()
def peers() -> None:
    """Peer educators: referral codes, links, posters and reach figures."""


_session = migrated_session  # settings, and a session on the migrated database


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _describe_link(settings: Settings, code: str) -> list[str]:
    from bot.peers import links

    link = links.telegram_link(settings, code)
    number = links.sms_number(settings)
    return [
        f"telegram: {link}" if link else "telegram: (set HAKI_TELEGRAM_BOT_USERNAME to get the link)",
        f"sms:      {links.sms_keyword(code)}" + (f"  to {number}" if number else
                                                  "  (set HAKI_SMS_NUMBER_DISPLAY or HAKI_TWILIO_NUMBER)"),
    ]


def _known_regions(settings: Settings) -> set[str]:
    """Escalation's region ids, when that feature is installed (else any slug will do)."""
    try:
        from bot.escalation.regions import regions_for
    except ImportError:
        return set()
    return set(regions_for(settings.content_dir, settings.jurisdiction))


@peers.command("add")
@click.option("--name", required=True, help="How the programme knows the educator (a first name is enough).")
@click.option("--organisation", "--org", "organisation", required=True)
@click.option("--region", required=True, help="Region slug, e.g. gauteng, kwazulu_natal.")
@click.option("--lang", "language", default=None, help="Default language for people they refer.")
def add(name: str, organisation: str, region: str, language: str | None) -> None:
    """Register a peer educator and issue their first referral code."""
    from bot.peers.registry import RegistryError, add_educator
    from bot.storage.crypto import Cipher, KeysMissing

    with _session() as (settings, session):
        try:
            educator, code = add_educator(
                session, Cipher(settings.fernet_keys), name=name, organisation=organisation,
                region=region, language=language or settings.default_language,
                languages=settings.language_codes, known_regions=_known_regions(settings))
        except (RegistryError, KeysMissing) as error:
            _fail(str(error))
            return
        click.echo(f"educator {educator.id}: {organisation} / {educator.region} / {educator.language}")
        click.echo(f"code {code.code}")
        for line in _describe_link(settings, code.code):
            click.echo("  " + line)


@peers.command("issue")
@click.argument("educator_id", type=int)
def issue(educator_id: int) -> None:
    """Give an educator one more referral code (e.g. one per venue)."""
    from bot.peers.registry import RegistryError, issue_code

    with _session() as (settings, session):
        try:
            code = issue_code(session, educator_id)
        except RegistryError as error:
            _fail(str(error))
            return
        click.echo(f"code {code.code}")
        for line in _describe_link(settings, code.code):
            click.echo("  " + line)


@peers.command("list")
@click.option("--names/--no-names", default=False, help="Also decrypt and show educators' names.")
def list_(names: bool) -> None:
    """Educators and their codes (names only with --names: they are kept encrypted)."""
    from bot.peers.registry import educators
    from bot.storage.crypto import Cipher, KeysMissing

    with _session() as (settings, session):
        cipher = Cipher(settings.fernet_keys)
        rows = educators(session)
        if not rows:
            click.echo("no peer educators yet: add one with `haki peers add`")
        for educator in rows:
            label = ""
            if names:
                try:
                    label = f"  {cipher.decrypt(educator.name_encrypted)}"
                except KeysMissing as error:
                    _fail(str(error))
            click.echo(f"{educator.id}  {educator.organisation}  {educator.region}  "
                       f"{educator.language}{label}")
            for code in educator.codes:
                state = "active" if code.active else f"revoked {code.revoked_at:%Y-%m-%d}"
                click.echo(f"    {code.code}  {state}")


@peers.command("link")
@click.argument("code")
def link(code: str) -> None:
    """Print the Telegram link and SMS keyword of CODE."""
    from bot.peers.registry import find_code

    with _session() as (settings, session):
        row = find_code(session, code)
        if row is None:
            _fail(f"no referral code {code.strip().upper()!r}")
            return
        if not row.active:
            click.echo(f"warning: {row.code} is revoked; these no longer attribute anyone", err=True)
        for line in _describe_link(settings, row.code):
            click.echo(line)


@peers.command("revoke")
@click.argument("code")
def revoke(code: str) -> None:
    """Stop CODE attributing anyone (people who use it still get a normal start)."""
    from bot.peers.registry import RegistryError, revoke_code

    with _session() as (_settings, session):
        try:
            row = revoke_code(session, code)
        except RegistryError as error:
            _fail(str(error))
            return
        click.echo(f"{row.code} revoked")


@peers.command("poster")
@click.argument("code")
@click.option("--lang", "language", default=None, help="Poster language (default: the educator's).")
@click.option("--discreet", is_flag=True, help="Neutral wording: no police, drugs or sex work.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for the PDF and PNG.")
def poster(code: str, language: str | None, discreet: bool, out_dir: Path) -> None:
    """Write an A4 PDF and a PNG poster for CODE."""
    from bot.content import ContentLibrary
    from bot.peers.posters import PosterError, write_poster
    from bot.peers.registry import find_code

    with _session() as (settings, session):
        row = find_code(session, code)
        if row is None:
            _fail(f"no referral code {code.strip().upper()!r}")
            return
        if not row.active:
            _fail(f"{row.code} is revoked: issue a new code with `haki peers issue {row.educator_id}`")
            return
        language = language or row.educator.language
        content = ContentLibrary.load(settings.content_dir, settings.locales_dir, settings.language_codes)
        try:
            files = write_poster(settings, content, row.code, language, out_dir, discreet=discreet)
        except PosterError as error:
            _fail(str(error))
            return
        if not content.is_translated("peers_poster_line", language, settings.jurisdiction):
            click.echo(f"note: no {language} translation yet; the poster is in English", err=True)
        click.echo(str(files.pdf))
        click.echo(str(files.png))


@peers.command("stats")
@click.option("--by", type=click.Choice(["code", "organisation", "region"]), default="code",
              show_default=True)
@click.option("--from", "first_month", default=None, help="First month, e.g. 2026-01.")
@click.option("--to", "last_month", default=None, help="Last month, e.g. 2026-12.")
@click.option("--json", "as_json", is_flag=True, help="The same records as the JSON endpoint.")
def stats(by: str, first_month: str | None, last_month: str | None, as_json: bool) -> None:
    """Reach per month: new and returning people, topics, escalations (counts under 5 show "<5")."""
    from bot.peers.stats import reach_stats, table_lines

    with _session() as (_settings, session):
        try:
            records = reach_stats(session, by=by, first_month=first_month,  # type: ignore[arg-type]
                                  last_month=last_month)
        except ValueError as error:
            _fail(str(error))
            return
    if as_json:
        click.echo(json.dumps({"by": by, "records": records}, indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo("no reach recorded yet")
        return
    for line in table_lines(records, by):  # type: ignore[arg-type]
        click.echo(line)


@peers.command("contact")
@click.argument("educator_id", type=int)
@click.option("--sms", "number", default=None, help="The educator's phone number, as +27821234567.")
@click.option("--telegram", "chat_id", default=None, help="The educator's Telegram chat id.")
def contact(educator_id: int, number: str | None, chat_id: str | None) -> None:
    """Let an educator text STATS from this number or chat (kept as a keyed pseudonym only)."""
    from bot.peers.educator_stats import register_contact

    if bool(number) == bool(chat_id):
        _fail("give exactly one of --sms or --telegram")
        return
    channel, address = ("sms", number) if number else ("telegram", chat_id)
    with _session() as (settings, session):
        try:
            register_contact(session, settings.secret_key, educator_id, channel, address or "")
        except ValueError as error:
            _fail(str(error))
            return
        session.commit()
    click.echo(f"educator {educator_id} can text STATS by {channel}")


@peers.command("token")
@click.option("--org", "organisation", required=True, help="The organisation, as registered.")
@click.option("--revoke", is_flag=True, help="Revoke every token of the organisation instead.")
def token(organisation: str, revoke: bool) -> None:
    """A stats token that sees only ORG's codes (printed once; only its hash is kept)."""
    from sqlalchemy import select

    from bot.figures.tokens import new_token, revoke_scope
    from bot.peers.models import PeerEducator

    organisation = " ".join(organisation.split())
    with _session() as (_settings, session):
        if revoke:
            count = revoke_scope(session, organisation)
            session.commit()
            click.echo(f"{count} token(s) of {organisation} revoked")
            return
        known = session.scalar(select(PeerEducator.id).where(PeerEducator.organisation == organisation))
        if known is None:
            _fail(f"no educator of {organisation!r}: tokens are for registered organisations")
            return
        value = new_token(session, organisation, f"peers {organisation}")
        session.commit()
    click.echo(value)
