"""``haki content check`` and ``haki content preview``: the editors' tools.

Neither needs settings (no secret key, no database): editors and CI run them on a bare
checkout. Paths default to the repository's ``content/`` and ``locales/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.content.checks import CheckReport, SmsRow, run_checks
from bot.content.library import ContentLibrary
from bot.content.problems import ContentError
from bot.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

_paths = [
    click.option("--content-dir", type=click.Path(path_type=Path, file_okay=False),
                 default=PROJECT_ROOT / "content", envvar="HAKI_CONTENT_DIR", show_default=True),
    click.option("--locales-dir", type=click.Path(path_type=Path, file_okay=False),
                 default=PROJECT_ROOT / "locales", envvar="HAKI_LOCALES_DIR", show_default=True),
    click.option("--languages", default=",".join(SUPPORTED_LANGUAGES), envvar="HAKI_LANGUAGES",
                 show_default=True, help="Comma-separated language codes."),
]


def path_options(function):  # type: ignore[no-untyped-def]
    for option in reversed(_paths):
        function = option(function)
    return function


def _codes(languages: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in languages.split(",") if code.strip())


@click.group()
def content() -> None:
    """Check and preview the legal content and its translations."""


@content.command()
@path_options
@click.option("--all-rows", is_flag=True, help="List every system text's segments too.")
def check(content_dir: Path, locales_dir: Path, languages: str, all_rows: bool) -> None:
    """Check content and catalogs; exit 1 on any error (CI runs this)."""
    report = run_checks(content_dir, locales_dir, _codes(languages))
    _print_report(report, _codes(languages), all_rows)
    sys.exit(0 if report.ok else 1)


def _print_report(report: CheckReport, languages: tuple[str, ...], all_rows: bool) -> None:
    for problem in report.problems:
        click.echo(problem.format(report.root), err=problem.severity == "error")
    if report.counts:
        click.echo("\n" + ", ".join(f"{n} {name}" for name, n in report.counts.items()))
    if report.coverage:
        click.echo("\nTranslations (usable = translated and not fuzzy):")
        for language, cov in report.coverage.items():
            click.echo(f"  {language}: {cov.translated}/{cov.total} ({cov.percent}%), "
                       f"{cov.fuzzy} fuzzy or outdated, {cov.missing} missing")
            for label, keys in (("fuzzy", cov.fuzzy_keys), ("missing", cov.missing_keys)):
                for key in keys:
                    click.echo(f"    {label}: {key}")
    if report.topics:
        click.echo("\nSMS answers: segments/characters per language (* = English fallback)")
        _print_rows(report.topics, languages)
    if report.system:
        worst = max(report.system, key=lambda r: (r.count.segments, r.count.units))
        click.echo(f"\nSystem texts: {len({r.key for r in report.system})} keys x {len(languages)} languages; "
                   f"longest {worst.language} {worst.key}: {worst.count.segments} segments, "
                   f"{worst.count.units} characters ({worst.count.encoding})")
        if all_rows:
            _print_rows(report.system, languages)
    errors, warnings = len(report.problems.errors), len(report.problems.warnings)
    click.echo(f"\n{errors} error(s), {warnings} warning(s)")


def _print_rows(rows: list[SmsRow], languages: tuple[str, ...]) -> None:
    table: dict[tuple[str, str], dict[str, SmsRow]] = {}
    for row in rows:
        table.setdefault((row.jurisdiction, row.key), {})[row.language] = row
    width = max(len(f"{j}:{k}") for j, k in table) + 2
    click.echo("  " + " " * width + "".join(f"{code:<16}" for code in languages))
    for (jurisdiction, key), cells in table.items():
        line = f"  {jurisdiction + ':' + key:<{width}}"
        for code in languages:
            cell = cells.get(code)
            if cell is None:
                line += f"{'-':<16}"
                continue
            mark = "" if cell.translated else "*"
            encoding = "" if cell.count.encoding == "GSM-7" else " UCS-2"
            line += f"{f'{cell.count.segments} / {cell.count.units}{encoding}{mark}':<16}"
        click.echo(line)


@content.command()
@click.argument("key")
@click.option("--lang", "language", default="en", show_default=True)
@click.option("--channel", type=click.Choice(["sms", "telegram"]), default="sms", show_default=True)
@click.option("--jurisdiction", default="za", show_default=True)
@path_options
def preview(key: str, language: str, channel: str, jurisdiction: str, content_dir: Path,
            locales_dir: Path, languages: str) -> None:
    """Show exactly what a person receives for KEY (an intent or a system text key)."""
    from bot.content.preview import build_messages, describe_all

    codes = _codes(languages)
    try:
        library = ContentLibrary.load(content_dir, locales_dir, codes)
    except ContentError as error:
        for problem in error.problems:
            click.echo(problem.format(PROJECT_ROOT), err=True)
        sys.exit(1)
    try:
        messages = build_messages(library, key, language, jurisdiction, codes, channel)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="KEY") from None
    click.echo(describe_all(messages, channel))
