"""``haki serve`` and ``haki telegram set-webhook | webhook-info | delete-webhook``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from bot.settings import PROJECT_ROOT, get_settings

GUNICORN_CONF = PROJECT_ROOT / "docker" / "gunicorn.conf.py"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=None, type=int,
              help="gunicorn worker processes (default: WEB_CONCURRENCY or 2).")
@click.option("--dev", is_flag=True, help="Flask's development server (reloads on changes).")
def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the webhooks (and the sandbox page when HAKI_SANDBOX=1).

    Runs gunicorn when it is installed (the production server: several workers, threads),
    otherwise Flask's development server.
    """
    from webhooks.app import refuse_sandbox_in_production

    settings = get_settings()  # fail fast with one line naming a bad variable
    refuse_sandbox_in_production(settings)
    gunicorn = shutil.which("gunicorn") or _venv_gunicorn()
    if gunicorn and not dev:
        argv = [gunicorn, "--bind", f"{host}:{port}"]
        if GUNICORN_CONF.exists():
            argv += ["-c", str(GUNICORN_CONF)]
        else:
            argv += ["--worker-class", "gthread", "--threads", "4"]
        argv += ["--workers", str(workers or int(os.environ.get("WEB_CONCURRENCY", "2")))]
        argv.append("webhooks.wsgi:app")
        click.echo(f"haki: gunicorn on http://{host}:{port} "
                   f"(sandbox {'on' if settings.sandbox else 'off'})", err=True)
        os.chdir(PROJECT_ROOT)
        os.execv(gunicorn, argv)  # gunicorn replaces this process: signals reach it directly
    from bot.logging_setup import configure_logging
    from webhooks import create_app

    configure_logging(settings)
    app = create_app(settings)
    click.echo(f"haki: development server on http://{host}:{port}", err=True)
    app.run(host=host, port=port, debug=False, use_reloader=dev, threaded=True)


def _venv_gunicorn() -> str | None:
    candidate = Path(sys.executable).parent / "gunicorn"
    return str(candidate) if candidate.exists() else None


@click.group()
def telegram() -> None:
    """Telegram bot administration."""


@telegram.command("set-webhook")
@click.option("--url", default=None,
              help="Public webhook URL (default: HAKI_PUBLIC_URL + /webhooks/telegram).")
@click.option("--max-connections", default=40, show_default=True, type=int)
def set_webhook(url: str | None, max_connections: int) -> None:
    """Register our webhook with Telegram, with the secret token and allowed updates."""
    from webhooks.outbound import DeliveryError, TelegramSender
    from webhooks.telegram import ALLOWED_UPDATES

    settings = get_settings()
    _require(settings.telegram_token, "HAKI_TELEGRAM_TOKEN")
    _require(settings.telegram_secret, "HAKI_TELEGRAM_SECRET")
    target = url or settings.public_url.rstrip("/") + "/webhooks/telegram"
    if not target.startswith("https://"):
        click.echo(f"haki: warning: Telegram only delivers to https:// URLs, not {target}",
                   err=True)
    sender = TelegramSender(settings)
    try:
        sender.set_webhook(target, settings.telegram_secret, ALLOWED_UPDATES, max_connections)
    except DeliveryError as error:
        raise click.ClickException(f"Telegram refused: {error.reason}") from None
    finally:
        sender.close()
    click.echo(f"webhook set: {target} (updates: {', '.join(ALLOWED_UPDATES)})")


@telegram.command("webhook-info")
def webhook_info() -> None:
    """Show what Telegram has registered (URL, pending updates, last error)."""
    from webhooks.outbound import DeliveryError, TelegramSender

    settings = get_settings()
    _require(settings.telegram_token, "HAKI_TELEGRAM_TOKEN")
    sender = TelegramSender(settings)
    try:
        info = sender.webhook_info()
    except DeliveryError as error:
        raise click.ClickException(f"Telegram refused: {error.reason}") from None
    finally:
        sender.close()
    click.echo(f"url: {info.url or '(none)'}")
    click.echo(f"pending updates: {info.pending_update_count}")
    click.echo(f"allowed updates: {', '.join(info.allowed_updates or ()) or '(all)'}")
    if info.last_error_message:
        click.echo(f"last error: {info.last_error_message}")


@telegram.command("delete-webhook")
def delete_webhook() -> None:
    """Stop Telegram delivering to our webhook."""
    from webhooks.outbound import DeliveryError, TelegramSender

    settings = get_settings()
    _require(settings.telegram_token, "HAKI_TELEGRAM_TOKEN")
    sender = TelegramSender(settings)
    try:
        sender.call("deleteWebhook")
    except DeliveryError as error:
        raise click.ClickException(f"Telegram refused: {error.reason}") from None
    finally:
        sender.close()
    click.echo("webhook deleted")


def _require(value: str, variable: str) -> None:
    if not value:
        raise click.ClickException(f"{variable} is not set")
