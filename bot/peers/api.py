"""Reach figures as JSON for organisations' dashboards: ``GET /api/peers/stats``.

Each organisation has its own bearer token (``haki peers token --org NAME``) and sees only
groups made of its own codes: by code, by organisation (its own), or by region where all
the region's codes are its own. The figures are the published ones (bot/peers/stats.py:
hidden where small, null in JSON), for complete months only. No request data is logged.

This replaces webhooks/peers_api.py and its single HAKI_STATS_TOKEN: register
``bot.peers.api:blueprint`` in its place (docs/peer-educators.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy import select

from bot.figures.web import error, ok, settings_and_db, token_scope

blueprint = Blueprint("peers_reach_api", __name__, url_prefix="/api/peers")


@blueprint.get("/stats")
def stats() -> Response:
    from bot.figures.tokens import OVERSIGHT_SCOPE
    from bot.peers.models import PeerEducator, ReferralCode
    from bot.peers.stats import GROUPINGS, reach_stats

    _settings, database = settings_and_db()
    scope, failure = token_scope(database)
    if failure is not None:
        return failure
    if scope == OVERSIGHT_SCOPE:
        return error(403, "this token is for oversight figures, not an organisation's reach")
    by = request.args.get("by", "code")
    if by not in GROUPINGS:
        return error(400, f"by must be one of {', '.join(GROUPINGS)}")
    with database.session() as session:
        codes = list(session.scalars(
            select(ReferralCode.code).join(PeerEducator, PeerEducator.id == ReferralCode.educator_id)
            .where(PeerEducator.organisation == scope)))
        try:
            records = reach_stats(session, by=by, codes=codes,  # type: ignore[arg-type]
                                  first_month=request.args.get("from") or None,
                                  last_month=request.args.get("to") or None)
        except ValueError as problem:
            return error(400, str(problem))
    return ok({"organisation": scope, "by": by,
               "hidden": "null: fewer than 5, or hidden so that a small number cannot be worked out",
               "records": records})
