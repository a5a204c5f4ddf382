"""`haki console ...`: invitations, organisations' SLA, Telegram link codes.

Nobody types a chat id or a password here: an invitation is a one-time link the person
opens themselves, a Telegram responder links their chat by sending a one-time code.
"""

from __future__ import annotations

import sys

import click

from bot.settings import get_settings


def _fail(message: str) -> None:
    click.echo(f"haki: {message}", err=True)
    sys.exit(1)


@click.group()
def console() -> None:
    """The console for responders and coordinators (docs/console.md)."""


@console.command("invite")
@click.option("--responder", "responder_id", type=int, help="Invite the responder with this id.")
@click.option("--coordinator", "organisation", help="Invite a coordinator of this organisation.")
@click.option("--admin", is_flag=True, help="Invite an administrator (set-up only, sees no cases).")
@click.option("--oversight", "oversight_body", help="Invite a reader of the figures only, from this body.")
def invite(responder_id: int | None, organisation: str | None, admin: bool,
           oversight_body: str | None) -> None:
    """Print a one-time link that creates a console account; it expires (HAKI_CONSOLE_INVITE_HOURS)."""
    from bot.escalation.models import ROLE_ADMIN, ROLE_COORDINATOR, ROLE_OVERSIGHT, ROLE_RESPONDER
    from bot.storage.base import utcnow
    from bot.storage.db import Database
    from console.auth import AuthError
    from console.auth import invite as make_invite

    chosen = (responder_id, organisation, admin or None, oversight_body)
    if sum(x is not None and x is not False for x in chosen) != 1:
        _fail("give exactly one of --responder N, --coordinator ORG, --admin, --oversight BODY")
        return
    role = (ROLE_RESPONDER if responder_id else ROLE_COORDINATOR if organisation
            else ROLE_OVERSIGHT if oversight_body else ROLE_ADMIN)
    organisation = organisation or oversight_body
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            invitation = make_invite(session, role=role, now=utcnow(), hours=settings.console_invite_hours,
                                     organisation=organisation, responder_id=responder_id)
    except AuthError as error:
        _fail(str(error))
        return
    finally:
        database.dispose()
    click.echo(f"{settings.public_url.rstrip('/')}/console/enrol?token={invitation.token}")
    click.echo(f"one use, valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC; "
               "send it to the person over a private channel", err=True)


@console.command("org")
@click.argument("name")
@click.option("--ack-minutes", type=click.IntRange(1, 24 * 60), help="ACK deadline for new assignments.")
@click.option("--remind-before", type=click.IntRange(0, 24 * 60),
              help="Remind the responder this many minutes before the deadline (0 = never).")
@click.option("--alert-channel", type=click.Choice(["sms", "telegram"]),
              help="Where the coordinator gets overdue/unassigned alerts.")
@click.option("--alert-address", help="E.164 number, or a Telegram chat id the coordinator linked.")
def org(name: str, ack_minutes: int | None, remind_before: int | None, alert_channel: str | None,
        alert_address: str | None) -> None:
    """Set an organisation's SLA and alert address (created on first use)."""
    from sqlalchemy import select

    from bot.escalation.models import Organisation
    from bot.escalation.responders import ResponderError, normalise_address
    from bot.storage.crypto import Cipher
    from bot.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            found = session.scalar(select(Organisation).where(Organisation.name == name))
            if found is None:
                found = Organisation(name=name, ack_minutes=settings.ack_minutes,
                                     remind_before_minutes=settings.remind_before_minutes)
                session.add(found)
            if ack_minutes is not None:
                found.ack_minutes = ack_minutes
            if remind_before is not None:
                found.remind_before_minutes = remind_before
            if (alert_channel is None) != (alert_address is None):
                _fail("give --alert-channel and --alert-address together")
                return
            if alert_channel and alert_address:
                try:
                    address = normalise_address(alert_channel, alert_address)
                except ResponderError as error:
                    _fail(str(error))
                    return
                found.alert_channel = alert_channel
                found.alert_address_encrypted = Cipher(settings.fernet_keys).encrypt(address)
            click.echo(f"{found.name}: ACK within {found.ack_minutes} min, reminder "
                       f"{found.remind_before_minutes} min before, alerts "
                       f"{'by ' + found.alert_channel if found.alert_channel else 'in the console only'}")
    finally:
        database.dispose()
