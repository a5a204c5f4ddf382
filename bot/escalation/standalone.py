"""Services for processes that send but never read people's messages (workers, the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings


class NluOnDemand:
    """A worker never parses a message, so it never pays for loading the NLU model (seconds
    and hundreds of MB); should anything ask, the real NLU is built then."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._real: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            from nlu import build_nlu

            self._real = build_nlu(self._settings)
        return getattr(self._real, name)


def worker_services(settings: Settings) -> Services:
    """Database, cipher, content and senders, as the web process has them."""
    from bot.services import build_services

    return build_services(settings, nlu=NluOnDemand(settings))  # type: ignore[arg-type]
