"""Generated bad (and odd-but-valid) requests for every endpoint: the fuzz run's material.

Used by bench/fuzz.py (the large run, results in docs/benchmarks.md) and by
tests/webhooks/test_webhooks_fuzz.py (a small bounded run). Each request comes from a seed,
so a failure is reproduced by its number. What is generated, per endpoint:

- ``/webhooks/telegram``: real updates (the test fixtures' shapes) with fields replaced by
  the wrong type (numbers, lists, objects, null, huge or negative numbers, long strings,
  control characters, lone surrogates), fields removed, extra fields, deep nesting, bodies
  that are not JSON or not objects; with the right secret (so they reach the parser), a
  wrong one, or none;
- ``/webhooks/twilio/sms`` and ``/status``: forms signed with the right token but odd
  values, field names with CR/LF and NUL, repeated fields, unsigned and malformed
  multipart bodies, bad signature-settings headers;
- ``/sandbox/message``: JSON of every type for every field, deeply nested arrays/objects;
- ``/``, ``/healthz``, ``/readyz``, ``/metrics``, ``/stats``: odd methods, queries, headers.

The oracle (what the runner checks): never a 5xx, and no log record at ERROR or above.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ODD_STRINGS = ["", " ", "\x00", "\r\n", "\u202e", "\ud800", "%s%n", "{reference}", "'; DROP TABLE people;--",
               "A" * 5000, "\U0001F600" * 300, "../../etc/passwd", "<Message>x</Message>", "null",
               "YES", "DELETE", "ACK K7-3QF", "/start " + "x" * 80, "1", "99", "-1", "0x10"]
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 2**63, -2**63, 1e308, float("-inf"), [], {},
                         [1, 2], {"a": 1}, "x", 3.5]


@dataclass
class FuzzRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    content_type: str | None = None
    query: str = ""


def _odd(rng: random.Random) -> Any:
    if rng.random() < 0.5:
        return rng.choice(ODD_STRINGS)
    return rng.choice(ODD_VALUES)


def _nested(depth: int, rng: random.Random) -> Any:
    value: Any = rng.choice(ODD_VALUES[:6])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def _deep_json(depth: int) -> bytes:
    """Nesting far beyond Python's recursion limit, written without recursion."""
    return b"[" * depth + b"]" * depth


def _deep_object(depth: int, key: bytes = b"message") -> bytes:
    return b'{"update_id": 1, "' + key + b'": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


def _mutate(value: Any, rng: random.Random, rate: float) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < rate / 3:
                continue  # drop the field
            out[key] = _odd(rng) if roll < rate else _mutate(item, rng, rate)
        if rng.random() < rate:
            out[rng.choice(["text", "caption", "data", "language_code", "id", "type", "chat",
                            "from", "message", "entities", "extra"])] = _odd(rng)
        return out
    if isinstance(value, list):
        return [_mutate(item, rng, rate) for item in value]
    return value


