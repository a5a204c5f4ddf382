"""Two ways to run deliveries: in this process (the embedded default) or on Celery.

Both only ever carry a notification *id*; the row holds the truth, so a queue that loses
a message (Redis restarted without persistence, a process killed) loses nothing: the sweep
finds the row still pending and queues it again.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import update

from bot.escalation.models import PENDING, Notification

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("haki.escalation.queue")


class NotificationQueue(Protocol):
    def enqueue(self, notification_id: int, delay: float = 0.0) -> None: ...

    def close(self) -> None: ...


def enqueue_all(queue: NotificationQueue, notification_ids: Iterable[int]) -> None:
    for notification_id in notification_ids:
        queue.enqueue(notification_id)


class InProcessQueue:
    """A timer heap served by a few daemon threads, plus an optional sweeper thread.

    Used by `haki serve` / `haki chat` with HAKI_QUEUE=inprocess and by `haki worker run`.
    Threads start on first use, so building services (tests, `haki ask`) costs nothing.
    """

    def __init__(self, services: Services, workers: int = 2) -> None:
        self._services = services
        self._workers = workers
        self._heap: list[tuple[float, int, int]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._sweeper: threading.Thread | None = None

    # --- queue ----------------------------------------------------------------------------
    def enqueue(self, notification_id: int, delay: float = 0.0) -> None:
        with self._condition:
            if self._stopping:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._order),
                                        notification_id))
            self._start_workers()
            self._condition.notify()

    def _start_workers(self) -> None:
        if self._threads:
            return
        for number in range(self._workers):
            thread = threading.Thread(target=self._serve, name=f"haki-delivery-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _next(self) -> int | None:
        with self._condition:
            while not self._stopping:
                if self._heap:
                    due = self._heap[0][0] - time.monotonic()
                    if due <= 0:
                        return heapq.heappop(self._heap)[2]
                    self._condition.wait(timeout=due)
                else:
                    self._condition.wait()
            return None

    def _serve(self) -> None:
        from bot.escalation.delivery import deliver

        while True:
            notification_id = self._next()
            if notification_id is None:
                return
            try:
                attempt = deliver(self._services, notification_id)
            except Exception:  # noqa: BLE001 - a database hiccup: the sweep will retry
                log.exception("delivery crashed", extra={"notification": notification_id})
                continue
            if attempt.retry_in is not None:
                self.enqueue(notification_id, attempt.retry_in)

    @property
    def backlog(self) -> int:
        with self._condition:
            return len(self._heap)

    # --- sweeper ----------------------------------------------------------------------------
    def start_sweeper(self, interval: float | None = None) -> None:
        """Run the sweep every ``interval`` seconds (default HAKI_SWEEP_SECONDS)."""
        if self._sweeper is not None:
            return
        every = interval or float(self._services.settings.sweep_seconds)

        def loop() -> None:
            from bot.escalation.sweeps import sweep

            # Fixed rate, not fixed delay: a deadline is then never more than one
            # interval old when a sweep sees it, however long the sweeps take.
            next_run = time.monotonic() + every
            while True:
                with self._condition:
                    while not self._stopping and time.monotonic() < next_run:
                        self._condition.wait(timeout=next_run - time.monotonic())
                    if self._stopping:
                        return
                next_run = max(next_run + every, time.monotonic())
                try:
                    sweep(self._services, self)
                except Exception:  # noqa: BLE001 - keep sweeping; the next run retries
                    log.exception("sweep failed")

        self._sweeper = threading.Thread(target=loop, name="haki-sweeper", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        for thread in self._threads + ([self._sweeper] if self._sweeper else []):
            # In-flight sends finish within the provider timeout; a thread still busy after
            # that is abandoned (daemon) and its row is recovered by the lease and the sweep.
            thread.join(timeout=10)


def mark_unqueued(services: Services, notification_id: int) -> None:
    """Clear ``queued_at`` so the next sweep picks the row up without waiting its grace."""
    try:
        with services.db.session() as session:
            session.execute(update(Notification).where(Notification.id == notification_id,
                                                       Notification.status == PENDING)
                            .values(queued_at=None))
    except Exception:  # noqa: BLE001 - the sweep's grace period still covers it
        log.exception("could not mark notification as unqueued")
