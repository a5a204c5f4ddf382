"""The reach JSON endpoint in the real app: bearer token, suppression, no token = no endpoint."""

from __future__ import annotations

import pytest

from bot.conversation import Conversation
from bot.messages import Channel, InboundMessage
from bot.peers.registry import add_educator
from webhooks import create_app

TOKEN = "stats-token-for-tests-0123456789"


@pytest.fixture
def app_with(services_for, sqlite_url):  # type: ignore[no-untyped-def]
    def build(**settings: object):  # type: ignore[no-untyped-def]
        services = services_for(sqlite_url, telegram_bot_username="HakiTestBot", **settings)
        return create_app(services=services), services

    return build


def referred_people(services, count: int) -> str:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        _, code = add_educator(session, services.cipher, name="Thandi", organisation="Sisonke",
                               region="gauteng", language="zu",
                               languages=services.settings.language_codes)
        value = code.code
    conversation = Conversation(services)
    for number in range(count):
        conversation.handle(InboundMessage(Channel.SMS, f"+278300{number:05d}", text=f"JOIN {value}",
                                           external_id=f"api-{number}"))
    return value


def test_stats_need_the_bearer_token(app_with) -> None:  # type: ignore[no-untyped-def]
    app, services = app_with(stats_token=TOKEN)
    code = referred_people(services, 3)
    client = app.test_client()
    missing = client.get("/api/peers/stats")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/peers/stats", headers={"Authorization": "Basic abc"}).status_code == 401
    wrong = client.get("/api/peers/stats", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert code not in wrong.get_data(as_text=True)

    good = client.get("/api/peers/stats", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    body = good.get_json()
    assert body["suppressed_below"] == 5
    assert body["records"] == [{"month": body["records"][0]["month"], "code": code,
                                "organisation": "Sisonke", "region": "gauteng",
                                "new_people": "<5", "returning_people": 0, "topics": {},
                                "escalations": 0}]


def test_grouping_and_bad_parameters(app_with) -> None:  # type: ignore[no-untyped-def]
    app, services = app_with(stats_token=TOKEN)
    referred_people(services, 5)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    by_region = client.get("/api/peers/stats?by=region", headers=auth).get_json()
    assert by_region["by"] == "region"
    assert [(r["region"], r["new_people"]) for r in by_region["records"]] == [("gauteng", 5)]
    assert client.get("/api/peers/stats?by=person", headers=auth).status_code == 400
    assert client.get("/api/peers/stats?from=last-year", headers=auth).status_code == 400


def test_without_a_configured_token_the_endpoint_does_not_exist(app_with) -> None:  # type: ignore[no-untyped-def]
    app, _ = app_with()
    client = app.test_client()
    assert client.get("/api/peers/stats").status_code == 404
    assert client.get("/api/peers/stats", headers={"Authorization": "Bearer "}).status_code == 404
