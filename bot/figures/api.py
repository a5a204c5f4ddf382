"""The oversight figures as JSON: ``GET /api/figures/monthly?from=YYYY-MM&to=YYYY-MM``.

Protected by a bearer token of scope ``*oversight`` (``haki figures token``); organisations'
reach tokens do not open it. The answer holds exactly the published figures of the export
(hidden ones as null) plus time to ACK. Only complete months; no request data is logged.
Mount: ``app.register_blueprint(bot.figures.api.blueprint)`` (see docs/oversight.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from bot.figures.web import error, ok, settings_and_db, token_scope

blueprint = Blueprint("figures_api", __name__, url_prefix="/api/figures")


@blueprint.get("/monthly")
def monthly() -> Response:
    from bot.figures.report import ReportError, build_report, requested_months
    from bot.figures.tokens import OVERSIGHT_SCOPE

    settings, database = settings_and_db()
    scope, failure = token_scope(database)
    if failure is not None:
        return failure
    if scope != OVERSIGHT_SCOPE:
        return error(403, "this token is not for oversight figures")
    first, last = requested_months(request.args.get("from"), request.args.get("to"))
    with database.session() as session:
        try:
            report = build_report(session, settings.content_dir, settings.jurisdiction, first, last)
        except ReportError as problem:
            return error(400, str(problem))
    return ok({
        "jurisdiction": report.jurisdiction, "from": first, "to": last,
        "hidden": "null: fewer than 5, or hidden so that a small number cannot be worked out",
        "figures": list(report.rows()),
        "time_to_ack": [{"month": m.month, "acknowledged": m.ack.count,
                         "median_minutes": m.ack.median_minutes, "p90_minutes": m.ack.p90_minutes}
                        for m in report.months],
        "violations": [{"id": v.id, "label": v.label, "ipid_s28": list(v.ipid_s28),
                        "react": list(v.react)} for v in report.taxonomy.violations],
    })
