"""The sandbox is a toy: never in production, and nothing typed there is real (issue 13,
item 4). A developer walks the sandbox through an urgent case with a registered responder;
the responder hears nothing and the real database stays empty."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.escalation.models import AnonymousReport, Case, Notification
from bot.settings import SettingsError
from bot.storage.models import Person
from tests.webhooks.urgent_world import add_paralegal


def test_the_sandbox_refuses_to_start_in_production(make_app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError, match="HAKI_SANDBOX"):
        make_app(environment="production", sandbox=True)


def test_haki_serve_refuses_the_sandbox_in_production_in_one_line() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    haki = Path(sys.executable).parent / "haki"
    env = {**os.environ, "HAKI_ENVIRONMENT": "production", "HAKI_SANDBOX": "1",
           "HAKI_SECRET_KEY": "k" * 48}
    done = subprocess.run([str(haki), "serve", "--port", "1"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "HAKI_SANDBOX=1 is refused" in done.stderr and "Traceback" not in done.stderr


def _rows(services, model) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("as_sms", [False, True])
def test_a_sandbox_case_never_reaches_a_responder_or_the_figures(make_app, telegram_api,  # type: ignore[no-untyped-def]
                                                                 as_sms: bool) -> None:
    app = make_app(**telegram_api.settings())
    services = app.haki.services
    paralegal = add_paralegal(services)
    people_before = _rows(services, Person)  # the responder's own row
    client = app.test_client()
    session = "sandbox0session0" + ("sms" if as_sms else "web")

    def say(**fields: str) -> list[dict]:  # type: ignore[type-arg]
        body = {"session": session, **fields} | ({"as": "sms"} if as_sms else {})
        answer = client.post("/sandbox/message", json=body)
        assert answer.status_code == 200
        return answer.get_json()["replies"]

    say(start="peerCODE1")  # a peer's referral code, as a QR poster would carry
    replies = say(text="police are beating me now help")
    assert any(o["key"] == "esc:kind:paralegal" for r in replies for o in r["options"])
    nobody = say(button="esc:kind:paralegal")
    # The sandbox's own database has no responders, so Haki says so honestly before
    # consent; the person keeps the case for the next paralegal on duty.
    assert any(o["key"] == "esc:wait" for r in nobody for o in r["options"])
    say(button="esc:wait")
    say(button="esc:region:gauteng")
    if as_sms:
        say(button="answer:no")  # no call-back
    created = say(button="answer:yes")
    assert "Saved as case" in " ".join(r["text"] for r in created)
    app.haki.background.drain()
    # Nothing in the real database: no person, no case, no notice, no anonymous report.
    assert _rows(services, Person) == people_before
    for model in (Case, Notification, AnonymousReport):
        assert _rows(services, model) == 0, model.__name__
    assert [m for m in telegram_api.sent_messages() if m["chat_id"] == paralegal] == []


def test_the_page_does_not_claim_nothing_is_stored(make_app) -> None:  # type: ignore[no-untyped-def]
    page = make_app().test_client().get("/").data.decode()
    assert "Nothing typed here is stored" not in page
    assert "separate sandbox database" in page
