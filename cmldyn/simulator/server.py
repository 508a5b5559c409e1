"""The simulator's HTTP layer: the spec with an ETag, routing, request checks, auth and error
shapes as the profile says, and injected faults.

Standard library only (http.server). Imports nothing from the cmldyn client.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import drift
from .engine import Engine
from .profiles import Profile
from .routes import ApiFailure, BadRequest, Reply, Route, SpecIndex

__all__ = ["Drifted", "Fault", "Faults", "Handler", "Seen", "SimServer"]

MAX_BODY = 32 * 1024 * 1024
_HTTP_TO_GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4}


@dataclass
class Fault:
    """One injected misbehaviour for requests whose raw path matches ``path`` (a regex)."""

    path: str = ".*"
    method: str | None = None
    status: int | None = None
    retry_after: str | None = None
    latency: float = 0.0
    drop: bool = False  # send headers and half the body, then close the connection
    reset: bool = False  # close the connection before any response
    times: int | None = None  # None = every time
    after: int = 0  # let this many matching requests through first (page 3 of a listing: after=2)
    rate: float = 1.0
    body: bytes | None = None
    content_type: str = "application/json"
    drift: str | None = None  # answer normally, then change it: drift.py's kinds, comma-separated
    hits: int = 0
    seen: int = 0

    def applies(self, method: str, path: str, roll: float) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        if not re.search(self.path, path):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        return roll < self.rate


class Faults:
    """Fault controls for reliability tests: latency, failure statuses, dropped connections."""

    def __init__(self, rng_seed: int = 11) -> None:
        import random

        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(rng_seed)

    def add(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._rules:
                if fault.applies(method, path, self._rng.random()):
                    fault.hits += 1
                    return fault
        return None


@dataclass(frozen=True)
class Drifted:
    """One change the drift rules made to an answer: where, what kind, and the JSON path changed."""

    method: str
    path: str
    kind: str
    where: str


@dataclass
class Seen:
    method: str
    path: str
    query: str
    authorization: str | None
    content_type: str
    body: bytes = field(repr=False, default=b"")
    headers: dict[str, str] = field(repr=False, default_factory=dict)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, index: SpecIndex, workspace: Engine, profile: Profile, token: str,
                 faults: Faults) -> None:
        super().__init__(address, Handler)
        self.index = index
        self.workspace = workspace
        self.profile = profile
        self.token = token
        self.faults = faults
        self.seen: deque[Seen] = deque(maxlen=5000)
        self.drifted: deque[Drifted] = deque(maxlen=5000)
        self.spec_etag = '"' + hashlib.sha256(index.raw_bytes).hexdigest()[:32] + '"'

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer (a time-out while a fault stalled it) is not an error."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    server_version = "cmldyn-sim"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold the body back about 40 ms on every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the REPL share the terminal
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise ApiFailure(413, 3, "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw_path = parts.path
        try:
            body = self._read_body()
        except ApiFailure as failure:
            self._fail(None, failure)
            return
        headers = dict(self.headers.items())
        self.server.seen.append(Seen(method, raw_path, parts.query, self.headers.get("authorization"),
                                     self.headers.get("content-type", ""), body[:4096], headers))
        fault = self.server.faults.pick(method, raw_path)
        drift = None
        if fault is not None and fault.drift:
            drift, fault = fault.drift, None
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.reset:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.drop:
                self._drop()
                return
            if fault.status is not None:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                if fault.body is not None:
                    self._send(fault.status, fault.body, fault.content_type, extra)
                else:
                    code = _HTTP_TO_GRPC.get(fault.status, 2)
                    self._fail(None, ApiFailure(fault.status, code, f"injected fault: HTTP {fault.status}", extra))
                return
        profile, index = self.server.profile, self.server.index
        if raw_path in profile.spec_paths and method in ("GET", "HEAD"):
            self._spec()
            return
        if not profile.in_api(index, raw_path):
            self._fail(None, ApiFailure(404, 5, "Not Found"))
            return
        routed = profile.request_path(method, raw_path)
        route, values, exists = index.match(method, routed)
        if route is None and method == "HEAD":
            route, values, exists = index.match("GET", routed)
        query = parse_qs(parts.query, keep_blank_values=True)
        ctype = self.headers.get("content-type", "")
        try:
            user = profile.authorize(index, route, headers, query, self.server.token)
            if route is None:
                raise ApiFailure(405, 12, "Method Not Allowed") if exists else ApiFailure(404, 5, "Not Found")
            checked = index.check_query(route, query, strict=profile.strict_params)
            if profile.strict_params:
                index.check_headers(route, headers)
            form = ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))
            parsed = None if form else index.check_body(route, body, ctype, rules=profile.body_rules)
            reply = self.server.workspace.handle(route, values, checked, parsed, body, ctype, user)
        except BadRequest as exc:
            self._fail(route, ApiFailure(exc.status, 3, str(exc)))
            return
        except ApiFailure as failure:
            self._fail(route, failure)
            return
        except Exception as exc:  # a simulator bug: answer as the server would, and say what broke
            self._fail(route, ApiFailure(500, 13, f"simulator error: {type(exc).__name__}: {exc}"))
            return
        if drift and reply.raw is None:
            self._drift(drift, method, raw_path, route, reply)
        self._reply(reply)

    def _drift(self, kinds: str, method: str, raw_path: str, route: Route, reply: Reply) -> None:
        """Change the answer in the seeded ways, recording each change made."""
        success = route.responses.get(str(reply.status))
        schema = success.schema if success is not None else None
        for kind in (k.strip() for k in kinds.split(",") if k.strip()):
            reply.status, reply.body, where = drift.apply(kind, reply.status, reply.body, schema)
            if where is not None:
                self.server.drifted.append(Drifted(method, raw_path, kind, where))

    def _reply(self, reply: Reply, extra: dict[str, str] | None = None) -> None:
        if reply.raw is not None:
            self._send(reply.status, reply.raw, reply.content_type, extra)
        else:
            payload = json.dumps(reply.body if reply.body is not None else {}).encode()
            self._send(reply.status, payload, reply.content_type, extra)

    def _fail(self, route: Route | None, failure: ApiFailure) -> None:
        """An error answer in the profile's shape (CML's, or the one the spec declares)."""
        self._reply(self.server.profile.error_reply(self.server.index, route, failure, self.server.workspace.sampler),
                    failure.headers)

    def _spec(self) -> None:
        etag = self.server.spec_etag
        if etag in (self.headers.get("if-none-match") or ""):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, self.server.index.raw_bytes, "application/json", {"ETag": etag, "Cache-Control": "no-cache"})

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in self.server.profile.headers.items():
            self.send_header(key, value)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def _drop(self) -> None:
        body = json.dumps({"projects": [], "next_page_token": "", "padding": "x" * 256}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
