"""The console over HTTP, as its users meet it: an invitation, a password and an
authenticator code; a responder who sees their own cases and nobody else's; a coordinator
who sees the organisation's; every form guarded by a CSRF token; every look and every
action in the audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.escalation.models import AuditEntry, Case, CaseEvent
from bot.storage.base import utcnow
from tests.console.console_world import PASSWORD, ConsoleWorld


def audit_actions(world: ConsoleWorld) -> list[tuple[str, str]]:
    with world.services.db.session() as session:
        return [(a.actor, a.action) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- off by default, and behind a sign-in ---------------------------------------------------------
def test_the_console_is_off_unless_switched_on(console_for, sqlite_url) -> None:
    world = console_for(sqlite_url, console=False)
    assert world.app.test_client().get("/console/").status_code == 404


def test_without_a_session_the_console_sends_you_to_sign_in(world: ConsoleWorld) -> None:
    answer = world.app.test_client().get("/console/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/console/login")


def test_pages_carry_a_strict_csp_and_are_never_cached(world: ConsoleWorld) -> None:
    answer = world.app.test_client().get("/console/login")
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "script-src" not in answer.headers["Content-Security-Policy"]  # no script at all
    assert answer.headers["Cache-Control"] == "no-store"
    assert "<script" not in answer.get_data(as_text=True)


# --- accounts ------------------------------------------------------------------------------------
def test_an_invited_coordinator_enrols_with_totp_and_signs_in_again_later(world: ConsoleWorld) -> None:
    login = world.enrol(world.invitation(organisation="Sisonke"), "thandi")
    assert len(login.recovery_codes) == 8
    assert "Sisonke: open cases" in login.get("/console/").get_data(as_text=True)

    again = world.sign_in(login)
    assert again.status_code == 302 and again.headers["Location"].endswith("/console/")
    cookie = again.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("thandi (coordinator)", "login") in audit_actions(world)


def test_a_password_alone_does_not_open_the_console(world: ConsoleWorld) -> None:
    login = world.enrol(world.invitation(organisation="Sisonke"))
    answer = world.sign_in(login, code="000000")
    assert answer.status_code == 401
    assert login.client.get("/console/").status_code == 302  # still not in


def test_a_recovery_code_works_once(world: ConsoleWorld) -> None:
    login = world.enrol(world.invitation(organisation="Sisonke"))
    code = login.recovery_codes[0]
    assert world.sign_in(login, code=code.lower()).status_code == 302
    assert world.sign_in(login, code=code).status_code == 401


def test_an_invitation_is_used_once_and_expires(world: ConsoleWorld) -> None:
    token = world.invitation(organisation="Sisonke")
    world.enrol(token)
    assert world.app.test_client().get(f"/console/enrol?token={token}").status_code == 404
    old = world.invitation(organisation="Sisonke", now=utcnow() - timedelta(hours=49))
    assert world.app.test_client().get(f"/console/enrol?token={old}").status_code == 404


def test_guessing_passwords_is_stopped_after_five_tries(world: ConsoleWorld) -> None:
    login = world.enrol(world.invitation(organisation="Sisonke"), "sipho")
    client = world.app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    statuses = []
    for _ in range(6):
        page = client.get("/console/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        statuses.append(client.post("/console/login", data={
            "csrf_token": csrf, "username": "sipho", "password": "wrong password!"}).status_code)
    assert statuses == [401] * 5 + [429]
    # Even the right password waits out the window now.
    assert world.sign_in(login).status_code == 429


def test_a_form_without_its_csrf_token_is_refused(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder))
    answer = login.post(f"/console/case/{reference}/ack", with_token=False)
    assert answer.status_code == 400
    assert world.case(reference).status == "assigned"


# --- deny by default --------------------------------------------------------------------------------
def test_a_responder_sees_only_their_own_cases(world: ConsoleWorld) -> None:
    mine, other = world.responder(region="gauteng"), world.responder(region="western_cape")
    my_case = world.open_case(region="gauteng")
    their_case = world.open_case(region="western_cape")
    login = world.enrol(world.invitation(responder_id=mine))

    inbox = login.get("/console/").get_data(as_text=True)
    assert my_case in inbox and their_case not in inbox
    assert login.get(f"/console/case/{their_case}").status_code == 404
    assert login.post(f"/console/case/{their_case}/ack").status_code == 404
    assert world.case(their_case).status == "assigned"
    assert world.case(their_case).responder_id == other


def test_no_case_is_visible_across_organisations(world: ConsoleWorld) -> None:
    world.responder("Sisonke", region="gauteng")
    world.responder("Legal Aid", region="western_cape")
    ours, theirs = world.open_case(region="gauteng"), world.open_case(region="western_cape")
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))
    inbox = coordinator.get("/console/").get_data(as_text=True)
    assert ours in inbox and theirs not in inbox
    assert coordinator.get(f"/console/case/{theirs}").status_code == 404


def test_an_admin_sees_no_cases(world: ConsoleWorld) -> None:
    world.responder()
    reference = world.open_case()
    admin = world.enrol(world.invitation(role="admin"))
    page = admin.get("/console/").get_data(as_text=True)
    assert reference not in page and "sees no cases" in page
    assert admin.get(f"/console/case/{reference}").status_code == 404


def test_an_oversight_body_reads_the_figures_and_never_a_case(world: ConsoleWorld) -> None:
    world.responder()
    reference = world.open_case()
    reader = world.enrol(world.invitation(role="oversight", organisation="Human Rights Commission"))
    landing = reader.get("/console/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/console/figures")
    figures = reader.get("/console/figures")
    page = figures.get_data(as_text=True)
    assert figures.status_code == 200 and "<svg" in page and reference not in page
    assert "'unsafe-inline'" in figures.headers["Content-Security-Policy"]  # its own inline CSS
    assert "script-src" not in figures.headers["Content-Security-Policy"]  # still no script
    assert reader.get(f"/console/case/{reference}").status_code == 404
    assert reader.get("/console/audit").status_code == 404
    assert reader.get("/console/figures?from=2026-13&to=2026-01").status_code == 400
    assert any(action == "view_figures" for _, action in audit_actions(world))


def test_figures_are_for_coordinators_and_oversight_only(world: ConsoleWorld) -> None:
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))
    assert coordinator.get("/console/figures").status_code == 200
    assert "Figures" in coordinator.get("/console/").get_data(as_text=True)
    responder = world.enrol(world.invitation(responder_id=world.responder()))
    assert responder.get("/console/figures").status_code == 404
    assert world.enrol(world.invitation(role="admin")).get("/console/figures").status_code == 404


def test_a_responder_keeps_seeing_a_case_that_moved_on_but_cannot_act(world: ConsoleWorld) -> None:
    first, second = world.responder(), world.responder()
    reference = world.open_case()
    assert world.case(reference).responder_id == first
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))
    coordinator.post(f"/console/case/{reference}/reassign", {"responder": second})
    login = world.enrol(world.invitation(responder_id=first))
    page = login.get(f"/console/case/{reference}").get_data(as_text=True)
    assert page and 'id="ack"' not in page
    assert login.post(f"/console/case/{reference}/ack").status_code == 403


# --- the inbox and the case ------------------------------------------------------------------------
def test_the_inbox_puts_overdue_and_urgent_cases_first(world: ConsoleWorld) -> None:
    world.responder()
    calm = world.open_case(urgency="normal")
    urgent = world.open_case(urgency="urgent")
    late = world.open_case(urgency="normal")
    world.make_overdue(late)
    login = world.enrol(world.invitation(organisation="Sisonke"))
    inbox = login.get("/console/").get_data(as_text=True)
    order = re.findall(r'data-reference="([^"]+)"', inbox)
    assert order.index(urgent) < order.index(calm)
    assert order.index(late) < order.index(calm)
    overdue_item = re.search(r'<li class="([^"]*)" data-reference="' + late, inbox)
    assert overdue_item and "overdue" in overdue_item.group(1)
    assert "OVERDUE" in inbox
    assert "1 overdue" in re.search(r'id="alerts">(.*?)</p>', inbox, re.DOTALL).group(1)  # type: ignore[union-attr]


def test_acknowledge_and_close_with_an_outcome_tell_the_person_once_sent(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder), "lindiwe")

    assert login.post(f"/console/case/{reference}/ack").status_code == 302
    assert world.case(reference).status == "acknowledged"
    world.settle()
    page = login.get(f"/console/case/{reference}").get_data(as_text=True)
    assert re.search(r"acknowledged: sent \d\d:\d\d", page)
    assert any("acknowledged" in m["Body"].lower() or reference in m["Body"]
               for m in world.twilio.sent_messages())

    answer = login.post(f"/console/case/{reference}/close",
                        {"outcome": "legal_aid", "note": "Referred to the Legal Aid office"})
    assert answer.status_code == 302
    case = world.case(reference)
    assert (case.status, case.outcome_code) == ("closed", "legal_aid")
    actions = audit_actions(world)
    assert ("lindiwe via console", "ack") in actions and ("lindiwe via console", "close") in actions


def test_an_unknown_outcome_code_is_refused(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder))
    answer = login.post(f"/console/case/{reference}/close", {"outcome": "vanished", "note": ""})
    assert answer.status_code == 400
    assert world.case(reference).status == "assigned"


def test_a_coordinator_reassigns_within_the_organisation(world: ConsoleWorld) -> None:
    first, second = world.responder(), world.responder()
    outsider = world.responder("Legal Aid", region="western_cape")
    reference = world.open_case()
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))

    assert coordinator.post(f"/console/case/{reference}/reassign", {"responder": outsider}).status_code == 403
    assert coordinator.post(f"/console/case/{reference}/reassign", {"responder": second}).status_code == 302
    case = world.case(reference)
    assert case.responder_id == second and case.status == "assigned"
    kinds = [(n.kind, n.responder_id) for n in world.notifications(reference)]
    assert ("reassigned", first) in kinds and ("assigned", second) in kinds


def test_notes_are_kept_encrypted_and_shown_on_the_case(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case()
    login = world.enrol(world.invitation(responder_id=responder))
    login.post(f"/console/case/{reference}/note", {"note": "Called the station, waiting"})
    assert "Called the station, waiting" in login.get(f"/console/case/{reference}").get_data(as_text=True)
    from bot.escalation.models import CaseNote

    with world.services.db.session() as session:
        stored = session.scalars(select(CaseNote.text_encrypted)).all()
    assert stored and all("station" not in text for text in stored)


def test_the_call_back_number_is_shown_only_on_request_and_logged(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case(callback=True, number="+27825550123")
    login = world.enrol(world.invitation(responder_id=responder), "ayanda")
    page = login.get(f"/console/case/{reference}").get_data(as_text=True)
    assert "+27825550123" not in page and "Show number" in page
    shown = login.post(f"/console/case/{reference}/reveal").get_data(as_text=True)
    assert "+27825550123" in shown
    assert ("ayanda via console", "reveal_callback") in audit_actions(world)


def test_no_call_back_number_without_consent(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case(callback=False)
    login = world.enrol(world.invitation(responder_id=responder))
    assert login.post(f"/console/case/{reference}/reveal").status_code == 404


# --- audit -----------------------------------------------------------------------------------------
def test_the_coordinator_sees_who_looked_at_and_did_what(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case(callback=True)
    login = world.enrol(world.invitation(responder_id=responder), "bongani")
    login.get(f"/console/case/{reference}")
    login.post(f"/console/case/{reference}/reveal")
    login.post(f"/console/case/{reference}/ack")
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))
    audit = coordinator.get("/console/audit").get_data(as_text=True)
    for action in ("view case", "reveal callback", "ack"):
        assert f"bongani via console · {action}" in audit
    assert login.get("/console/audit").status_code == 404  # responders do not get the audit page


def test_audit_rows_and_logs_carry_no_summary_or_number(world: ConsoleWorld, caplog) -> None:  # type: ignore[no-untyped-def]
    responder = world.responder()
    reference = world.open_case(callback=True, number="+27825550999")
    login = world.enrol(world.invitation(responder_id=responder))
    with caplog.at_level("DEBUG"):
        login.post(f"/console/case/{reference}/reveal")
        login.post(f"/console/case/{reference}/note", {"note": "private words"})
        login.post(f"/console/case/{reference}/close", {"outcome": "released", "note": "private close"})
    with world.services.db.session() as session:
        rows = [f"{a.actor} {a.detail}" for a in session.scalars(select(AuditEntry))]
        rows += [e.detail for e in session.scalars(select(CaseEvent))]
    text = " ".join(rows) + caplog.text
    for secret in ("+27825550999", "private words", "private close", PASSWORD):
        assert secret not in text


@pytest.mark.postgres
def test_deny_by_default_holds_on_postgresql(pg_world: ConsoleWorld) -> None:
    mine = pg_world.responder(region="gauteng")
    pg_world.responder("Legal Aid", region="western_cape")
    my_case, other = pg_world.open_case(region="gauteng"), pg_world.open_case(region="western_cape")
    login = pg_world.enrol(pg_world.invitation(responder_id=mine))
    inbox = login.get("/console/").get_data(as_text=True)
    assert my_case in inbox and other not in inbox
    assert login.post(f"/console/case/{my_case}/ack").status_code == 302
    with pg_world.services.db.session() as session:
        assert session.scalar(select(Case.status).where(Case.reference == my_case)) == "acknowledged"


def test_a_case_nobody_on_duty_could_take_reaches_the_responsible_coordinator(world: ConsoleWorld) -> None:
    responder = world.responder("Sisonke", region="gauteng")
    with world.services.db.session() as session:
        from bot.escalation.models import Responder

        row = session.get(Responder, responder)
        assert row is not None
        row.on_duty = False
    reference = world.open_case(region="gauteng")
    case = world.case(reference)
    assert (case.status, case.organisation) == ("unassigned", "Sisonke")
    coordinator = world.enrol(world.invitation(organisation="Sisonke"))
    inbox = coordinator.get("/console/").get_data(as_text=True)
    assert reference in inbox and "NO RESPONDER" in inbox


def test_the_responders_notice_links_to_the_case_in_the_console(world: ConsoleWorld) -> None:
    world.responder()
    reference = world.open_case()
    world.settle()
    [notice] = world.telegram.sent_messages()
    assert f"https://localhost/console/case/{reference}" in notice["text"]


def test_an_authenticator_code_is_accepted_only_once(world: ConsoleWorld) -> None:
    login = world.enrol(world.invitation(organisation="Sisonke"))
    code = world.next_code(login)
    assert world.sign_in(login, code=code).status_code == 302
    assert world.sign_in(login, code=code).status_code == 401


def test_an_admin_disables_an_account_and_its_sessions_end_at_once(world: ConsoleWorld) -> None:
    responder = world.responder()
    reference = world.open_case()
    officer = world.enrol(world.invitation(responder_id=responder), "officer")
    assert reference in officer.get("/console/").get_data(as_text=True)
    admin = world.enrol(world.invitation(role="admin"), "root")
    page = admin.get("/console/admin").get_data(as_text=True)
    assert 'data-username="officer"' in page and reference not in page
    with world.services.db.session() as session:
        from bot.escalation.models import ConsoleAccount

        officer_id = session.scalar(select(ConsoleAccount.id).where(ConsoleAccount.username == "officer"))
    answer = admin.post(f"/console/admin/account/{officer_id}/active", {"active": "0"},
                        token_from="/console/admin")
    assert answer.status_code == 302
    assert officer.get("/console/").status_code == 302  # signed out
    assert world.sign_in(officer).status_code == 401  # and cannot sign in again
    assert ("root (admin) via console", "account_disabled") in audit_actions(world)
    assert officer.get("/console/admin").status_code == 302
    responder_login = world.enrol(world.invitation(responder_id=responder))
    assert responder_login.get("/console/admin").status_code == 404  # admins only
