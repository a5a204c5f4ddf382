"""The oversight report as one HTML page, for a console blueprint to mount.

``render_report_page(report)`` returns a complete HTML document (inline CSS, inline SVG,
no scripts, no external assets) showing only published figures: aggregates, never a case.
The console (coordinators and the read-only *oversight* role) mounts it behind its own
login; see docs/oversight.md, "Console page". ``report_page_context`` gives the same data
to a console that prefers its own base template (templates/figures/report.html).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.figures.charts import line_chart
from bot.figures.export import HIDDEN
from bot.figures.report import STAGES, Report

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def report_page_context(report: Report) -> dict[str, object]:
    months = [m.month for m in report.months]
    taxonomy = report.taxonomy
    trend = line_chart(
        "Incidents per month, by violation", months,
        [(v.label, [value for _, value in report.series("violation", v.id)])
         for v in taxonomy.violations
         if any(value for _, value in report.series("violation", v.id))])
    ack = line_chart("Median minutes from report to ACK", months,
                     [("median", [m.ack.median_minutes for m in report.months]),
                      ("90th percentile", [m.ack.p90_minutes for m in report.months])], unit="")
    tables = []
    for month in report.months:
        incidents = month.incidents
        regions = [key[0] for key, _ in incidents.tables["region"]]
        by_region = incidents.as_dict("violation_by_region")
        violation_totals = incidents.as_dict("violation")
        region_totals = incidents.as_dict("region")
        outcomes = [key[0] for key, _ in month.funnel.tables["outcome"]]
        by_outcome = month.funnel.as_dict("violation_by_outcome")
        stages = month.funnel.as_dict("stage")
        tables.append({
            "month": month.month,
            "regions": regions,
            "rows": [(v.label, [_show(by_region.get((v.id, r), 0)) for r in regions],
                      _show(violation_totals.get((v.id,), 0))) for v in taxonomy.violations],
            "region_totals": [_show(region_totals.get((r,), 0)) for r in regions],
            "total": _show(incidents.as_dict("incidents_total").get(())),
            "perpetrators": [(taxonomy.perpetrators.get(key[0], key[0]), _show(v))
                             for key, v in incidents.tables["perpetrator"]],
            "funnel": [(s, _show(stages.get((s,)))) for s in STAGES],
            "outcomes": outcomes,
            "outcome_rows": [(v.label, [_show(by_outcome.get((v.id, o), 0)) for o in outcomes])
                             for v in taxonomy.violations],
            "ack": month.ack,
        })
    return {"report": report, "trend_svg": trend, "ack_svg": ack, "months": tables,
            "hidden": HIDDEN, "violations": taxonomy.violations}


def render_report_page(report: Report) -> str:
    return _ENV.get_template("figures/report.html").render(**report_page_context(report))


def _show(value: int | None) -> str:
    return HIDDEN if value is None else str(value)
