"""The Celery side: ``celery -A bot.escalation.tasks worker`` and ``... beat``.

Only ids travel through Redis. The worker builds its own services from the HAKI_*
environment (database, cipher, content, senders) and runs the same ``deliver`` and
``sweep`` functions as the in-process queue.

Reliability settings, and why:

* ``acks_late`` + ``reject_on_worker_lost``: a task is acknowledged after it ran, so a
  worker killed mid-send leaves the message to be redelivered;
* ``visibility_timeout`` 900 s: how long Redis waits before handing an unacknowledged
  message to another worker. It must exceed our longest retry countdown (300 s) or
  waiting retries would be duplicated; we do not rely on it for speed, because the sweep
  re-queues a dead worker's notification as soon as its lease (HAKI_DELIVERY_LEASE_SECONDS)
  runs out;
* ``prefetch_multiplier`` 1: a worker holds one notification at a time, so a crash
  strands at most one;
* retries: ``deliver`` says when to try again (exponential back-off, or the provider's
  ``retry_after``) and the task re-publishes itself with that countdown.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from celery import Celery

from bot.escalation.queues import mark_unqueued
from bot.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("haki.escalation.tasks")

VISIBILITY_TIMEOUT_SECONDS = 900
DELIVER_TASK = "haki.escalation.deliver"
SWEEP_TASK = "haki.escalation.sweep"

app = Celery("haki", set_as_current=False)


def configure(settings: Settings) -> Celery:
    """Point the app at ``settings.redis_url`` (the web process and the worker alike)."""
    if not settings.redis_url:
        raise SettingsError("HAKI_REDIS_URL is not set: HAKI_QUEUE=celery needs a Redis broker")
    app.conf.update(
        broker_url=settings.redis_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        broker_pool_limit=4,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_default_queue="haki-escalation",
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        beat_schedule={
            "haki-sweep": {
                "task": SWEEP_TASK,
                "schedule": float(settings.sweep_seconds),
                # A sweep that could not run in time is replaced by the next one.
                "options": {"expires": float(settings.sweep_seconds)},
            },
        },
        timezone="UTC",
    )
    return app


# The worker is started with `celery -A bot.escalation.tasks`: read the environment now.
# In the web process and in tests the settings may not be complete; CeleryQueue calls
# configure() with the real settings before it sends anything.
try:
    configure(get_settings())
except SettingsError:
    pass


# --- the worker's services ------------------------------------------------------------------
_services: Services | None = None
_services_lock = threading.Lock()


def worker_services() -> Services:
    global _services
    with _services_lock:
        if _services is None:
            from bot.escalation.standalone import worker_services as build
            from bot.logging_setup import configure_logging

            settings = get_settings()
            configure_logging(settings)
            _services = build(settings)
        return _services


# --- tasks ---------------------------------------------------------------------------------
@app.task(bind=True, name=DELIVER_TASK, acks_late=True, reject_on_worker_lost=True,
          max_retries=None)
def deliver_notification(self: Any, notification_id: int) -> str:
    from sqlalchemy.exc import OperationalError

    from bot.escalation.delivery import backoff, deliver

    try:
        attempt = deliver(worker_services(), notification_id)
    except OperationalError:
        # The database is unreachable: the row is untouched, try again shortly.
        raise self.retry(countdown=backoff(self.request.retries + 1)) from None
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.outcome


@app.task(name=SWEEP_TASK, acks_late=True)
def sweep_task() -> dict[str, int]:
    from bot.escalation.sweeps import sweep

    services = worker_services()
    report = sweep(services, CeleryQueue(services))
    return dict(report.__dict__)


# --- the web process's side: queueing for the worker ---------------------------------------
class CeleryQueue:
    """Hands ids to the Celery worker through Redis (the tasks above)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._app = configure(services.settings)
        self._task = deliver_notification

    def enqueue(self, notification_id: int, delay: float = 0.0) -> None:
        try:
            # retry=False: with Redis down, fail at once instead of holding the person's
            # webhook reply; the row stays pending and the sweep queues it again.
            self._task.apply_async((notification_id,), countdown=delay or None, retry=False)
        except Exception as error:  # noqa: BLE001 - kombu raises several connection errors
            log.warning("could not queue notification; the sweep will (%s)", type(error).__name__,
                        extra={"notification": notification_id})
            mark_unqueued(self._services, notification_id)

    def close(self) -> None:
        pass
