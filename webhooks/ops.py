"""Operations endpoints: ``/healthz``, ``/readyz`` and Prometheus ``/metrics``.

The app factory registers :data:`blueprint` ("webhooks.ops:blueprint").

- ``/healthz``: 200 while the process can answer at all. For a container's liveness.
- ``/readyz``: checks the database (``SELECT 1``), Redis (``PING``, when configured) and
  Rasa (``GET /version``, when the backend is ``rasa``), each with a short timeout, in
  parallel. 200 when the instance can do its job, 503 naming what failed otherwise: it is
  for load balancers, never for providers. Rasa being down is reported as ``degraded``
  but stays 200, because the embedded model answers in its place and taking every
  replica out of the balancer over a shared, optional dependency would turn a
  degradation into an outage; ``/readyz?strict=1`` counts it as a failure (deploy gates).
- ``/metrics``: the process's counters (:class:`bot.metrics.Metrics`), NLU latency and
  fallbacks, and escalation figures read from the database at scrape time (cases by
  state, notifications by state, delivery lag): counts and durations only, never content
  or identifiers. Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR``
  (docker/gunicorn.conf.py empties it at start) and every worker's counters are summed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

if TYPE_CHECKING:
    from bot.services import Services
    from nlu import NluService, Parse

blueprint = Blueprint("ops", __name__)

#: Seconds each readiness check may take; the whole probe answers within about this.
CHECK_TIMEOUT = 2.0
#: Delivery-lag buckets (seconds from "notification written" to "provider accepted it").
DELIVERY_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
NLU_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# A small pool of its own, so a hung dependency never ties up a request thread for long.
_checks_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
_redis_clients: dict[str, Any] = {}
_redis_lock = threading.Lock()


def services_of(app: Flask) -> Services:
    """The Services the app factory built (``app.haki``, see webhooks.app.HakiState)."""
    return app.haki.services  # type: ignore[attr-defined, no-any-return]


# --- liveness and readiness ----------------------------------------------------------------
@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


def _check_database(services: Services) -> None:
    with services.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _redis_client(url: str) -> Any:
    import redis

    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT,
                                          socket_connect_timeout=CHECK_TIMEOUT)
            _redis_clients[url] = client
        return client


def _check_redis(services: Services) -> None:
    if not _redis_client(services.settings.redis_url).ping():
        raise ConnectionError("no PONG")


def _check_rasa(services: Services) -> None:
    url = services.settings.rasa_url.rstrip("/") + "/version"
    requests.get(url, timeout=CHECK_TIMEOUT).raise_for_status()


def readiness(services: Services) -> dict[str, str]:
    """name -> "ok" or the failure's type name (never its message: it may quote a URL)."""
    settings = services.settings
    checks: dict[str, Callable[[Services], None]] = {"database": _check_database}
    if settings.redis_url:
        checks["redis"] = _check_redis
    if settings.nlu_backend == "rasa":
        checks["rasa"] = _check_rasa
    futures = {name: _checks_pool.submit(check, services) for name, check in checks.items()}
    deadline = time.monotonic() + CHECK_TIMEOUT + 0.5
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            results[name] = "ok"
        except FutureTimeout:
            results[name] = "timeout"
        except Exception as error:  # any failure means "not ready"; name it, no details
            results[name] = type(error).__name__
    return results


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    results = readiness(services_of(current_app))
    strict = request.args.get("strict") in {"1", "true", "yes"}
    optional = set() if strict else {"rasa"}
    failed = sorted(name for name, result in results.items() if result != "ok" and name not in optional)
    degraded = sorted(name for name, result in results.items() if result != "ok" and name in optional)
    if failed:
        return jsonify(status="unavailable", failed=failed, checks=results), 503
    return jsonify(status="degraded" if degraded else "ready", degraded=degraded, checks=results), 200


