"""Twilio SMS: ``POST /webhooks/twilio/sms`` (messages) and ``/webhooks/twilio/status``.

Order of business for a message, each step before anything later sees the request:
1. the signature (``X-Twilio-Signature``, twilio's RequestValidator) over the *public* URL
   (``HAKI_PUBLIC_URL`` + path: correct behind a TLS-terminating proxy, where the URL Flask
   sees is http://internal-host) -> 403 when missing or forged, and 403 too when the
   signed form is not shaped like Twilio's (webhooks/twilio_form.py: the signature has no
   separators between names and values, so a replay can shift text across fields);
2. the location fields Twilio adds (FromCity, FromZip, ToState ...) are dropped;
3. the form becomes an InboundMessage (external_id = MessageSid: the core de-duplicates);
4. opt-out keywords are aligned with Twilio's own handling (see ``opt_out_keyword``);
5. the replies go back as TwiML, one <Message> per reply, each rendered by
   ``bot.render.render_sms``: GSM-7 look-alikes replaced, ≤ 1,600 characters, and an answer
   never longer than two segments.

Twilio retries on non-2xx and alerts on errors, so after the signature check every outcome
is 200 with TwiML (empty when there is nothing to say).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from bot.messages import (
    Channel,
    DeliveryReport,
    InboundKind,
    InboundMessage,
    OutboundMessage,
)
from bot.render import render_sms
from bot.sms_encoding import MAX_SMS_CHARS
from bot.storage.db import StorageUnavailable
from webhooks.outbound import TWILIO_STATUS_PATH, mark_sms_opted_out
from webhooks.pipeline import SEND_AGAIN_REPLY, log_failure
from webhooks.twilio_form import form_problem

if TYPE_CHECKING:
    from bot.settings import Settings
    from webhooks.app import Haki

log = logging.getLogger("haki.webhooks.sms")
blueprint = Blueprint("twilio_sms", __name__)

#: Where the sender and our number are, as Twilio guesses it from the number. We never need
#: it, and a person's town is exactly what must not end up in a log or a crash report.
LOCATION_FIELDS = frozenset({
    "FromCity", "FromState", "FromZip", "FromCountry",
    "ToCity", "ToState", "ToZip", "ToCountry",
    "Latitude", "Longitude", "Address", "Label",
})

#: Twilio's default opt-out keywords on long codes (Advanced Opt-Out uses the same lists):
#: https://help.twilio.com/articles/223134027. A message that is exactly one of these
#: changes the person's status *at Twilio*, whatever we do, so we mirror it.
TWILIO_OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                            "REVOKE", "OPTOUT"})
TWILIO_OPT_IN = frozenset({"START", "YES", "UNSTOP"})
TWILIO_HELP = frozenset({"HELP", "INFO"})


def opt_out_keyword(form: MultiDict[str, str], body: str) -> str | None:
    """"STOP", "START" or "HELP" when Twilio treats this message as that keyword.

    With Advanced Opt-Out Twilio tells us in ``OptOutType``; without it we match Twilio's
    default lists ourselves. The core then runs its own STOP/START/HELP command, so our
    state agrees with Twilio's. Words in other languages (YIMA, QALA, USIZO ...) are not
    Twilio keywords: the core's command words handle them, and Twilio does not interfere.
    """
    declared = (form.get("OptOutType") or "").strip().upper()
    if declared in {"STOP", "START", "HELP"}:
        return declared
    word = body.strip().upper().rstrip(".!")
    if word in TWILIO_OPT_OUT:
        return "STOP"
    if word in TWILIO_HELP:
        return "HELP"
    if word in TWILIO_OPT_IN and word != "YES":
        # "YES" re-subscribes at Twilio only after an opt-out; for us it also answers
        # questions ("delete everything? YES"), so we leave it to the core.
        return "START"
    return None


def public_url(settings: Settings) -> str:
    """The URL Twilio signed: the public base plus the path and query Flask received."""
    query = request.query_string.decode("latin-1")
    return settings.public_url.rstrip("/") + request.path + (f"?{query}" if query else "")


#: The algorithms Twilio names in X-Twilio-Webhooks-Signature-Settings (legacy: none = SHA-1).
SIGNATURE_ALGORITHMS = frozenset({"HMAC_SHA1", "HMAC_SHA256"})


def signature_valid(settings: Settings) -> bool:
    """Whether the request carries a valid Twilio signature. Never raises: any error while
    reading or checking the request (a malformed multipart body makes the validator raise
    TypeError) counts as unsigned, so the answer is 403."""
    try:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not settings.twilio_auth_token:
            return False  # fail closed: no token configured means nothing can be verified
        # Checked here, not by twilio-python: its warning would quote the header's value,
        # and nothing an unauthenticated client sends may reach the log.
        algorithm = get_signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
        if algorithm.upper() not in SIGNATURE_ALGORITHMS:
            return False
        return bool(RequestValidator(settings.twilio_auth_token).validate(
            public_url(settings), request.form, signature, algorithm=algorithm))
    except HTTPException:
        raise  # 413 for an oversized body
    except Exception:  # noqa: BLE001 - whatever went wrong, it was not a valid signature
        return False


def refusal(settings: Settings, *, status: bool) -> Response | None:
    """403 unless the request is signed by Twilio *and* its form is one Twilio sends
    (see webhooks/twilio_form.py: the signature alone has no field separators)."""
    channel = "sms-status" if status else "sms"
    if not signature_valid(settings):
        log.warning("twilio signature missing or invalid", extra={"channel": channel})
        return Response("forbidden", status=403, mimetype="text/plain")
    problem = form_problem(request.form.items(multi=True), status=status,
                           account_sid=settings.twilio_account_sid)
    if problem is not None:
        log.warning("twilio form refused", extra={"channel": channel, "reason": problem})
        return Response("forbidden", status=403, mimetype="text/plain")
    return None


def without_location(form: MultiDict[str, str]) -> dict[str, str]:
    return {key: value for key, value in form.items() if key not in LOCATION_FIELDS}


def parse_message(fields: dict[str, str]) -> InboundMessage | None:
    """The form (location already removed) as an InboundMessage; None if unusable."""
    sender = fields.get("From", "").strip()
    sid = fields.get("MessageSid") or fields.get("SmsMessageSid") or ""
    if not sender or not sid:
        return None
    body = fields.get("Body", "")
    if len(body) > MAX_SMS_CHARS:
        # Twilio caps inbound bodies at 1,600 characters; anything longer is not from it.
        body = body[:MAX_SMS_CHARS]
    try:
        media = int(fields.get("NumMedia", "0") or 0)
    except ValueError:
        media = 0
    keyword = opt_out_keyword(MultiDict(fields), body)
    if keyword:
        return InboundMessage(channel=Channel.SMS, address=sender, text=keyword,
                              external_id=sid)
    if media and not body.strip():
        return InboundMessage(channel=Channel.SMS, address=sender, kind=InboundKind.MEDIA,
                              external_id=sid)
    return InboundMessage(channel=Channel.SMS, address=sender, text=body, external_id=sid)


def twiml(replies: list[OutboundMessage]) -> Response:
    response = MessagingResponse()
    for reply in replies:
        body = render_sms(reply)
        if body.strip():
            response.message(body)
    return Response(str(response), status=200, mimetype="application/xml")


@blueprint.post("/webhooks/twilio/sms")
def sms() -> Response:
    app: Haki = current_app  # type: ignore[assignment]
    settings = app.haki.services.settings
    started = time.perf_counter()
    refused = refusal(settings, status=False)
    if refused is not None:
        return refused
    fields = without_location(request.form)
    try:
        inbound = parse_message(fields)
        if inbound is None:
            log.warning("twilio form without From or MessageSid", extra={"channel": "sms"})
            return twiml([])
        replies = app.haki.pipeline.handle(inbound)
        if fields.get("OptOutType", "").upper() == "STOP":
            # Twilio has already confirmed the opt-out and blocks anything we send now.
            replies = []
        return twiml(replies)
    except HTTPException:
        raise
    except StorageUnavailable:
        # Nothing was saved and Twilio does not redeliver: ask the person to send it again,
        # rather than lose a YES to a case without a word.
        return twiml([OutboundMessage(SEND_AGAIN_REPLY, intent="storage_unavailable")])
    except Exception as error:  # noqa: BLE001 - never a 5xx to Twilio (it retries)
        log_failure("twilio_sms", error, started)
        return twiml([])
    finally:
        app.haki.services.metrics.webhook_latency.labels("sms").observe(
            time.perf_counter() - started)


#: Delivery error codes after which sending the same message again cannot succeed
#: (https://www.twilio.com/docs/api/errors): unsubscribed, invalid or unknown number,
#: landline, blocked or filtered by the carrier. 30003 (handset unreachable: switched off,
#: no signal) and 30008 (unknown) may pass, so those are retried.
PERMANENT_DELIVERY_ERRORS = frozenset({"21211", "21610", "21612", "21614", "30004", "30005",
                                       "30006", "30007"})


def delivery_report(fields: dict[str, str]) -> DeliveryReport | None:
    sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
    state = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").strip().lower()
    if not sid or not state:
        return None
    error_code = (fields.get("ErrorCode") or "").strip()[:8]
    return DeliveryReport(channel=Channel.SMS, provider_id=sid, status=state,
                          error_code=error_code,
                          permanent=error_code in PERMANENT_DELIVERY_ERRORS)


@blueprint.post(TWILIO_STATUS_PATH)
def status() -> Response:
    """Twilio's status callback for messages we sent (``StatusCallback`` on each send).

    Features hear it through their delivery listeners (escalation re-routes a case whose
    notice did not reach the responder). Error 21610 (the person opted out at Twilio) is
    also recorded on their row. Nothing else is kept; the number is only hashed."""
    app: Haki = current_app  # type: ignore[assignment]
    services = app.haki.services
    started = time.perf_counter()
    refused = refusal(services.settings, status=True)
    if refused is not None:
        return refused
    fields = without_location(request.form)
    try:
        report = delivery_report(fields)
        if report is None:
            log.warning("twilio status without MessageSid or status", extra={"channel": "sms-status"})
            return Response("", status=204)
        if report.error_code == "21610" and fields.get("To"):
            mark_sms_opted_out(services, fields["To"])
        if report.final_failure:
            log.info("sms not delivered", extra={"status": report.status,
                                                 "error_code": report.error_code})
        for listener in services.registry.delivery_listeners:
            listener(report)
    except Exception as error:  # noqa: BLE001 - never a 5xx: Twilio would alert and retry
        log_failure("twilio_status", error, started)
    return Response("", status=204)
