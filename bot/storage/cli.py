"""`haki db ...` and `haki keys ...`: schema and key maintenance."""

from __future__ import annotations

import secrets

import click

from bot.settings import get_settings
from bot.storage import migrate
from bot.storage.crypto import new_key


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--url", default=None, help="Database URL (default: HAKI_DATABASE_URL).")
def db_upgrade(url: str | None) -> None:
    """Apply every migration."""
    migrate.upgrade(url or get_settings().database_url)
    click.echo("database is at the newest schema")


@click.group()
def keys() -> None:
    """Secrets: generate keys, rotate encrypted data."""


@keys.command("new")
@click.option("--kind", type=click.Choice(["fernet", "secret"]), default="fernet")
def keys_new(kind: str) -> None:
    """Print a new key (fernet: HAKI_ENCRYPTION_KEYS; secret: HAKI_SECRET_KEY)."""
    click.echo(new_key() if kind == "fernet" else secrets.token_urlsafe(48))


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt stored data under the first key of HAKI_ENCRYPTION_KEYS (then the old
    key can be removed from the list)."""
    from bot.storage.crypto import Cipher, rotate_all
    from bot.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    with database.session() as session:
        count = rotate_all(session, Cipher(settings.fernet_keys))
    database.dispose()
    click.echo(f"re-encrypted {count} values under the primary key")
