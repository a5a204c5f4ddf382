"""The oversight JSON API: a token of the oversight scope opens it, nothing else does, and
its answer holds no figure from 1 to 4."""

from __future__ import annotations

from figures_world import at
from flask import Flask

from bot.figures import api
from bot.figures.tokens import OVERSIGHT_SCOPE, new_token, revoke_scope


def client_with(services):  # type: ignore[no-untyped-def]
    app = Flask("figures-test")
    app.extensions["haki_services"] = services
    app.register_blueprint(api.blueprint)
    return app.test_client()


def token(services, scope: str) -> str:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        value = new_token(session, scope, "test")
        session.commit()
    return value


def test_the_oversight_body_reads_the_published_figures_with_its_token(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_records.services
    sqlite_records.many(["2026-01", "2026-02"], 60)
    client = client_with(services)
    secret = token(services, OVERSIGHT_SCOPE)
    answer = client.get("/api/figures/monthly?from=2026-01&to=2026-02",
                        headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert {row["month"] for row in body["figures"]} == {"2026-01", "2026-02"}
    shown = [row["count"] for row in body["figures"]]
    assert None in shown and not [n for n in shown if n is not None and 0 < n < 5]
    assert [v["id"] for v in body["violations"]][-1] == "other"


def test_no_token_a_wrong_token_or_an_organisation_token_is_refused(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_records.services
    client = client_with(services)
    assert client.get("/api/figures/monthly").status_code == 401
    assert client.get("/api/figures/monthly", headers={"Authorization": "Bearer nope"}).status_code == 403
    organisation = token(services, "Sisonke")
    assert client.get("/api/figures/monthly",
                      headers={"Authorization": f"Bearer {organisation}"}).status_code == 403
    secret = token(services, OVERSIGHT_SCOPE)
    with services.db.session() as session:
        revoke_scope(session, OVERSIGHT_SCOPE)
        session.commit()
    assert client.get("/api/figures/monthly",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_a_month_that_is_not_over_gets_a_clear_400(sqlite_records) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_records.services
    sqlite_records.case(at("2026-01"))
    client = client_with(services)
    secret = token(services, OVERSIGHT_SCOPE)
    answer = client.get("/api/figures/monthly?from=2099-01&to=2099-02",
                        headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 400 and "complete months" in answer.get_json()["error"]
    answer = client.get("/api/figures/monthly?from=junk",
                        headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 400
