"""The console in a real browser: Debian's Chromium driven by Playwright (no browser
download; `make chromium` installs it). A responder on a 390 px phone signs in with an
authenticator code, acknowledges and closes a case; a coordinator reassigns one and sees
the overdue one stand out."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from werkzeug.serving import make_server

from tests.console.console_world import PASSWORD, ConsoleWorld, Login

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def site(world: ConsoleWorld) -> Iterator[str]:
    """The app on a real socket. ``localhost``: a secure context, so Secure cookies work
    over plain HTTP in the test (and only there)."""
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    yield context.new_page()
    context.close()


def tap_and_wait(page: Any, selector: str) -> Any:
    """Tap a link or submit button and wait for the page it leads to."""
    with page.expect_navigation() as navigation:
        page.tap(selector)
    return navigation.value


def sign_in(page: Any, site: str, world: ConsoleWorld, login: Login) -> None:
    page.goto(f"{site}/console/")
    assert page.url.endswith("/console/login")
    page.fill("input[name=username]", login.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Next')")
    page.fill("input[name=code]", world.next_code(login))
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{site}/console/")


def test_a_responder_signs_in_with_totp_and_sees_only_their_cases(world, site, phone) -> None:  # type: ignore[no-untyped-def]
    mine = world.responder(region="gauteng")
    world.responder(region="western_cape")
    my_case = world.open_case(region="gauteng")
    other_case = world.open_case(region="western_cape")
    login = world.enrol(world.invitation(responder_id=mine))

    phone.goto(f"{site}/console/")
    phone.fill("input[name=username]", login.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button:has-text('Next')")
    phone.fill("input[name=code]", "123456" if pyotp.TOTP(login.secret).now() != "123456" else "654321")
    phone.click("button:has-text('Sign in')")
    assert "That code is not right" in phone.content()
    phone.fill("input[name=code]", world.next_code(login))
    phone.click("button:has-text('Sign in')")
    phone.wait_for_url(f"{site}/console/")

    assert phone.locator(f"[data-reference='{my_case}']").count() == 1
    assert other_case not in phone.content()
    answer = phone.goto(f"{site}/console/case/{other_case}")
    assert answer is not None and answer.status == 404


def test_from_the_inbox_to_ack_in_two_taps_then_close_with_an_outcome(world, site, phone) -> None:  # type: ignore[no-untyped-def]
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder))
    sign_in(phone, site, world, login)

    tap_and_wait(phone, f"[data-reference='{reference}'] a")  # tap 1: the case
    tap_and_wait(phone, "#ack")  # tap 2: acknowledged
    assert phone.locator("#status").inner_text().startswith("acknowledged")

    phone.select_option("select[name=outcome]", "released")
    phone.fill("form:has(#close) textarea[name=note]", "Released without charge")
    tap_and_wait(phone, "#close")
    assert phone.locator("#status").inner_text() == "closed (released)"
    assert world.case(reference).outcome_code == "released"


def test_a_coordinator_sees_the_overdue_case_and_reassigns_it(world, site, phone) -> None:  # type: ignore[no-untyped-def]
    first = world.responder(name="Nomsa")
    second = world.responder(name="Pieter")
    calm = world.open_case(urgency="normal")
    late = world.open_case(urgency="normal")
    world.make_overdue(late, minutes=12)
    assert world.case(late).responder_id in (first, second)
    login = world.enrol(world.invitation(organisation="Sisonke"))
    sign_in(phone, site, world, login)

    overdue = phone.locator(f"li.case.overdue[data-reference='{late}']")
    assert overdue.count() == 1 and "OVERDUE" in overdue.inner_text()
    assert phone.locator(f"li.case.overdue[data-reference='{calm}']").count() == 0
    colour = overdue.locator("a").evaluate("e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(179, 38, 30)"  # the red edge

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "console-inbox-390.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the inbox scrolls sideways at 390 px ({width} px wide)"

    tap_and_wait(phone, f"[data-reference='{late}'] a")
    target = second if world.case(late).responder_id == first else first
    phone.select_option("select[name=responder]", str(target))
    tap_and_wait(phone, "#reassign")
    assert world.case(late).responder_id == target
    assert world.case(late).status == "assigned"
    phone.screenshot(path=str(SCREENSHOTS / "console-case-390.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_form_without_its_csrf_token_is_refused_in_the_browser(world, site, phone) -> None:  # type: ignore[no-untyped-def]
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder))
    sign_in(phone, site, world, login)
    phone.goto(f"{site}/console/case/{reference}")
    phone.locator("form:has(#ack) input[name=csrf_token]").evaluate("e => e.remove()")
    assert tap_and_wait(phone, "#ack").status == 400
    assert world.case(reference).status == "assigned"
