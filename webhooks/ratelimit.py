"""Per-person rate limiting: past the limit, one short notice, then silence.

Keyed by pseudonym (never the number), counted in fixed windows of
``rate_limit_window_seconds``. What is counted is *distinct messages*: each hit carries a
keyed hash of the provider's message id, so a provider redelivering one message 50 times
(Twilio and Telegram both retry) neither uses up the person's allowance nor triggers the
"too many messages" notice more than once. With ``HAKI_REDIS_URL`` the count is shared by every worker
process (INCR + EXPIRE in one round trip); without it each process counts in memory, which
is right for one process and lenient (limit × workers) for several.

The webhook always answers the provider 200 whatever this says: a person's behaviour must
never turn into 429s or 5xx that make Twilio or Telegram retry or back off for everyone.
If Redis is down we let messages through (fail open) and say so in the log: a person in
trouble must not be silenced by our infrastructure.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("haki.ratelimit")


class Verdict(enum.Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: say "too many messages" once
    SILENT = "silent"  # every further message in the window: answer nothing


def verdict_for(count: int, limit: int, new: bool) -> Verdict:
    """``count`` distinct messages so far in the window; ``new``: this one was not seen."""
    if count <= limit:
        return Verdict.ALLOW  # a redelivery within the limit: the core de-duplicates it
    return Verdict.NOTIFY if new and count == limit + 1 else Verdict.SILENT


class RateLimiter(Protocol):
    def hit(self, key: str, message: str) -> Verdict:
        """Count ``message`` (a hash of the provider's id) for ``key`` (a pseudonym)."""
        ...

    def forget(self, key: str) -> None:
        """DELETE: drop every count kept for ``key`` (its name is the pseudonym)."""
        ...

    def close(self) -> None: ...


class MemoryRateLimiter:
    """Fixed windows in a dict; thread-safe; forgets finished windows as it goes."""

    def __init__(self, limit: int, window_seconds: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}  # key -> message hashes in the current window
        self._current_window = -1

    def hit(self, key: str, message: str) -> Verdict:
        window = int(self._clock() // self.window)
        with self._lock:
            if window != self._current_window:
                # A new window: every older count is now irrelevant.
                self._seen = {}
                self._current_window = window
            seen = self._seen.setdefault(key, set())
            new = message not in seen
            seen.add(message)
            count = len(seen)
        return verdict_for(count, self.limit, new)

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._seen.clear()


class RedisRateLimiter:
    """Fixed windows in Redis: a set ``<prefix><pseudonym>:<window>`` of message hashes,
    expiring with the window (SADD + SCARD + EXPIRE in one transaction)."""

    def __init__(self, url: str, limit: int, window_seconds: int,
                 prefix: str = "haki:ratelimit:", clock: Callable[[], float] = time.time) -> None:
        import redis

        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix
        self._clock = clock
        # Short timeouts: a slow Redis must not make webhooks slow (we fail open instead).
        self._redis = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25,
                                           health_check_interval=30)
        self._warned_at = 0.0

    def hit(self, key: str, message: str) -> Verdict:
        import redis

        window = int(self._clock() // self.window)
        redis_key = f"{self.prefix}{key}:{window}"
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.sadd(redis_key, message)
            pipe.scard(redis_key)
            pipe.expire(redis_key, self.window + 5)
            added, count, _ = pipe.execute()
        except redis.RedisError as error:
            now = time.monotonic()
            if now - self._warned_at > 60:  # one line a minute, not one per message
                log.warning("rate limiter: redis unavailable, letting messages through",
                            extra={"error": type(error).__name__})
                self._warned_at = now
            return Verdict.ALLOW
        return verdict_for(int(count), self.limit, bool(added))

    def forget(self, key: str) -> None:
        import redis

        window = int(self._clock() // self.window)
        # Keys live one window (+5 s): the current and the previous window are all there is.
        try:
            self._redis.delete(*(f"{self.prefix}{key}:{w}" for w in (window - 1, window)))
        except redis.RedisError as error:
            log.warning("rate limiter: redis unavailable, counts expire by themselves",
                        extra={"error": type(error).__name__})

    def close(self) -> None:
        self._redis.close()


def build_rate_limiter(redis_url: str, limit: int, window_seconds: int,
                       prefix: str = "haki:ratelimit:") -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window_seconds, prefix=prefix)
    return MemoryRateLimiter(limit, window_seconds)
