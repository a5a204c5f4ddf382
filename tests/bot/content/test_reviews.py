"""The review trail: every text has a record; a reviewer signs a pack in a real browser; a
signed text turns stale when its text, a relied-on fact or its age says so."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.content.checks import run_checks
from bot.content.cli import content
from bot.content.problems import ProblemList
from bot.content.reviews import (
    SIGNOFF_FORMAT,
    load_all_translations,
    review_report,
    review_units,
    sign_off,
)
from bot.content.schema import parse_content
from bot.settings import PROJECT_ROOT
from bot.settings import SUPPORTED_LANGUAGES

CONTENT = PROJECT_ROOT / "content"
LOCALES = PROJECT_ROOT / "locales"
LANGUAGES = ("en", "zu", "af")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture()
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copytree(LOCALES, tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path / "content", tmp_path / "locales"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(content, list(args))
    return result.exit_code, result.output


def paths(dirs: tuple[Path, Path]) -> list[str]:
    return ["--content-dir", str(dirs[0]), "--locales-dir", str(dirs[1])]


def loaded(dirs: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    problems = ProblemList()
    found = parse_content(dirs[0], problems, reviews=True)
    assert not problems.errors, problems.errors
    return found, load_all_translations(dirs[1], LANGUAGES)


def test_every_text_has_a_draft_record_until_someone_signs() -> None:
    report = run_checks(CONTENT, LOCALES, LANGUAGES)
    assert report.ok and report.reviews is not None
    for language in LANGUAGES:
        groups = report.reviews.by_language(language)
        # Nobody has signed yet: we do not invent reviewers.
        assert groups["reviewed"] == [] and groups["stale"] == []
        assert groups["draft"], language
        for state in groups["draft"]:
            assert state.record is not None, f"{state.unit.key} {language} has no review record"
            assert state.record.status == "draft" and not state.record.reviewer
    # Texts of every kind carry a record: topic bodies per channel, safety, consent, privacy.
    keys = {state.unit.key for state in report.reviews.states}
    assert {"za:topic.rights_search.sms", "za:topic.rights_search.full",
            "za:topic.urgent_arrested_now.sms", "common:system.esc_consent",
            "common:system.privacy_notice", "common:system.esc_resp_new"} <= keys


def test_check_lists_draft_keys_per_language() -> None:
    code, output = run("check")
    assert code == 0, output
    assert "Review trail" in output
    assert "  zu: 0 reviewed, " in output and "draft: " in output
    assert "za:topic.rights_search.sms" in output


def test_the_privacy_and_consent_texts_rely_on_the_retention_facts() -> None:
    found, _ = loaded((CONTENT, LOCALES))
    facts = {unit.key: unit.facts for unit in review_units(found)}
    assert "privacy_retention" in facts["common:system.privacy_notice"]
    assert "rerouting_disclosure" in facts["common:system.esc_consent"]
    assert "search_trans_no_rule" in facts["za:topic.rights_search.sms"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_reviewer_signs_a_pack_in_the_browser_and_sign_off_records_it(dirs, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    code, output = run("review-pack", "--lang", "zu", "--out", str(tmp_path / "packs"), *paths(dirs))
    assert code == 0, output
    html = next((tmp_path / "packs").glob("*.html"))
    pdf = next((tmp_path / "packs").glob("*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF")
    page_text = html.read_text(encoding="utf-8")
    # Self-contained: no script, style or font from the network.
    assert "<script src" not in page_text and "<link" not in page_text
    assert "Back-translation into English" in page_text and "English source" in page_text

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(accept_downloads=True)
        page.goto(html.as_uri())
        page.fill("#name", "Thandi Test")
        page.select_option("#role", "native speaker")
        first = page.locator(".item").nth(0)
        first.locator("input.check[value='translation']").check()
        first.locator("input.check[value='back-translation']").check()
        first.locator("textarea.back").fill("back translation of the first text")
        first.locator("input.approve").check()
        second = page.locator(".item").nth(1)
        second.locator("textarea.comment").fill("wrong noun class")
        with page.expect_download() as download:
            page.click("button:has-text('Save my review')")
        saved = tmp_path / "review.json"
        download.value.save_as(saved)
        first_key = first.get_attribute("data-key")
        browser.close()

    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["format"] == SIGNOFF_FORMAT and data["language"] == "zu"
    code, output = run("sign-off", str(saved), *paths(dirs))
    assert code == 0, output
    assert "signed: 1" in output and "wrong noun class" in output
    reviews = (dirs[0] / first_key.split(":")[0] / "reviews.yml").read_text(encoding="utf-8")
    assert "Thandi Test" in reviews and "native speaker" in reviews
    assert list((dirs[0] / "_signoffs").glob("*-zu-thandi-test.json"))
    report = run_checks(*dirs, LANGUAGES)
    groups = report.reviews.by_language("zu")  # type: ignore[union-attr]
    assert [s.unit.key for s in groups["reviewed"]] == [first_key]


def _sign(dirs, key: str, language: str = "en", role: str = "lawyer", date: str = "2026-12-01",
          checks: tuple[str, ...] = ("law",)):  # type: ignore[no-untyped-def]
    found, translations = loaded(dirs)
    report = review_report(found, translations, LANGUAGES, dt.date(2026, 12, 3))
    state = next(s for s in report.states if s.unit.key == key and s.language == language)
    data = {"format": SIGNOFF_FORMAT, "language": language, "date": date,
            "reviewer": {"name": "A Lawyer", "role": role},
            "texts": [{"key": key, "fingerprint": state.fingerprint, "checks": list(checks), "approved": True}]}
    return sign_off(found, translations, data)


def _status(dirs, key: str, today: dt.date, language: str = "en") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    found, translations = loaded(dirs)
    report = review_report(found, translations, LANGUAGES, today)
    state = next(s for s in report.states if s.unit.key == key and s.language == language)
    return state.status, state.reason


def test_a_signed_text_is_reviewed_then_stale_when_a_fact_it_relies_on_changes(dirs) -> None:
    key = "za:topic.rights_48_hours.sms"
    assert _sign(dirs, key).signed == [key]
    assert _status(dirs, key, dt.date(2026, 12, 3))[0] == "reviewed"
    facts = dirs[0] / "za" / "facts.yml"
    text = facts.read_text(encoding="utf-8")
    start = text.index("  court_48h:")
    at = text.index("changed: 2026-11-26", start)
    facts.write_text(text[:at] + "changed: 2026-12-02" + text[at + len("changed: 2026-11-26"):], encoding="utf-8")
    status, reason = _status(dirs, key, dt.date(2026, 12, 3))
    assert status == "stale" and "court_48h" in reason


def test_a_signed_text_is_stale_when_its_text_changes_or_after_twelve_months(dirs) -> None:
    key = "za:topic.rights_bail.sms"
    assert _sign(dirs, key).signed == [key]
    assert _status(dirs, key, dt.date(2027, 12, 30))[0] == "stale"  # older than 12 months
    rights = dirs[0] / "za" / "rights.yml"
    rights.write_text(rights.read_text(encoding="utf-8").replace(
        "Police must tell you that you can apply for bail.", "Police must say you can apply for bail.", 1),
        encoding="utf-8")
    status, reason = _status(dirs, key, dt.date(2026, 12, 3))
    assert status == "stale" and "text changed" in reason


def test_sign_off_needs_a_person_and_a_lawyer_for_the_law(dirs) -> None:
    key = "za:topic.rights_bail.sms"
    result = _sign(dirs, key, role="native speaker", checks=("law",))
    assert result.signed == [] and "needs a lawyer or paralegal" in result.skipped[0]
    found, translations = loaded(dirs)
    nameless = sign_off(found, translations, {"format": SIGNOFF_FORMAT, "language": "en", "date": "2026-12-01",
                                              "reviewer": {"name": "", "role": "lawyer"}, "texts": []})
    assert nameless.errors and "name" in nameless.errors[0]


def test_review_init_adds_records_only_where_missing(dirs) -> None:
    code, output = run("review-init", *paths(dirs))
    assert code == 0 and "already has a review record" in output
    rights = dirs[0] / "za" / "rights.yml"
    rights.write_text(rights.read_text(encoding="utf-8").replace(
        "  rights_bail:\n", "  rights_bail:\n", 1), encoding="utf-8")
    reviews = dirs[0] / "za" / "reviews.yml"
    before = reviews.read_text(encoding="utf-8")
    reviews.write_text(before.replace('  "za:topic.rights_bail.sms":\n', '  "za:topic.rights_bail.smsX":\n', 1),
                       encoding="utf-8")
    code, output = run("review-init", *paths(dirs))
    # One record per language for the renamed text.
    assert code == 0 and f"{len(SUPPORTED_LANGUAGES)} draft record(s) added" in output
