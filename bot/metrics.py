"""Prometheus metrics: counts and timings only, never content or identifiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

if TYPE_CHECKING:
    from nlu import Parse


class Metrics:
    """One registry per process (tests build their own, so counters never collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter("haki_messages_total", "Messages handled",
                                ["channel", "intent"], registry=self.registry)
        self.urgent = Counter("haki_urgent_messages_total", "Messages flagged urgent",
                              ["channel"], registry=self.registry)
        self.nlu_backend = Counter("haki_nlu_parses_total", "NLU parses by backend used",
                                   ["backend", "fallback"], registry=self.registry)
        self.webhook_latency = Histogram(
            "haki_webhook_seconds", "Time to answer a webhook", ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )

    def turn(self, channel: str, intent: str | None, parse: Parse | None) -> None:
        self.messages.labels(channel, intent or "none").inc()
        if parse is not None:
            self.nlu_backend.labels(parse.backend, str(parse.fallback).lower()).inc()
            if parse.urgent:
                self.urgent.labels(channel).inc()
