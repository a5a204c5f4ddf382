"""The report as plain-text tables for the terminal (`haki figures show`)."""

from __future__ import annotations

from bot.figures.disclosure import Publication
from bot.figures.export import HIDDEN
from bot.figures.report import STAGES, Report


def _show(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def grid(publication: Publication, table: str, rows: list[str], columns: list[str],
         row_label: str) -> list[str]:
    """A two-way table with its row labels; cells absent from the table show as 0."""
    cells = publication.as_dict(table)
    body = [[row_label, *columns]]
    body += [[row, *(_show(cells.get((row, col), 0)) for col in columns)] for row in rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(body[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in body]


def report_lines(report: Report) -> list[str]:
    lines: list[str] = []
    violations = list(report.taxonomy.violation_ids)
    for month in report.months:
        incidents = month.incidents
        regions = [key[0] for key, _ in incidents.tables["region"]]
        total = incidents.as_dict("incidents_total").get(())
        lines += [(f"== {report.jurisdiction} {month.month}: {_show(total)} incidents "
                  f"(x = hidden) ==")]
        lines += grid(incidents, "violation_by_region", violations, regions, "violation")
        lines.append("")
        lines.append("by perpetrator: " + ", ".join(
            f"{key[0]} {_show(v)}" for key, v in incidents.tables["perpetrator"]))
        stages = month.funnel.as_dict("stage")
        lines.append("funnel: " + " -> ".join(f"{s} {_show(stages.get((s,)))}" for s in STAGES))
        outcomes = [key[0] for key, _ in month.funnel.tables["outcome"]]
        lines += grid(month.funnel, "violation_by_outcome", violations, outcomes, "outcome")
        ack = month.ack
        lines.append(f"time to ACK: {_show(ack.count)} acknowledged, median "
                     f"{HIDDEN if ack.median_minutes is None else f'{ack.median_minutes:g}'} min, "
                     f"90th percentile {HIDDEN if ack.p90_minutes is None else f'{ack.p90_minutes:g}'} min")
        lines.append("")
    return lines
