"""What the figures' web endpoints share: the app's settings and database, JSON errors, and
the bearer-token check (bot/figures/tokens.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, current_app, jsonify, request

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage.db import Database

_CACHE_KEY = "haki_figures_db"


def settings_and_db() -> tuple[Settings, Database]:
    """The app's services (``app.haki.services``, webhooks/app.py), else a database opened once."""
    from bot.services import Services

    services = getattr(getattr(current_app, "haki", None), "services", None)
    if services is None:
        services = next((v for v in current_app.extensions.values() if isinstance(v, Services)), None)
    if isinstance(services, Services):
        return services.settings, services.db
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is None:
        from bot.settings import get_settings
        from bot.storage.db import Database

        settings = get_settings()
        cached = (settings, Database(settings.database_url))
        current_app.extensions[_CACHE_KEY] = cached
    return cached


def error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="haki-figures"'
    response.headers["Cache-Control"] = "no-store"
    return response


def token_scope(database: Database) -> tuple[str | None, Response | None]:
    """The scope of the request's bearer token, or the error to answer with."""
    from bot.figures.tokens import bearer, scope_of

    token = bearer(request.headers.get("Authorization"))
    if token is None:
        return None, error(401, "send Authorization: Bearer <token>")
    with database.session() as session:
        scope = scope_of(session, token)
    if scope is None:
        return None, error(403, "unknown or revoked token")
    return scope, None


def ok(payload: dict[str, object]) -> Response:
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response