class Generator:
    """``requests(n)`` yields n FuzzRequests; the same seed gives the same requests."""

    def __init__(self, *, telegram_updates: list[dict[str, Any]], twilio_forms: list[dict[str, str]],
                 telegram_secret: str, twilio_token: str, public_url: str, seed: int = 13,
                 sms_path: str = "/webhooks/twilio/sms", status_path: str = "/webhooks/twilio/status") -> None:
        self.updates = telegram_updates
        self.forms = twilio_forms
        self.secret = telegram_secret
        self.validator = RequestValidator(twilio_token)
        self.public_url = public_url.rstrip("/")
        self.sms_path, self.status_path = sms_path, status_path
        self.rng = random.Random(seed)

    def requests(self, count: int) -> Iterator[FuzzRequest]:
        makers = [(0.40, self.telegram), (0.30, self.twilio), (0.20, self.sandbox), (0.10, self.other)]
        for n in range(count):
            roll, total = self.rng.random(), 0.0
            for weight, maker in makers:
                total += weight
                if roll < total:
                    yield maker(n)
                    break
            else:
                yield self.other(n)

    # --- Telegram ---------------------------------------------------------------------------
    def telegram(self, n: int) -> FuzzRequest:
        rng = self.rng
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        roll = rng.random()
        if roll < 0.05:
            headers = {} if rng.random() < 0.5 else {
                "X-Telegram-Bot-Api-Secret-Token": rng.choice(["x", "\u2603", self.secret[:-1], "%s"])}
        if roll < 0.12:
            body = rng.choice([b"", b"{", b"null", b"[]", b"1", b"\xff\xfe", _deep_json(rng.choice([50, 5000, 100000])),
                               _deep_object(rng.randint(10, 3000)) if rng.random() < 0.5
                               else b'{"update_id": "1"}'])
        else:
            update = _mutate(json.loads(json.dumps(rng.choice(self.updates))), rng, rng.choice([0.05, 0.2, 0.5]))
            if isinstance(update, dict):
                update["update_id"] = 10_000_000 + n if rng.random() < 0.9 else _odd(rng)
                chat = 6_000_000 + rng.randint(0, 5000)
                for key in ("message", "edited_message", "callback_query", "my_chat_member"):
                    part = update.get(key)
                    if isinstance(part, dict):
                        target = part.get("message") if key == "callback_query" else part
                        if isinstance(target, dict) and isinstance(target.get("chat"), dict) and rng.random() < 0.9:
                            target["chat"]["id"] = chat
            body = json.dumps(update, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        return FuzzRequest("POST", "/webhooks/telegram", headers, body,
                           rng.choice(["application/json", "text/plain", "application/json; charset=latin-1"]))

    # --- Twilio --------------------------------------------------------------------------------
    def _sign(self, path: str, pairs: list[tuple[str, str]]) -> str:
        from werkzeug.datastructures import MultiDict

        return self.validator.compute_signature(self.public_url + path, MultiDict(pairs))

    def twilio(self, n: int) -> FuzzRequest:
        rng = self.rng
        path = self.status_path if rng.random() < 0.25 else self.sms_path
        form = dict(rng.choice(self.forms))
        sid = f"SM{n:032x}"
        for name in ("MessageSid", "SmsSid", "SmsMessageSid"):
            if name in form:
                form[name] = sid
        form["From"] = f"+2782{rng.randint(0, 9999999):07d}"
        if path == self.status_path:
            form["MessageStatus"] = rng.choice(["delivered", "undelivered", "failed", "sent", "", "x" * 100])
        pairs = list(form.items())
        roll = rng.random()
        if roll < 0.5:  # signed but odd values or names
            for _ in range(rng.randint(1, 4)):
                index = rng.randrange(len(pairs))
                name, _ = pairs[index]
                choice = rng.random()
                if choice < 0.6:
                    pairs[index] = (name, str(rng.choice(ODD_STRINGS)).replace("\ud800", "?"))
                elif choice < 0.8:
                    pairs.append((name, "second"))
                else:
                    pairs.append((rng.choice(["Bo\rdy", "X\nY", "N\x00", "MediaUrl0", "Extra", ""]), "v"))
        headers = {"X-Twilio-Signature": self._sign(path, pairs)}
        if roll > 0.8:
            headers["X-Twilio-Signature"] = rng.choice(["", "AAAA", "x" * 500])
        if rng.random() < 0.1:
            headers["X-Twilio-Webhooks-Signature-Settings"] = rng.choice(
                ["algorithm=HMAC_SHA256", "algorithm=\u2603", "algorithm=" + "Z" * 300, ",,,=", "key=a"])
        if rng.random() < 0.1:
            boundary = "fz"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"Bo\rdy\"\r\n\r\nhi\r\n"
                    f"--{boundary}--\r\n").encode()
            if rng.random() < 0.5:
                body = body[: rng.randint(0, len(body))]
            return FuzzRequest("POST", path, headers, body, f"multipart/form-data; boundary={boundary}")
        if rng.random() < 0.05:
            return FuzzRequest("POST", path, headers, bytes(rng.randrange(256) for _ in range(64)),
                               "application/x-www-form-urlencoded")
        return FuzzRequest("POST", path, headers, urlencode(pairs).encode(),
                           "application/x-www-form-urlencoded")

    # --- the sandbox ----------------------------------------------------------------------------
    def sandbox(self, n: int) -> FuzzRequest:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            body = rng.choice([_deep_json(rng.choice([100, 2000, 50000])), b"{", b"null", b"\xff",
                               _deep_object(rng.randint(500, 3000), b"text")])
        else:
            data: dict[str, Any] = {"session": f"fuzz{n % 300:012d}", "text": "police took me"}
            for name in ("session", "text", "button", "start", "language", "as"):
                if rng.random() < 0.3:
                    data[name] = _odd(rng) if rng.random() < 0.8 else _nested(rng.randint(1, 50), rng)
            body = json.dumps(data).encode("utf-8", "surrogatepass")
        return FuzzRequest("POST", "/sandbox/message", {}, body, "application/json")

    # --- everything else --------------------------------------------------------------------------
    def other(self, n: int) -> FuzzRequest:
        rng = self.rng
        path = rng.choice(["/", "/healthz", "/readyz", "/metrics", "/stats", "/webhooks/telegram",
                           "/webhooks/twilio/sms", "/sandbox/message", "/nope", "/%00", "/webhooks/"])
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"])
        headers = {}
        if rng.random() < 0.3:
            headers["Authorization"] = rng.choice(["Bearer ", "Bearer x", "Basic Og==", "\u2603"]).encode(
                "utf-8").decode("latin-1")
        return FuzzRequest(method, path, headers, None, None,
                           query=rng.choice(["", "strict=1", "strict=\u2603", "a=" + "b" * 3000, "%zz"]))


