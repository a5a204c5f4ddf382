"""The monthly export an oversight body reads: CSV (one figure per line) or XLSX.

Columns: month, table, violation, region, perpetrator, stage, outcome, count. A dimension a
table does not have is empty; ``count`` is ``x`` where the figure is hidden (docs/oversight.md
explains how to read it). Labels for violation ids come from the taxonomy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bot.figures.report import Report

HIDDEN = "x"
DIMENSIONS = ("violation", "region", "perpetrator", "stage", "outcome")
HEADER = ("month", "table", *DIMENSIONS, "count")
TIME_HEADER = ("month", "acknowledged", "median_minutes_to_ack", "p90_minutes_to_ack")


def flat_rows(report: Report) -> list[tuple[str, ...]]:
    rows = []
    for record in report.rows():
        count = record["count"]
        rows.append((str(record["month"]), str(record["table"]),
                     *(str(record.get(d, "")) for d in DIMENSIONS),
                     HIDDEN if count is None else str(count)))
    return rows


def time_rows(report: Report) -> list[tuple[str, ...]]:
    def show(value: float | None) -> str:
        return HIDDEN if value is None else (f"{value:g}" if isinstance(value, float) else str(value))

    return [(m.month, show(m.ack.count), show(m.ack.median_minutes), show(m.ack.p90_minutes))
            for m in report.months]


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(flat_rows(report))
    writer.writerow(())
    writer.writerow(TIME_HEADER)
    writer.writerows(time_rows(report))
    return buffer.getvalue()


def to_xlsx(report: Report) -> bytes:
    """A workbook: README, every figure (long format), violations by month, time to ACK."""
    from openpyxl import Workbook

    book = Workbook()
    readme = book.active
    readme.title = "README"
    for line in _readme(report):
        readme.append([line])
    _sheet(book, "figures", HEADER, flat_rows(report))
    months = [m.month for m in report.months]
    pivot = []
    for violation in report.taxonomy.violations:
        series = dict(report.series("violation", violation.id))
        pivot.append((violation.label, *(_cell(series.get(m)) for m in months)))
    series = dict(report.series("incidents_total"))
    pivot.append(("All incidents", *(_cell(series.get(m)) for m in months)))
    _sheet(book, "violations by month", ("violation", *months), pivot)
    _sheet(book, "time to ACK", TIME_HEADER, time_rows(report))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: int | None) -> int | str:
    return HIDDEN if value is None else value


def _sheet(book, title: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:  # type: ignore[no-untyped-def]
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([_number(v) for v in row])


def _number(value: object) -> object:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _readme(report: Report) -> list[str]:
    return [
        f"Haki oversight figures, {report.jurisdiction}, {report.first_month} to {report.last_month}",
        "Each figure counts records made in that calendar month; complete months only.",
        "x = hidden: fewer than 5, or hidden so that a small number cannot be worked out.",
        "Sandbox and test records are never counted. See docs/oversight.md.",
        "Violation types and their IPID Act s28 / REAct mapping:",
        *(f"  {v.id}: {v.label} | IPID: {'; '.join(v.ipid_s28)} | REAct: {'; '.join(v.react)}"
          for v in report.taxonomy.violations),
    ]
