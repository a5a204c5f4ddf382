"""A stand-in for Twilio's Programmable Messaging REST API (API version 2010-04-01).

Speaks the real protocol: ``POST /2010-04-01/Accounts/<AccountSid>/Messages.json`` with a
form body (To, From or MessagingServiceSid, Body, StatusCallback ...), HTTP Basic auth with
the Account SID and auth token, answering ``201`` and a Message resource as Twilio does, or
Twilio's error shape ``{"code": 21610, "message": ..., "more_info": ..., "status": 400}``.

Point twilio-python at it: ``client.api.base_url = standin.url`` (or the settings
``twilio_api_url=standin.url`` with ``twilio_account_sid`` / ``twilio_auth_token``).

Failures you can script::

    api.fail_next(2)                 # HTTP 500 (Twilio error 20500) for the next two calls
    api.rate_limit_next()            # 429, Twilio error 20429
    api.opt_out("+27820000001")      # 400 / 21610 "Attempt to send to unsubscribed recipient"
    api.stop(); api.start()          # outage
    api.in_progress("SM...")         # DELETE of that message: 409 / 20009 (still sending)

The message log: ``GET Messages.json?To=...&From=...`` lists the messages the stand-in
accepted (and those a test adds with ``receive(from_, body)``, as if the person had texted
us), newest first; ``DELETE Messages/<sid>.json`` removes one (204), as Twilio does.

Delivery reports: every accepted message keeps its ``StatusCallback``; the test decides
what the carrier says and ``api.report_status(sid, "undelivered", error_code="30003")``
POSTs the signed callback there, the way Twilio does.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from tests.standins.server import RecordedRequest, Response, StandinServer

DEFAULT_ACCOUNT_SID = "AC" + "0" * 24 + "5ca1ab1e"
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
DEFAULT_NUMBER = "+27820009999"

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")
_MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages/"
                           r"(?P<message>(SM|MM)[0-9a-f]{32})\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: GSM 03.38 basic set and extension, for the num_segments Twilio reports.
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTU"
           "VWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def _segments(body: str) -> int:
    if all(ch in _GSM for ch in body):
        length = sum(2 if ch in "^{}\\[~]|€" else 1 for ch in body)
        single, multi = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
        single, multi = 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


class TwilioStandin(StandinServer):
    name = "twilio"

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID,
                 auth_token: str = DEFAULT_AUTH_TOKEN, number: str = DEFAULT_NUMBER) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number
        self._opted_out: set[str] = set()
        self._accepted: dict[str, dict[str, Any]] = {}  # sid -> the form we accepted
        self._log: dict[str, dict[str, str]] = {}  # sid -> {"from", "to", "body"}: the log
        self._in_progress: set[str] = set()
        self._state_lock = threading.Lock()

    # --- scripting ---------------------------------------------------------------------
    def fail_next(self, times: int = 1, status: int = 500) -> None:
        messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        self.script(status, twilio_error(status, 20500, messages.get(status, "Error")), times)

    def rate_limit_next(self, times: int = 1) -> None:
        self.script(429, twilio_error(429, 20429, "Too Many Requests"), times)

    def opt_out(self, number: str) -> None:
        """The person texted STOP to our number: Twilio refuses sends with error 21610."""
        with self._state_lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        with self._state_lock:
            self._opted_out.discard(number)

    def report_status(self, sid: str, status: str, error_code: str | None = None) -> int:
        """POST Twilio's status callback for message ``sid`` to the StatusCallback it was
        sent with, signed with the auth token; returns the HTTP status the app answered."""
        import requests
        from twilio.request_validator import RequestValidator

        with self._state_lock:
            form = self._accepted[sid]
        url = str(form["StatusCallback"])
        callback = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01",
                    "From": str(form.get("From", "")), "To": str(form["To"]),
                    "MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                    "SmsStatus": status}
        if error_code:
            callback["ErrorCode"] = error_code
        signature = RequestValidator(self.auth_token).compute_signature(url, callback)
        response = requests.post(url, data=callback, timeout=10,
                                 headers={"X-Twilio-Signature": signature,
                                          "User-Agent": "TwilioProxy/1.1"})
        return response.status_code

    def receive(self, from_: str, body: str) -> str:
        """A message the person sent to our number: it is in the account's log too."""
        sid = "SM" + secrets.token_hex(16)
        with self._state_lock:
            self._log[sid] = {"from": from_, "to": self.number, "body": body}
        return sid

    def text_webhook(self, url: str, from_: str, body: str, signed_url: str | None = None) -> list[str]:
        """What Twilio does when ``from_`` texts our number: log the message, POST the
        signed incoming-message webhook to ``url``, and send (and log) every <Message> of
        the TwiML answer back to ``from_``. Returns those reply bodies. ``signed_url``: the
        public URL the webhook is configured with, when it differs from where we post."""
        import xml.etree.ElementTree as ET

        import requests
        from twilio.request_validator import RequestValidator

        sid = self.receive(from_, body)
        form = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "Body": body,
                "From": from_, "To": self.number, "MessageSid": sid, "SmsMessageSid": sid,
                "SmsSid": sid, "SmsStatus": "received", "NumMedia": "0", "NumSegments": "1",
                "FromCountry": "ZA", "ToCountry": "ZA"}
        signature = RequestValidator(self.auth_token).compute_signature(signed_url or url, form)
        answer = requests.post(url, data=form, timeout=30,
                               headers={"X-Twilio-Signature": signature,
                                        "User-Agent": "TwilioProxy/1.1"})
        answer.raise_for_status()
        replies = [node.text or "" for node in ET.fromstring(answer.content).iter("Message")]
        with self._state_lock:
            for reply in replies:
                self._log["SM" + secrets.token_hex(16)] = {"from": self.number, "to": from_,
                                                           "body": reply}
        return replies

    def in_progress(self, sid: str) -> None:
        with self._state_lock:
            self._in_progress.add(sid)

    def message_log(self) -> dict[str, dict[str, str]]:
        """What the account's message log still holds: sid -> from, to, body."""
        with self._state_lock:
            return dict(self._log)

    # --- queries for tests ---------------------------------------------------------------
    def sid_of(self, to: str, nth: int = -1) -> str:
        """The sid we gave the ``nth`` accepted message to ``to`` (default: the last)."""
        with self._state_lock:
            sids = [sid for sid, form in self._accepted.items() if form.get("To") == to]
        return sids[nth]

    def sent_messages(self) -> list[dict[str, Any]]:
        """The form of every accepted message (HTTP 201), oldest first."""
        return [dict(request.params) for request in self.requests
                if _MESSAGES_PATH.match(request.path) and request.status == 201]

    # --- the protocol -------------------------------------------------------------------
    def operation(self, request: RecordedRequest) -> str:
        return "Messages" if _MESSAGES_PATH.match(request.path) else request.path

    def answer(self, request: RecordedRequest) -> Response:
        one = _MESSAGE_PATH.match(request.path)
        if one is not None:
            if not self._authorised(request, one.group("sid")):
                return Response(401, twilio_error(401, 20003, "Authenticate"))
            if request.method != "DELETE":
                return Response(405, twilio_error(405, 20004, "Method not allowed"))
            return self._delete_message(one.group("message"))
        match = _MESSAGES_PATH.match(request.path)
        if match is None:
            return Response(404, twilio_error(404, 20404, f"The requested resource "
                                                          f"{request.path} was not found"))
        if not self._authorised(request, match.group("sid")):
            return Response(401, twilio_error(401, 20003, "Authenticate"))
        if request.method == "GET":
            return self._list_messages(request.params)
        if request.method != "POST":
            return Response(405, twilio_error(405, 20004, "Method not allowed"))
        return self._create_message(request.params)

    def _list_messages(self, params: dict[str, Any]) -> Response:
        to, sender = params.get("To"), params.get("From")
        with self._state_lock:
            found = [{"sid": sid, "account_sid": self.account_sid, "from": entry["from"],
                      "to": entry["to"], "body": entry["body"], "status": "delivered",
                      "api_version": "2010-04-01", "direction": "outbound-api"
                      if entry["from"] == self.number else "inbound"}
                     for sid, entry in reversed(self._log.items())
                     if (not to or entry["to"] == to) and (not sender or entry["from"] == sender)]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return Response(200, {"messages": found, "first_page_uri": uri, "next_page_uri": None,
                              "previous_page_uri": None, "page": 0, "page_size": 50,
                              "start": 0, "end": max(0, len(found) - 1), "uri": uri})

    def _delete_message(self, sid: str) -> Response:
        with self._state_lock:
            if sid in self._in_progress:
                return Response(409, twilio_error(409, 20009, "Cannot delete message because "
                                                              "delivery has not been completed."))
            if self._log.pop(sid, None) is None:
                return Response(404, twilio_error(404, 20404, f"The requested resource "
                                                              f"{sid} was not found"))
        return Response(204, {})

    def _authorised(self, request: RecordedRequest, path_sid: str) -> bool:
        header = request.header("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return user == self.account_sid == path_sid and password == self.auth_token

    def _create_message(self, form: dict[str, Any]) -> Response:
        to = str(form.get("To", ""))
        sender = str(form.get("From", ""))
        body = str(form.get("Body", ""))
        if not to:
            return Response(400, twilio_error(400, 21604, "A 'To' phone number is required."))
        if not _E164.match(to):
            return Response(400, twilio_error(400, 21211, f"The 'To' number {to} is not a "
                                                          f"valid phone number."))
        if not sender and not form.get("MessagingServiceSid"):
            return Response(400, twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' "
                                                          "parameter is required to send a "
                                                          "message."))
        if not body and not form.get("MediaUrl"):
            return Response(400, twilio_error(400, 21602, "Message body is required."))
        if len(body) > 1600:
            return Response(400, twilio_error(400, 21617, "The concatenated message body "
                                                          "exceeds the 1600 character limit."))
        with self._state_lock:
            if to in self._opted_out:
                return Response(400, twilio_error(400, 21610, "Attempt to send to "
                                                              "unsubscribed recipient"))
        sid = "SM" + secrets.token_hex(16)
        with self._state_lock:
            self._accepted[sid] = dict(form)
            self._log[sid] = {"from": sender, "to": to, "body": body}
        now = format_datetime(datetime.now(UTC), usegmt=False)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return Response(201, {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "1" if form.get("MediaUrl") else "0",
            "num_segments": str(_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if form.get("MessagingServiceSid") is None else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        })
