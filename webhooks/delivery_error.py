"""The one exception a provider sender raises (webhooks/outbound.py), in a module of its own
so that code that only handles failures (webhooks/erasure.py) need not import the senders."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send failed. ``retry_after``: seconds the provider asked us to wait (None: use
    your own back-off). ``permanent``: retrying cannot help (blocked, opted out, bad
    number). ``opted_out``: Twilio says they texted STOP; ``blocked``: they blocked the
    Telegram bot. The message never contains the address, the text or a token."""

    def __init__(self, reason: str, *, retry_after: float | None = None,
                 permanent: bool = False, opted_out: bool = False,
                 blocked: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.opted_out = opted_out
        self.blocked = blocked
