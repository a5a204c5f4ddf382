"""What a signed Twilio form must look like before anything reads it.

Twilio signs ``url + name1 + value1 + name2 + value2 ...`` (names sorted) with no separator
between a name and its value, so characters can move across a boundary without changing
the signature: ``NumMedia=0`` can become part of ``MessageSid``, text can move between
``Body``, ``From`` and ``FromCity``. A replay edited like that must not be answered as a
new message. So after the signature every field is checked against the format Twilio
actually sends; anything else is refused with 403 as if unsigned.

Checks (a request failing any of them is refused, and only the reason code is logged):
- only field names Twilio sends to a messaging webhook (``KNOWN_FIELDS`` and the numbered
  ``MediaUrlN`` / ``MediaContentTypeN``), each at most once;
- ``MessageSid`` / ``SmsSid`` / ``SmsMessageSid``: ``SM`` or ``MM`` and 32 hex digits,
  and all of them equal when several are present;
- ``AccountSid``: ``AC`` and 32 hex digits, and ours when ``HAKI_TWILIO_ACCOUNT_SID`` is set;
- ``From`` and ``To``: E.164 (``+`` and 7-15 digits) or a short code (3-8 digits);
- counters (``NumMedia``, ``NumSegments`` ...) are small decimal numbers;
- ``Body`` at most 1,600 characters (Twilio's own cap).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.sms_encoding import MAX_SMS_CHARS

MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")
ADDRESS = re.compile(r"^(\+[1-9][0-9]{6,14}|[0-9]{3,8})$")
COUNTER = re.compile(r"^[0-9]{1,3}$")
MEDIA_FIELD = re.compile(r"^(MediaUrl|MediaContentType)([0-9]|1[0-9])$")

SID_FIELDS = ("MessageSid", "SmsSid", "SmsMessageSid")
COUNTERS = ("NumMedia", "NumSegments", "ReferralNumMedia")
#: Twilio's documented parameters for incoming-message webhooks and status callbacks
#: (https://www.twilio.com/docs/messaging/guides/webhook-request,
#: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status).
KNOWN_FIELDS = frozenset({
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid",
    "From", "To", "Body", "NumMedia", "NumSegments", "ReferralNumMedia", "ApiVersion",
    "SmsStatus", "MessageStatus", "ErrorCode", "ErrorMessage", "OptOutType",
    "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip",
    "ToCountry", "Latitude", "Longitude", "Address", "Label",
    "ProfileName", "WaId", "Forwarded", "FrequentlyForwarded", "ButtonText", "ButtonPayload",
    "ChannelPrefix", "ChannelInstallSid", "ChannelStatusMessage", "ChannelToAddress",
    "RawDlrDoneDate", "StructuredMessage", "EventType",
})


def form_problem(pairs: Iterable[tuple[str, str]], *, account_sid: str, status: bool) -> str | None:
    """A reason code when the signed form is not what Twilio sends, else None.

    ``pairs`` are every (name, value) of the form, repeats included; ``status`` is True for
    the status callback (MessageStatus instead of Body)."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            return "duplicate_field"
        if name not in KNOWN_FIELDS and not MEDIA_FIELD.match(name):
            return "unknown_field"
        fields[name] = value
    sids = {fields[name] for name in SID_FIELDS if name in fields}
    if not sids:
        return "no_message_sid"
    if len(sids) > 1 or not MESSAGE_SID.match(next(iter(sids))):
        return "bad_message_sid"
    account = fields.get("AccountSid", "")
    if not ACCOUNT_SID.match(account) or (account_sid and account != account_sid):
        return "bad_account_sid"
    if "MessagingServiceSid" in fields and not SERVICE_SID.match(fields["MessagingServiceSid"]):
        return "bad_service_sid"
    for name in ("From", "To"):
        if name in fields and not ADDRESS.match(fields[name]):
            return f"bad_{name.lower()}"
    if not status and ("From" not in fields or "To" not in fields):
        return "no_address"
    for name in COUNTERS:
        if name in fields and not COUNTER.match(fields[name]):
            return f"bad_{name.lower()}"
    if len(fields.get("Body", "")) > MAX_SMS_CHARS:
        return "body_too_long"
    if "ErrorCode" in fields and fields["ErrorCode"] and not fields["ErrorCode"].isdigit():
        return "bad_error_code"
    return None
