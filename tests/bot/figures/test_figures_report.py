"""The monthly report an oversight body reads: what is counted, in which month, how it is
hidden, and the funnel from report to outcome."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from figures_world import Records, at
from openpyxl import load_workbook
from sqlalchemy import select

from bot.escalation.cases import anonymise, find_case
from bot.escalation.models import Case
from bot.figures.export import HIDDEN, to_csv, to_xlsx
from bot.figures.page import render_report_page
from bot.figures.report import ReportError, build_report

NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


def report_of(records: Records, first: str, last: str | None = None):  # type: ignore[no-untyped-def]
    services = records.services
    with services.db.session() as session:
        return build_report(session, services.settings.content_dir, "za", first, last or first, now=NOW)


def counts(report, table: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    [month] = report.months
    publication = month.incidents if table in month.incidents.tables else month.funnel
    return publication.as_dict(table)


def no_small_figure(values) -> None:  # type: ignore[no-untyped-def]
    small = [v for v in values if isinstance(v, int) and 0 < v < 5]
    assert small == [], f"published figures from 1 to 4: {small}"


def test_each_case_and_anonymous_record_counts_once_under_its_violation_and_region(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    for _ in range(6):
        sqlite_records.case(at("2026-03"), "urgent_violence", "gauteng")
    sqlite_records.anonymous("2026-03", "police_bribe", "gauteng", count=7)
    report = report_of(sqlite_records, "2026-03")
    assert counts(report, "violation")[("physical_violence",)] == 6
    assert counts(report, "violation")[("extortion",)] == 7
    assert counts(report, "incidents_total")[()] == 13
    assert counts(report, "violation_by_region")[("physical_violence", "gauteng")] == 6
    assert counts(report, "perpetrator")[("not_recorded",)] == 13


def test_the_violation_is_stored_from_the_intent_when_the_case_is_made(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    reference = sqlite_records.case(at("2026-03"), "urgent_medical_custody")
    with sqlite_records.services.db.session() as session:
        case = find_case(session, reference)
        assert case is not None and case.violation == "denial_of_care"


def test_a_lone_case_is_hidden_and_so_is_enough_else_to_keep_it_hidden(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    for _ in range(9):
        sqlite_records.case(at("2026-04"), "urgent_violence", "gauteng")
    sqlite_records.case(at("2026-04"), "urgent_arrested_now", "limpopo")
    report = report_of(sqlite_records, "2026-04")
    by_region = counts(report, "violation_by_region")
    assert by_region[("arbitrary_detention", "limpopo")] is None
    assert counts(report, "violation")[("arbitrary_detention",)] is None
    assert counts(report, "region")[("limpopo",)] is None
    # 10 in all: showing the total next to the 9 would give the lone case away.
    assert counts(report, "incidents_total")[()] is None or by_region[("physical_violence", "gauteng")] is None
    no_small_figure(v for m in report.months for t in (m.incidents, m.funnel)
                    for cells in t.tables.values() for _, v in cells)


def test_sandbox_and_test_records_are_never_counted(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        sqlite_records.case(at("2026-05"), "urgent_violence")
        sqlite_records.case(at("2026-05"), "urgent_violence", is_test=True)
    sqlite_records.anonymous("2026-05", count=3, is_test=True)
    report = report_of(sqlite_records, "2026-05")
    assert counts(report, "incidents_total")[()] == 5
    assert counts(report, "stage")[("reported",)] == 5


def test_the_funnel_counts_each_stage_in_the_month_it_was_reached(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    for day in range(1, 7):  # six reported at the end of June, acknowledged and closed in July
        sqlite_records.case(at("2026-06", 30, 23), "police_bribe", ack_after=timedelta(hours=2),
                            close_after=timedelta(days=2))
    june, july = report_of(sqlite_records, "2026-06", "2026-07").months
    june_stages, july_stages = june.funnel.as_dict("stage"), july.funnel.as_dict("stage")
    assert (june_stages[("reported",)], june_stages[("referred",)]) == (6, 6)
    assert june_stages[("acknowledged",)] == 0 and july_stages[("acknowledged",)] == 6
    assert july_stages[("actioned",)] == 6
    assert july.funnel.as_dict("violation_by_outcome")[("extortion", "not_recorded")] == 6
    assert july.ack.median_minutes == 120 and june.ack.count == 0


def test_time_to_ack_survives_anonymisation_but_the_times_do_not(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        sqlite_records.case(at("2026-08", 12, 9), "urgent_violence", ack_after=timedelta(minutes=42),
                            close_after=timedelta(hours=3))
    with sqlite_records.services.db.session() as session:
        for case in session.scalars(select(Case)).all():
            anonymise(session, case)
        session.commit()
        case = session.scalars(select(Case)).first()
        assert case is not None and case.acknowledged_at is None and case.ack_minutes == 42
        assert case.actioned_at == datetime(2026, 8, 1, tzinfo=timezone.utc)
    report = report_of(sqlite_records, "2026-08")
    [month] = report.months
    assert month.ack.median_minutes == 42
    assert month.funnel.as_dict("stage")[("actioned",)] == 5


def test_only_complete_months_are_published(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReportError, match="complete months"):
        report_of(sqlite_records, "2026-12")
    with pytest.raises(ReportError, match="not a month"):
        report_of(sqlite_records, "2026-13")


def test_the_csv_and_xlsx_exports_show_hidden_figures_as_x_and_nothing_from_1_to_4(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    sqlite_records.many(["2026-01", "2026-02", "2026-03"], 120)
    sqlite_records.anonymous("2026-02", "rights_search", "limpopo", count=2)
    report = report_of(sqlite_records, "2026-01", "2026-03")
    text = to_csv(report)
    figures, _, times = text.partition("\n\n")
    rows = list(csv.DictReader(io.StringIO(figures)))
    assert {row["month"] for row in rows} == {"2026-01", "2026-02", "2026-03"}
    assert any(row["count"] == HIDDEN for row in rows)
    no_small_figure(int(row["count"]) for row in rows if row["count"] != HIDDEN)
    for row in csv.DictReader(io.StringIO(times)):
        assert row["acknowledged"] == HIDDEN or int(row["acknowledged"]) == 0 or int(row["acknowledged"]) >= 5
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames == ["README", "figures", "violations by month", "time to ACK"]
    for sheet in book.worksheets[1:]:
        no_small_figure(cell.value for row in sheet.iter_rows(min_row=2) for cell in row[1:])


def test_the_report_page_draws_svg_charts_and_shows_only_published_figures(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    sqlite_records.many(["2026-01", "2026-02"], 80)
    html = render_report_page(report_of(sqlite_records, "2026-01", "2026-02"))
    assert html.count("<svg") == 2 and "<script" not in html
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    no_small_figure(int(c) for c in cells if c.strip().isdigit())
    assert "Physical violence" in html and "s28(1)(f)" in html


@pytest.mark.postgres
def test_the_report_reads_the_same_on_postgresql(records) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        records.case(at("2026-03"), "rights_search", "western_cape", ack_after=timedelta(minutes=10))
    report = report_of(records, "2026-03")
    assert counts(report, "violation")[("unlawful_search",)] == 5
    assert report.months[0].ack.median_minutes == 10
