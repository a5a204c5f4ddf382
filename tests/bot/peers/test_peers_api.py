"""Organisations read their reach with their own token, and see only their own codes."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask

from bot.figures.tokens import OVERSIGHT_SCOPE, new_token
from bot.messages import Channel
from bot.peers import api

OCTOBER = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)


def client_with(services):  # type: ignore[no-untyped-def]
    app = Flask("peers-api-test")
    app.extensions["haki_services"] = services
    app.register_blueprint(api.blueprint)
    return app.test_client()


def token(services, scope: str) -> str:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        value = new_token(session, scope)
        session.commit()
    return value


def get(client, token: str, query: str = ""):  # type: ignore[no-untyped-def]
    return client.get(f"/api/peers/stats{query}", headers={"Authorization": f"Bearer {token}"})


def test_each_organisation_sees_only_its_own_codes(peer_services, visitor, educator_on) -> None:  # type: ignore[no-untyped-def]
    sisonke = educator_on(peer_services, organisation="Sisonke", region="gauteng")
    sweat = educator_on(peer_services, organisation="SWEAT", region="gauteng", name="Ayanda")
    for code, people in ((sisonke, 6), (sweat, 9)):
        for _ in range(people):
            visitor(Channel.SMS).says(f"JOIN {code}", at=OCTOBER)
    client = client_with(peer_services)
    sisonke_token = token(peer_services, "Sisonke")

    answer = get(client, sisonke_token, "?from=2026-10&to=2026-10")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["organisation"] == "Sisonke"
    assert [r["code"] for r in body["records"]] == [sisonke]
    assert body["records"][0]["new_people"] == 6
    # gauteng holds SWEAT's code too: no region figure for Sisonke's token
    assert get(client, sisonke_token, "?by=region").get_json()["records"] == []
    assert [r["organisation"] for r in get(client, sisonke_token, "?by=organisation")
            .get_json()["records"]] == ["Sisonke"]


def test_tokens_that_do_not_open_reach(peer_services) -> None:  # type: ignore[no-untyped-def]
    client = client_with(peer_services)
    assert client.get("/api/peers/stats").status_code == 401
    assert get(client, "stats-token-for-tests-0123456789").status_code == 403  # the old global one
    assert get(client, token(peer_services, OVERSIGHT_SCOPE)).status_code == 403
    assert get(client, token(peer_services, "Sisonke"), "?by=person").status_code == 400
    assert get(client, token(peer_services, "Sisonke"), "?from=2026-13").status_code == 400
