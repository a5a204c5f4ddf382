"""The web side of Haki: provider webhooks (Telegram, Twilio SMS) and the sandbox page.

``create_app`` is the application factory; gunicorn loads ``webhooks.wsgi:app``. Flask is
imported inside the factory so that importing ``webhooks.outbound`` (which build_services
does for every command) stays cheap for ``haki chat``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from bot.services import Services
    from bot.settings import Settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    from webhooks.app import build_app

    return build_app(settings, services)
