"""What a running Haki is made of, built once per process from the settings.

``build_services`` is the one place that decides which NLU backend, which database and
which features are in use. The web app, the CLI, the worker and the tests all call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.actions import Registry
from bot.messages import Channel, OutboundMessage
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.content import ContentLibrary
    from nlu import NluService


class Sender(Protocol):
    """Sends a message outside a webhook reply (escalation notices). Raises on failure so
    the caller's retry logic can act; returns the provider's message id if it has one."""

    def send(self, address: str, message: OutboundMessage) -> str | None: ...


@dataclass
class Services:
    settings: Settings
    db: Database
    nlu: NluService
    content: ContentLibrary
    registry: Registry
    cipher: Cipher
    metrics: Metrics = field(default_factory=Metrics)
    #: Outbound senders by channel, filled by webhooks.outbound when credentials exist.
    senders: dict[Channel, Sender] = field(default_factory=dict)
    #: Shut-down hooks (close pools, stop in-process workers).
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.db.dispose()


#: Features that register handlers: "module" whose ``register(services)`` is called.
FEATURES = ("bot.escalation", "bot.peers", "bot.figures", "webhooks.outbound")


def build_services(settings: Settings, *, database: Database | None = None,
                   nlu: NluService | None = None, content: ContentLibrary | None = None,
                   features: tuple[str, ...] | None = None) -> Services:
    """Wire everything together. Pass pre-built parts to share them (tests, `haki ask`)."""
    import importlib

    from bot import core_handlers
    from bot.content import ContentLibrary
    from nlu import build_nlu

    services = Services(
        settings=settings,
        db=database or Database(settings.database_url),
        nlu=nlu or build_nlu(settings),
        content=content or ContentLibrary.load(settings.content_dir, settings.locales_dir,
                                               settings.language_codes),
        registry=Registry(),
        cipher=Cipher(settings.fernet_keys),
    )
    core_handlers.register(services.registry)
    for name in FEATURES if features is None else features:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and name.startswith(error.name):
                continue  # feature not present in this build
            raise
        module.register(services)
    return services
