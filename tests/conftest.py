"""Shared fixtures: the simulator on 127.0.0.1:0 (a thread), an echo server for other specs,
and a canary key that must never show up in any output."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import cmldyn
from cmldyn.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SPECS = FIXTURES / "specs"
# The CML spec lives once in the repo, as the package's own data (the drop-in's request classes use it).
CML_SPEC = ROOT / "cmldyn" / "data" / "cml-api-v2.swagger.json"


def spec_file(name: str) -> Path:
    """A spec by file name: the packaged CML spec, or one of fixtures/specs."""
    return CML_SPEC if name == CML_SPEC.name else SPECS / name
CANARY = f"cmlcanary_{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep history, cache and config of every test out of the real home, and the env clean."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in ("CML_HOST", "CML_API_KEY", "CDSW_API_URL", "CDSW_DOMAIN", "CDSW_APIV2_KEY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """One demo workspace for the read-mostly tests; its clock is frozen (tests step it)."""
    with Simulator(token=CANARY, seed="demo", speed=0) as server:
        yield server


@pytest.fixture()
def fresh_sim() -> Iterator[Simulator]:
    """A workspace of its own, for tests that change state or inject faults."""
    with Simulator(token=CANARY, seed="demo", speed=0) as server:
        yield server


@pytest.fixture(scope="session")
def api(sim: Simulator) -> cmldyn.Client:
    return cmldyn.Client(sim.url, CANARY)


@pytest.fixture()
def fresh_api(fresh_sim: Simulator) -> cmldyn.Client:
    return cmldyn.Client(fresh_sim.url, CANARY, retries=3)


Reply = tuple[int, dict[str, str], bytes]


class EchoServer:
    """Serves one spec at /spec.json and answers every other request with what it received, a queued
    reply, or what ``respond(record)`` returns (a server that judges each request)."""

    def __init__(self, spec_path: Path | None = None, respond: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.spec_bytes = spec_path.read_bytes() if spec_path else b"{}"
        self.requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []  # queued custom replies
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == "/spec.json":
                    self._send(200, {"Content-Type": "application/json"}, echo.spec_bytes)
                    return
                record = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                          "body": body.decode("utf-8", "replace")}
                echo.requests.append(record)
                if echo.replies or respond is not None:
                    status, headers, payload = echo.replies.pop(0) if echo.replies else respond(record)  # type: ignore[misc]
                    self._send(status, headers, payload)
                    return
                self._send(200, {"Content-Type": "application/json"}, json.dumps(record).encode())

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text, "the API key leaked into output"


os.environ.setdefault("CMLDYN_TEST", "1")


def large_spec(operations: int = 1000) -> dict:
    """The generated large spec of benchmarks/large_spec.py (1,000 operations, recursive schemas)."""
    import importlib.util

    path = ROOT / "benchmarks" / "large_spec.py"
    module_spec = importlib.util.spec_from_file_location("cmldyn_bench_large_spec", path)
    module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
    module_spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.make_spec(operations)


def trait_specs(directory: Path) -> dict[str, Path]:
    """The generated Kubernetes-like and Stripe-like specs of benchmarks/trait_specs.py, written to ``directory``."""
    import importlib.util

    path = ROOT / "benchmarks" / "trait_specs.py"
    module_spec = importlib.util.spec_from_file_location("cmldyn_bench_trait_specs", path)
    module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
    module_spec.loader.exec_module(module)  # type: ignore[union-attr]
    written: dict[str, Path] = module.write(directory)
    return written
