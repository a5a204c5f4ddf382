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
    if report.reviews is not None:
        click.echo("\nReview trail (reviewed = signed and current; stale = text, age or a fact changed "
                   "since; draft = not signed):")
        for language in languages:
            groups = report.reviews.by_language(language)
            click.echo(f"  {language}: " + ", ".join(f"{len(groups[s])} {s}" for s in groups))
            for status in ("stale", "draft"):
                if groups[status]:
                    click.echo(f"    {status}: " + ", ".join(state.unit.key for state in groups[status]))
            if all_rows:  # who signed what
                for state in groups["reviewed"]:
                    click.echo(f"    reviewed: {state.unit.key} ({state.reason})")
            for state in groups["stale"]:
                click.echo(f"    why stale: {state.unit.key}: {state.reason}")
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


def _load_for_reviews(content_dir: Path, locales_dir: Path, codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from bot.content.problems import ProblemList
    from bot.content.reviews import load_all_translations
    from bot.content.schema import parse_content
    from bot.content.validate import validate

    problems = ProblemList()
    loaded = parse_content(content_dir, problems, reviews=True)
    if not problems.errors:
        validate(loaded, problems)
    if problems.errors:
        for problem in problems.errors:
            click.echo(problem.format(PROJECT_ROOT), err=True)
        sys.exit(1)
    return loaded, load_all_translations(locales_dir, codes)


@content.command("review-init")
@path_options
def review_init(content_dir: Path, locales_dir: Path, languages: str) -> None:
    """Give every text without a review record a draft record (never changes existing ones)."""
    import datetime as dt

    from bot.content.reviews import init_records

    codes = _codes(languages)
    loaded, translations = _load_for_reviews(content_dir, locales_dir, codes)
    added = init_records(loaded, translations, codes, dt.date.today())
    for path, count in added.items():
        click.echo(f"{path}: {count} draft record(s) added")
    if not added:
        click.echo("every text already has a review record")


@content.command("review-pack")
@click.option("--lang", "language", required=True, help="The language to review, e.g. zu.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=PROJECT_ROOT / "var" / "review-packs", show_default=True)
@click.option("--only", type=click.Choice(["all", "unreviewed"]), default="all", show_default=True,
              help="unreviewed: only draft and stale texts.")
@path_options
def review_pack(language: str, out_dir: Path, only: str, content_dir: Path, locales_dir: Path,
                languages: str) -> None:
    """Write a self-contained HTML review pack and a PDF for a reviewer of LANG."""
    import datetime as dt

    from bot.content.review_pack import build_pack, write_html, write_pdf
    from bot.content.reviews import review_report

    codes = _codes(languages)
    if language not in codes:
        raise click.BadParameter(f"not one of {', '.join(codes)}", param_hint="--lang")
    loaded, translations = _load_for_reviews(content_dir, locales_dir, codes)
    report = review_report(loaded, translations, codes, dt.date.today())
    pack = build_pack(loaded, report, language, only_unreviewed=(only == "unreviewed"))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"haki-review-{language}-{dt.date.today().isoformat()}"
    html, pdf = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    write_html(pack, html)
    write_pdf(pack, pdf)
    click.echo(f"{len(pack.items)} texts for a {language} review:\n  {html}\n  {pdf}")


@content.command("sign-off")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@path_options
def sign_off_command(file: Path, content_dir: Path, locales_dir: Path, languages: str) -> None:
    """Record a completed review: FILE is what the review pack's "Save my review" wrote."""
    import json

    from bot.content.reviews import sign_off

    codes = _codes(languages)
    loaded, translations = _load_for_reviews(content_dir, locales_dir, codes)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"cannot read {file}: {error}", param_hint="FILE") from None
    result = sign_off(loaded, translations, data if isinstance(data, dict) else {})
    for problem in result.errors:
        click.echo(f"error: {problem}", err=True)
    if result.errors:
        sys.exit(1)
    click.echo(f"signed: {len(result.signed)}")
    for key in result.signed:
        click.echo(f"  {key}")
    for label, items in (("not approved (stay as they were)", result.not_approved),
                         ("skipped", result.skipped)):
        if items:
            click.echo(f"{label}: {len(items)}")
            for item in items:
                click.echo(f"  {item}")
    if result.archived:
        click.echo(f"the completed review is kept in {result.archived}")