# --- the runner ----------------------------------------------------------------------------------
@dataclass
class FuzzReport:
    requests: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    #: (request number, method, path, status) of every 5xx.
    server_errors: list[tuple[int, str, str, int]] = field(default_factory=list)
    #: "logger: message @ where" -> how many ERROR (or worse) records.
    error_lines: dict[str, int] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.error_lines.values())


class _ErrorCounter:
    """A logging handler that counts records at ERROR and above by where they come from."""

    def __init__(self, report: FuzzReport) -> None:
        import logging

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                where = getattr(record, "at", None) or getattr(record, "where", None) or \
                    f"{record.module}:{record.lineno}"
                key = f"{record.name}: {record.getMessage()[:80]} @ {where}"
                report.error_lines[key] = report.error_lines.get(key, 0) + 1

        self.handler = Handler(level=logging.ERROR)

    def __enter__(self) -> None:
        import logging

        root = logging.getLogger()
        # A root level above ERROR would drop the very records we count.
        self.level = root.level
        if root.level > logging.ERROR:
            root.setLevel(logging.WARNING)
        root.addHandler(self.handler)

    def __exit__(self, *exc: object) -> None:
        import logging

        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.level)


def run_in_process(app: Any, generator: Generator, count: int, seconds: float) -> FuzzReport:
    """Send up to ``count`` generated requests through the app's test client, stopping at
    ``seconds``; the report says what came back and what was logged at ERROR."""
    import time

    report = FuzzReport()
    client = app.test_client()
    started = time.monotonic()
    with _ErrorCounter(report):
        for number, fuzz in enumerate(generator.requests(count)):
            if time.monotonic() - started > seconds:
                break
            kwargs: dict[str, Any] = {"headers": fuzz.headers, "query_string": fuzz.query}
            if fuzz.data is not None:
                kwargs["data"] = fuzz.data
            if fuzz.content_type:
                kwargs["content_type"] = fuzz.content_type
            try:
                response = client.open(fuzz.path, method=fuzz.method, **kwargs)
                status = response.status_code
                response.close()
            except Exception:  # noqa: BLE001 - an exception escaping the app is a 500
                status = 500
            report.requests += 1
            report.statuses[status] = report.statuses.get(status, 0) + 1
            if status >= 500:
                report.server_errors.append((number, fuzz.method, fuzz.path, status))
    if hasattr(app.haki, "background") and app.haki.background is not None:
        app.haki.background.drain(10)
    report.seconds = round(time.monotonic() - started, 1)
    return report
