"""The machinery every stand-in provider shares: a real HTTP/1.1 server on 127.0.0.1.

A stand-in is a small threaded HTTP server that answers the way a provider's API does, so
the code under test uses its real client library (python-telegram-bot, twilio-python) over
a real socket. Each stand-in records every request (thread-safe) and can be told to fail:
"answer HTTP 500 for the next N calls", "answer 429 ...", or be stopped and started again
on the same port (a provider outage).

Only Telegram's and Twilio's servers are imitated here; nothing of ours is.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived. ``params`` merges the query string and the body (form,
    multipart or JSON); ``raw_body`` is the exact bytes."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    raw_body: bytes
    at: float  # time.monotonic() when the request arrived
    #: What the stand-in answered (status code), filled in before it is recorded.
    status: int = 0

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Scripted:
    """A canned answer for the next matching calls (``remaining`` counts down)."""

    status: int
    body: dict[str, Any]
    remaining: int
    applies_to: Callable[[str], bool]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    body: dict[str, Any] | list[Any]
    headers: dict[str, str] = field(default_factory=dict)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a body the way the provider would: form, multipart or JSON."""
    if not body:
        return {}
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    if media_type == "application/x-www-form-urlencoded" or not media_type:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if media_type == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                params[str(name)] = {"filename": part.get_filename(), "size": len(payload)}
            else:
                params[str(name)] = payload.decode("utf-8", "replace")
        return params
    return {"_raw": body.decode("utf-8", "replace")}


class StandinServer:
    """Base class: subclasses implement :meth:`answer` for their provider's API."""

    name = "standin"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._script: list[Scripted] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- life cycle --------------------------------------------------------------------
    def start(self) -> StandinServer:
        """Start serving (again on the same port after :meth:`stop`)."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.port), _handler_for(self))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the socket: clients see "connection refused" until :meth:`start`."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Scheme, host and port, no trailing slash (what the settings' *_api_url hold)."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what happened ---------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._script.clear()

    def wait_for(self, predicate: Callable[[list[RecordedRequest]], bool],
                 timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until ``predicate(requests)`` holds (for senders that work in a thread)."""
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.requests
            if predicate(snapshot):
                return snapshot
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} stand-in: condition not met in {timeout}s; "
                                     f"{len(snapshot)} requests recorded")
            time.sleep(0.01)

    # --- scripted failures --------------------------------------------------------------
    def script(self, status: int, body: dict[str, Any], times: int = 1,
               applies_to: Callable[[str], bool] | None = None,
               headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` matching calls with ``status`` and ``body``."""
        with self._lock:
            self._script.append(Scripted(status, body, times, applies_to or (lambda _: True),
                                         headers or {}))

    def _scripted_answer(self, operation: str) -> Scripted | None:
        with self._lock:
            for entry in self._script:
                if entry.remaining > 0 and entry.applies_to(operation):
                    entry.remaining -= 1
                    return entry
            self._script = [entry for entry in self._script if entry.remaining > 0]
            return None

    # --- subclass hooks -----------------------------------------------------------------
    def operation(self, request: RecordedRequest) -> str:
        """The name scripted failures match on (a Bot API method, a Twilio resource)."""
        return request.path

    def scripted_response(self, entry: Scripted, request: RecordedRequest) -> Response:
        return Response(entry.status, entry.body, entry.headers)

    def answer(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    # --- called by the handler ----------------------------------------------------------
    def _dispatch(self, request: RecordedRequest) -> Response:
        entry = self._scripted_answer(self.operation(request))
        response = self.scripted_response(entry, request) if entry else self.answer(request)
        recorded = RecordedRequest(**{**request.__dict__, "status": response.status})
        with self._lock:
            self._requests.append(recorded)
        return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A burst of 50 concurrent clients must not be refused by a short listen backlog.
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """An outage also breaks the keep-alive connections clients hold open."""
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


def _handler_for(standin: StandinServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs (httpx and requests pool)
        server_version = "nginx"  # what api.telegram.org says; harmless for Twilio

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._handle()

        def do_POST(self) -> None:  # noqa: N802
            self._handle()

        def do_DELETE(self) -> None:  # noqa: N802
            self._handle()

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._read_body()
            split = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(split.query, keep_blank_values=True))
            try:
                params.update(parse_body(self.headers.get("Content-Type", ""), body))
            except (ValueError, UnicodeDecodeError):
                self._send(Response(400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: can't parse body"}))
                return
            request = RecordedRequest(method=self.command, path=split.path,
                                      headers=dict(self.headers.items()), params=params,
                                      raw_body=body, at=time.monotonic())
            self._send(standin._dispatch(request))

        def _send(self, response: Response) -> None:
            # 204 No Content carries no body (Twilio's answer to a DELETE).
            payload = b"" if response.status == 204 else json.dumps(response.body).encode("utf-8")
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # request lines carry the bot token; keep test output clean of it

    return Handler
