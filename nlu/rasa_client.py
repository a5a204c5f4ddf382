"""The rasa backend: ask a Rasa server's ``/model/parse`` over HTTP, with a short timeout.

Any failure (refused, slow, 5xx, malformed JSON) raises ``RasaUnavailable``; the service
then answers from the embedded model. After a failure the client rests for a few seconds
so that, while Rasa is down, each message does not wait out another timeout.
"""

from __future__ import annotations

import threading
import time

import requests

from nlu.intents import OUT_OF_SCOPE

#: Rasa's FallbackClassifier intent, which is our out_of_scope.
RASA_FALLBACK_INTENT = "nlu_fallback"


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered nonsense. Carries a reason, never text."""


class RasaClient:
    def __init__(self, url: str, timeout: float, cooldown_seconds: float = 5.0) -> None:
        self.endpoint = url.rstrip("/") + "/model/parse"
        self.timeout = timeout
        self.cooldown_seconds = cooldown_seconds
        self._session = requests.Session()
        self._resting_until = 0.0
        self._lock = threading.Lock()

    def rank(self, text: str) -> list[tuple[str, float]]:
        """(intent, confidence) pairs from Rasa, best first; ``nlu_fallback`` removed."""
        if time.monotonic() < self._resting_until:
            raise RasaUnavailable("cooldown")
        try:
            response = self._session.post(self.endpoint, json={"text": text}, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
            ranking = body.get("intent_ranking") or [body["intent"]]
            pairs = [(str(item["name"]), float(item["confidence"] or 0.0)) for item in ranking]
        except requests.Timeout:
            self._rest()
            raise RasaUnavailable("timeout") from None
        except requests.RequestException as error:
            self._rest()
            raise RasaUnavailable(type(error).__name__) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            self._rest()
            raise RasaUnavailable("bad-response") from None
        pairs = [(name, score) for name, score in pairs if name != RASA_FALLBACK_INTENT]
        if not pairs:
            return [(OUT_OF_SCOPE, 0.0)]
        return sorted(pairs, key=lambda pair: -pair[1])

    def _rest(self) -> None:
        with self._lock:
            self._resting_until = time.monotonic() + self.cooldown_seconds
