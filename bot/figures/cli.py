"""`haki figures ...`: the oversight export, the tables in the terminal, test marking,
and oversight API tokens."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.storage.cli_session import migrated_session


@click.group()
def figures() -> None:
    """Oversight figures: monthly tables with small counts hidden (docs/oversight.md)."""


_session = migrated_session  # settings, and a session on the migrated database


def _default_month() -> str:
    from bot.figures.report import last_complete_month

    return last_complete_month(datetime.now(timezone.utc))


@figures.command("export")
@click.option("--from", "first_month", default=None, help="First month, YYYY-MM (default: last complete month).")
@click.option("--to", "last_month", default=None, help="Last month, YYYY-MM (default: last complete month).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output for CSV; figures-FROM-TO.xlsx).")
@click.option("--jurisdiction", default=None, help="Default: HAKI_JURISDICTION.")
def export(first_month: str | None, last_month: str | None, fmt: str, out_path: Path | None,
           jurisdiction: str | None) -> None:
    """Every published figure for complete months, hidden ones as "x"."""
    from bot.figures.export import to_csv, to_xlsx
    from bot.figures.report import ReportError, build_report
    from bot.figures.taxonomy import TaxonomyError

    last = last_month or _default_month()
    first = first_month or last
    with _session() as (settings, session):
        try:
            report = build_report(session, settings.content_dir,
                                  jurisdiction or settings.jurisdiction, first, last)
        except (ReportError, TaxonomyError) as error:
            raise click.ClickException(str(error)) from error
    if fmt == "csv":
        text = to_csv(report)
        if out_path is None:
            sys.stdout.write(text)
        else:
            out_path.write_text(text, encoding="utf-8")
            click.echo(str(out_path))
        return
    target = out_path or Path(f"figures-{first}-{last}.xlsx")
    target.write_bytes(to_xlsx(report))
    click.echo(str(target))


@figures.command("show")
@click.option("--month", default=None, help="YYYY-MM (default: last complete month).")
@click.option("--jurisdiction", default=None)
def show(month: str | None, jurisdiction: str | None) -> None:
    """One month's tables in the terminal (the same hidden cells as the export)."""
    from bot.figures.report import ReportError, build_report
    from bot.figures.text import report_lines

    month = month or _default_month()
    with _session() as (settings, session):
        try:
            report = build_report(session, settings.content_dir,
                                  jurisdiction or settings.jurisdiction, month, month)
        except ReportError as error:
            raise click.ClickException(str(error)) from error
    for line in report_lines(report):
        click.echo(line)


@figures.command("mark-test")
@click.argument("reference")
@click.option("--undo", is_flag=True, help="Count the case again.")
def mark_test(reference: str, undo: bool) -> None:
    """Keep a case (made while testing) out of every figure."""
    from bot.escalation.cases import find_case, normalise_reference

    normal = normalise_reference(reference)
    if normal is None:
        raise click.ClickException(f"{reference!r} is not a case reference like K7-3QF")
    with _session() as (_settings, session):
        case = find_case(session, normal)
        if case is None:
            raise click.ClickException(f"no case {normal}")
        case.is_test = not undo
        session.commit()
    click.echo(f"{normal}: {'counted again' if undo else 'test case, not counted'}")


@figures.command("token")
@click.option("--label", default="", help="Who holds it, e.g. the oversight body's name.")
def token(label: str) -> None:
    """Make a bearer token for the oversight JSON API (shown once)."""
    from bot.figures.tokens import OVERSIGHT_SCOPE, new_token

    with _session() as (_settings, session):
        value = new_token(session, OVERSIGHT_SCOPE, label)
        session.commit()
    click.echo(value)
