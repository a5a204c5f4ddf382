"""Send pacing: how fast we may talk to one chat, and to Telegram as a whole.

Telegram's published limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about one message per second to one chat ("short bursts" are tolerated), 20 messages a minute
to one group, 30 messages a second overall. Past them the API answers 429 with
``retry_after``, and every call during that pause fails too. We pace before sending so we
rarely see a 429, and when one comes we hold that chat (or everyone) for ``retry_after``.

The pace is per process: several gunicorn workers each keep their own. That is why a 429's
``retry_after`` is still honoured: it is the API's word across all processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Gcra:
    """A token bucket in its "generic cell rate algorithm" form: one timestamp per key.

    ``rate`` sends per second on average, ``burst`` sends allowed back to back.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(burst, 1) - 1) * self.interval
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next send, per key

    def reserve(self, key: str, now: float) -> float:
        """Book the next slot for ``key``; returns the time at which it may be used."""
        tat = max(self._tat.get(key, now), now)
        allowed_at = tat - self.tolerance
        self._tat[key] = tat + self.interval
        return max(allowed_at, now)

    def hold(self, key: str, until: float) -> None:
        """Nothing for ``key`` before ``until`` (a 429's retry_after), then the steady rate."""
        self._tat[key] = max(self._tat.get(key, 0.0), until + self.tolerance)

    def snapshot(self, key: str) -> float | None:
        return self._tat.get(key)

    def restore(self, key: str, tat: float | None) -> None:
        if tat is None:
            self._tat.pop(key, None)
        else:
            self._tat[key] = tat

    def forget_idle(self, now: float) -> None:
        """Drop keys whose bucket is full again, so the table stays as small as the traffic."""
        for key in [key for key, tat in self._tat.items() if tat < now]:
            del self._tat[key]


class ChatPacer:
    """Per-chat and global pacing for Telegram sends; thread-safe, blocks the caller."""

    def __init__(self, *, chat_rate: float = 1.0, chat_burst: int = 3,
                 group_rate: float = 20 / 60, group_burst: int = 3,
                 global_rate: float = 30.0, max_wait: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._private = Gcra(chat_rate, chat_burst)
        self._groups = Gcra(group_rate, group_burst)
        self._global = Gcra(global_rate, int(global_rate))
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sends = 0

    def wait_turn(self, chat_id: str, max_wait: float | None = None) -> float:
        """Sleep until ``chat_id`` may be sent to; returns the seconds waited.

        Raises :class:`PaceTooSlow` when the wait would exceed ``max_wait`` (default: the
        pacer's): the caller's retry machinery should try later instead of holding a
        thread that long.
        """
        limit = self.max_wait if max_wait is None else max_wait
        with self._lock:
            now = self._clock()
            bucket = self._groups if chat_id.startswith("-") else self._private
            before = bucket.snapshot(chat_id), self._global.snapshot("*")
            at = max(bucket.reserve(chat_id, now), self._global.reserve("*", now))
            wait = at - now
            if wait > limit:
                # Give the slots back: this send is not happening now.
                bucket.restore(chat_id, before[0])
                self._global.restore("*", before[1])
                raise PaceTooSlow(wait)
            self._sends += 1
            if self._sends % 1000 == 0:
                self._private.forget_idle(now)
                self._groups.forget_idle(now)
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, chat_id: str | None, seconds: float) -> None:
        """Telegram said retry_after: nothing to this chat (None: to anyone) for that long."""
        with self._lock:
            until = self._clock() + seconds
            if chat_id is None:
                self._global.hold("*", until)
                return
            bucket = self._groups if chat_id.startswith("-") else self._private
            bucket.hold(chat_id, until)


class PaceTooSlow(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"next send slot is {wait:.1f}s away")
        self.wait = wait
