"""Reach figures as JSON for dashboards: ``GET /api/peers/stats``.

Same records as ``haki peers stats --json`` (counts under 5 shown as "<5"). Protected by a
bearer token (``HAKI_STATS_TOKEN``); with no token configured the endpoint does not exist
(404), so a deployment never exposes it by accident. No request data is logged.

The app factory registers ``blueprint`` when this module is present.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, jsonify, request

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings
    from bot.storage.db import Database

blueprint = Blueprint("peers_api", __name__, url_prefix="/api/peers")
_CACHE_KEY = "haki_peers_api"


def _services() -> Services | None:
    """The app's Services: ``app.haki.services`` (webhooks/app.py), else any in extensions."""
    from bot.services import Services

    state = getattr(current_app, "haki", None)
    if isinstance(getattr(state, "services", None), Services):
        return state.services  # type: ignore[union-attr]
    for value in current_app.extensions.values():
        if isinstance(value, Services):
            return value
    return None


def _settings_and_db() -> tuple[Settings, Database]:
    services = _services()
    if services is not None:
        return services.settings, services.db
    # An app built without Services (a stats-only deployment): open the database once.
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is None:
        from bot.settings import get_settings
        from bot.storage.db import Database

        settings = get_settings()
        cached = (settings, Database(settings.database_url))
        current_app.extensions[_CACHE_KEY] = cached
    return cached


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="haki-stats"'
    return response


@blueprint.get("/stats")
def stats() -> Response:
    from bot.peers.stats import GROUPINGS, SUPPRESS_BELOW, reach_stats

    settings, database = _settings_and_db()
    expected = settings.stats_token
    if not expected:
        return _error(404, "not found")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send Authorization: Bearer <HAKI_STATS_TOKEN>")
    if not hmac.compare_digest(token.strip().encode("utf-8"), expected.encode("utf-8")):
        return _error(403, "wrong token")
    by = request.args.get("by", "code")
    if by not in GROUPINGS:
        return _error(400, f"by must be one of {', '.join(GROUPINGS)}")
    with database.session() as session:
        try:
            records = reach_stats(session, by=by,  # type: ignore[arg-type]
                                  first_month=request.args.get("from") or None,
                                  last_month=request.args.get("to") or None)
        except ValueError as error:
            return _error(400, str(error))
    response = jsonify({"by": by, "suppressed_below": SUPPRESS_BELOW, "records": records})
    response.headers["Cache-Control"] = "no-store"
    return response
