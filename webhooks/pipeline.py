"""What every channel does after it has verified and parsed a request.

rate limit (by pseudonym) -> the core (``Conversation.handle``) -> replies.

The core is called inside the webhook request. That is safe because a turn is fast: the
embedded NLU parses in about a millisecond, the database work is two or three indexed
statements, and the Rasa backend has a short timeout (``HAKI_RASA_TIMEOUT_SECONDS``) with
the embedded model as fallback. Answering in the request also means the reply goes back in
the webhook response (TwiML, a Telegram method call): no extra API round trip, and nothing
to lose in a queue if the process restarts. docs/benchmarks.md has the latencies.
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from typing import TYPE_CHECKING

from bot.conversation import Conversation
from bot.identity import keyed_hash, log_tag, pseudonym
from bot.messages import InboundMessage, OutboundMessage
from bot.storage.db import StorageUnavailable, is_outage
from webhooks.ratelimit import RateLimiter, Verdict

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("haki.webhooks")

#: The SMS answer when the database was unreachable and nothing was saved (Twilio does not
#: redeliver, so the person has to send again). Fixed English, GSM-7, one segment: without
#: the database we do not know the person's language.
SEND_AGAIN_REPLY = ("Sorry, Haki could not save your message just now. Please send it "
                    "again in a few minutes. Danger now? Call 10111.")


class Pipeline:
    def __init__(self, services: Services, limiter: RateLimiter) -> None:
        self.services = services
        self.limiter = limiter
        self.conversation = Conversation(services)

    def handle(self, inbound: InboundMessage) -> list[OutboundMessage]:
        """The replies for one message; [] for duplicates and rate-limited silence."""
        secret = self.services.settings.secret_key
        who = pseudonym(secret, inbound.channel.value, inbound.address)
        # Hashed like the core's receipts: the limiter never holds a provider's message id.
        message = keyed_hash(secret, "ratelimit", inbound.external_id or secrets.token_hex(8))
        verdict = self.limiter.hit(who, message[:32])
        if verdict is Verdict.SILENT:
            return []
        if verdict is Verdict.NOTIFY:
            log.info("rate limited", extra={"person": log_tag(who),
                                            "channel": inbound.channel.value})
            return [OutboundMessage(self._rate_limited_text(who), intent="rate_limited")]
        try:
            return self.conversation.handle(inbound)
        except StorageUnavailable as outage:
            # Nothing was saved; the channel asks for the message again (a 503 makes
            # Telegram redeliver; an SMS person is told to send it again).
            log.warning("database unavailable; turn not saved",
                        extra={"channel": inbound.channel.value, "error": str(outage)})
            raise

    def _rate_limited_text(self, who: str) -> str:
        from bot.storage.models import Person

        settings = self.services.settings
        language, jurisdiction = settings.default_language, settings.jurisdiction
        try:
            with self.services.db.session() as session:
                person = session.get(Person, who)
                if person is not None:
                    language = person.language or language
                    jurisdiction = person.jurisdiction or jurisdiction
        except Exception as error:
            if not is_outage(error):
                raise
        return self.services.content.text("rate_limited", language, jurisdiction)


def log_failure(where: str, error: BaseException, started: float | None = None) -> None:
    """Log a failed request without its content: exception type and code location only.

    Exception messages are left out on purpose: database errors quote parameters, and a
    parse error can quote the text someone sent.
    """
    frames = traceback.extract_tb(error.__traceback__)
    location = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    log.error("webhook failed; answered 200 without replies",
              extra={"where": where, "error": type(error).__name__, "at": location,
                     "ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
