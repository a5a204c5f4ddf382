"""/healthz, /readyz and /metrics as a load balancer and Prometheus see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text as sql

from bot.messages import Channel, InboundMessage
from bot.storage.base import utcnow
from webhooks import create_app
from tests.conftest import free_port


@pytest.fixture
def client_for(services_for, sqlite_url):  # type: ignore[no-untyped-def]
    def build(database_url: str | None = None, **overrides: object):  # type: ignore[no-untyped-def]
        services = services_for(database_url or sqlite_url, **overrides)
        app = create_app(services=services)
        return app.test_client(), services

    return build


def test_healthz_says_ok_while_the_process_runs(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_with_the_database_and_no_optional_parts(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok"}
    assert response.get_json()["status"] == "ready"


@pytest.mark.redis
def test_readyz_pings_redis_when_one_is_configured(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for(redis_url="redis://127.0.0.1:6379/15")
    body = client.get("/readyz").get_json()
    assert body["checks"]["redis"] == "ok"


def test_readyz_is_503_and_names_redis_when_redis_is_down(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok"


def test_readyz_is_503_and_names_the_database_when_it_is_unreachable(client_for) -> None:  # type: ignore[no-untyped-def]
    client, services = client_for()
    from bot.storage.db import Database

    services.db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["database"]
    services.db.dispose()


def test_rasa_down_is_degraded_for_the_balancer_and_a_failure_when_strict(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for(nlu_backend="rasa", rasa_url=f"http://127.0.0.1:{free_port()}")
    relaxed = client.get("/readyz")
    assert relaxed.status_code == 200
    assert relaxed.get_json()["status"] == "degraded"
    assert relaxed.get_json()["degraded"] == ["rasa"]
    strict = client.get("/readyz?strict=1")
    assert strict.status_code == 503
    assert strict.get_json()["failed"] == ["rasa"]
    assert strict.get_json()["checks"]["rasa"] == "ConnectionError"


def metric(text: str, name: str) -> float:
    """The value of one sample line (``name{labels}`` exactly as exposed)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def test_metrics_count_messages_and_time_the_nlu(client_for) -> None:  # type: ignore[no-untyped-def]
    client, services = client_for()
    client.get("/healthz")  # the first request instruments the services
    app_pipeline = client.application.haki.pipeline
    for number in range(3):
        app_pipeline.handle(InboundMessage(channel=Channel.SMS, address=f"+2782555000{number}",
                                           text="can the police search my bag",
                                           external_id=f"SM{number}"))
    exposed = client.get("/metrics")
    assert exposed.status_code == 200
    assert exposed.mimetype == "text/plain"
    text = exposed.get_data(as_text=True)
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                  if line.startswith('haki_messages_total{channel="sms"'))
    assert counted == 3
    assert metric(text, 'haki_nlu_seconds_count{backend="embedded"}') == 3
    assert metric(text, "haki_nlu_fallbacks_total") == 0
    assert "+2782555" not in text and "search my bag" not in text


def test_a_rasa_outage_shows_as_nlu_fallbacks(client_for) -> None:  # type: ignore[no-untyped-def]
    client, services = client_for(nlu_backend="rasa", rasa_url=f"http://127.0.0.1:{free_port()}")
    from nlu import NluService
    from nlu.rasa_client import RasaClient

    # The shared test NLU is embedded-only; give this app one that tries Rasa first.
    inner = services.nlu
    services.nlu = NluService(inner.model, inner.languages, inner.threshold,
                              rasa=RasaClient(services.settings.rasa_url, 0.5, cooldown_seconds=0))
    client.get("/healthz")
    client.application.haki.pipeline.handle(InboundMessage(
        channel=Channel.TELEGRAM, address="4242", text="what is an NSP letter", external_id="u1"))
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "haki_nlu_fallbacks_total") == 1
    assert metric(text, 'haki_nlu_seconds_count{backend="embedded"}') == 1


def test_escalation_figures_come_from_the_database(client_for, database_url) -> None:  # type: ignore[no-untyped-def]
    from bot.escalation.models import Case, Notification

    client, services = client_for(database_url)
    now = utcnow()
    with services.db.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            # One PostgreSQL database serves the whole run: start from no cases, as on SQLite.
            session.execute(sql("TRUNCATE cases, notifications CASCADE"))
        common = dict(channel="sms", language="en", jurisdiction="za", category="arrest",
                      region="gp", urgency="urgent", responder_kind="paralegal")
        waiting = Case(reference="K7-AAA", status="assigned", ack_deadline=now - timedelta(minutes=1),
                       **common)
        done = Case(reference="K7-BBB", status="acknowledged", **common)
        session.add_all([waiting, done])
        session.flush()
        session.add_all([
            Notification(idempotency_key="a", case_id=waiting.id, recipient="responder",
                         kind="new_case", status="pending", created_at=now - timedelta(seconds=90)),
            Notification(idempotency_key="b", case_id=done.id, recipient="responder",
                         kind="new_case", status="sent", created_at=now - timedelta(seconds=20),
                         sent_at=now - timedelta(seconds=17)),
        ])
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "haki_escalation_metrics_up") == 1
    assert metric(text, 'haki_escalation_cases{state="assigned"}') == 1
    assert metric(text, 'haki_escalation_cases{state="acknowledged"}') == 1
    assert metric(text, "haki_escalation_cases_overdue") == 1
    assert metric(text, 'haki_escalation_notifications{recipient="responder",state="pending"}') == 1
    assert 85 <= metric(text, "haki_escalation_delivery_waiting_seconds") <= 120
    assert metric(text, 'haki_escalation_delivery_seconds_bucket{le="1"}') == 0
    assert metric(text, 'haki_escalation_delivery_seconds_bucket{le="5"}') == 1
    assert metric(text, "haki_escalation_delivery_seconds_count") == 1
    assert 2.5 <= metric(text, "haki_escalation_delivery_seconds_sum") <= 3.5


def test_first_requests_arriving_together_instrument_once(client_for) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    client, services = client_for()
    app = client.application
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: app.test_client().get("/healthz").status_code, range(16)))
    assert statuses == [200] * 16
    text = client.get("/metrics").get_data(as_text=True)
    assert text.count("# TYPE haki_nlu_seconds histogram") == 1