# --- metrics ---------------------------------------------------------------------------------
class TimedNlu:
    """Wraps the NLU service: observes how long each parse took and counts fallbacks."""

    def __init__(self, inner: NluService, latency: Histogram, fallbacks: Counter) -> None:
        self._inner = inner
        self._latency = latency
        self._fallbacks = fallbacks

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        started = time.perf_counter()
        parse = self._inner.parse(text, language_hint)
        self._latency.labels(parse.backend).observe(time.perf_counter() - started)
        if parse.fallback:
            self._fallbacks.inc()
        return parse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class EscalationCollector(Collector):
    """Escalation figures read from the database at scrape time.

    Counting rows in the one shared database gives the same answer whichever process is
    scraped, so several gunicorn workers (or app containers) need no shared state.
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def describe(self) -> list[Any]:
        return []  # collected fresh on every scrape; nothing to describe up front

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("haki_escalation_metrics_up",
                               "1 when the escalation tables could be read for this scrape")
        try:
            families = list(self._families())
        except Exception:  # no escalation tables yet, or the database is down
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Any]:
        from sqlalchemy import func, select

        from bot.escalation.models import OPEN_STATES, PENDING, SENDING, SENT, Case, Notification

        now = datetime.now(timezone.utc)
        with self.services.db.session() as session:
            cases = GaugeMetricFamily("haki_escalation_cases", "Escalation cases by state",
                                      labels=["state"])
            for state, count in session.execute(select(Case.status, func.count()).group_by(Case.status)):
                cases.add_metric([state], count)
            yield cases

            overdue = GaugeMetricFamily("haki_escalation_cases_overdue",
                                        "Open cases past their acknowledgement deadline")
            overdue.add_metric([], session.scalar(
                select(func.count()).select_from(Case)
                .where(Case.status.in_(OPEN_STATES), Case.ack_deadline < now)) or 0)
            yield overdue

            notifications = GaugeMetricFamily("haki_escalation_notifications",
                                              "Notifications by recipient and state",
                                              labels=["recipient", "state"])
            for recipient, state, count in session.execute(
                    select(Notification.recipient, Notification.status, func.count())
                    .group_by(Notification.recipient, Notification.status)):
                notifications.add_metric([recipient, state], count)
            yield notifications

            oldest = session.scalar(select(func.min(Notification.created_at))
                                    .where(Notification.status.in_((PENDING, SENDING))))
            waiting = GaugeMetricFamily(
                "haki_escalation_delivery_waiting_seconds",
                "Age of the oldest notification not yet delivered (0 when none waits)")
            waiting.add_metric([], _age(oldest, now))
            yield waiting

            yield self._delivery_histogram(session, SENT, Notification)

    def _delivery_histogram(self, session: Any, sent: str, notification: Any) -> HistogramMetricFamily:
        """created -> sent of every delivered notification, bucketed by the database."""
        from sqlalchemy import case, func, select

        lag = _seconds_between(self.services.db.engine.dialect.name,
                               notification.created_at, notification.sent_at)
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(lag), 0.0),
                   *[func.coalesce(func.sum(case((lag <= bound, 1), else_=0)), 0)
                     for bound in DELIVERY_BUCKETS])
            .where(notification.status == sent, notification.sent_at.is_not(None))
        ).one()
        total, lag_sum, counts = int(row[0]), float(row[1]), row[2:]
        buckets = [(_bound(bound), int(count)) for bound, count in zip(DELIVERY_BUCKETS, counts)]
        buckets.append(("+Inf", total))
        family = HistogramMetricFamily(
            "haki_escalation_delivery_seconds",
            "From notification written to provider accepted it, delivered notifications")
        family.add_metric([], buckets, sum_value=max(0.0, lag_sum))
        return family


def _seconds_between(dialect: str, start: Any, end: Any) -> Any:
    """SQL for (end - start) in seconds on PostgreSQL and SQLite."""
    from sqlalchemy import func

    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _bound(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _age(moment: datetime | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (now - moment).total_seconds())


_instrument_lock = threading.Lock()


def instrument(services: Services) -> None:
    """Add the ops metrics to a Services once: NLU timing, escalation figures."""
    if getattr(services, "_ops_instrumented", False):
        return
    with _instrument_lock:  # gunicorn's threads may all take their first request at once
        if not getattr(services, "_ops_instrumented", False):
            _instrument(services)


def _instrument(services: Services) -> None:
    registry = services.metrics.registry
    latency = Histogram("haki_nlu_seconds", "Time to parse one message, by the backend that answered",
                        ["backend"], buckets=NLU_BUCKETS, registry=registry)
    fallbacks = Counter("haki_nlu_fallbacks_total",
                        "Messages the embedded model answered because Rasa was slow or down",
                        registry=registry)
    services.nlu = TimedNlu(services.nlu, latency, fallbacks)  # type: ignore[assignment]
    collector = EscalationCollector(services)
    if not _multiprocess():
        registry.register(collector)
    services._ops_collector = collector  # type: ignore[attr-defined]
    services._ops_instrumented = True  # type: ignore[attr-defined]


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@blueprint.before_app_request
def _instrument_once() -> None:
    instrument(services_of(current_app))


@blueprint.get("/metrics")
def metrics() -> Response:
    services = services_of(current_app)
    instrument(services)
    if _multiprocess():
        # Every worker's counters from their files, plus the database figures once.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(services._ops_collector)  # type: ignore[attr-defined]
    else:
        registry = services.metrics.registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
