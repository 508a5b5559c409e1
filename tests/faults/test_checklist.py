"""The fault checklist (ARCHITECTURE.md) as one parametrised test: one id per case.

CLI rows run cmldyn's main() in-process and check the documented exit code and that stderr is
one `cmldyn: error:` line (plus an optional hint). Servers are the simulator, a raw-socket fault
server and an echo server, all on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import cmldyn
from cmldyn.simulator import Simulator

from ..conftest import CANARY, CML_SPEC, ROOT, SPECS, EchoServer, free_port
from ..helpers import RawServer, dripping, minimal_spec
from .conftest import cli, fails_cleanly
from .dashboard import DASHBOARD

CASES: dict[str, Callable[[Path], None]] = {}


def case(name: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES[name] = fn
        return fn

    return register


def sim_args(sim: Simulator, *extra: str) -> list[str]:
    return ["--host", sim.url, "--token", CANARY, *extra]


def expect_failure(argv: list[str], code: int, message: str, **kw: Any) -> str:
    got, out, err = cli(argv, **kw)
    assert got == code, err
    assert fails_cleanly(got, code, err), err
    assert message in err, err
    assert CANARY not in out + err
    return err


def raw_server(reply: Callable[[socket.socket], None]) -> RawServer:
    return RawServer(reply)


def http_reply(status: str, body: bytes, ctype: str = "application/json", extra: str = "") -> Callable[[socket.socket], None]:
    def send(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body)
    return send


def local_spec(url: str) -> list[str]:
    """Global options for a fault server that only ever sees the call: the spec comes from a file."""
    return ["--host", url, "--token", CANARY, "--spec", str(CML_SPEC)]


# ------------------------------------------------------------------ network

@case("net-refused")
def _(tmp: Path) -> None:
    port = free_port()
    expect_failure(["--host", f"http://127.0.0.1:{port}", "--token", CANARY, "call", "list_projects"], 3,
                   f"cannot connect to 127.0.0.1:{port} (connection refused)")


@case("net-tls-self-signed")
def _(tmp: Path) -> None:
    import ssl
    import threading

    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    spec = (CML_SPEC).read_bytes()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                tls = context.wrap_socket(conn, server_side=True)
                tls.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += tls.recv(65536)
                body = spec if b"swagger.json" in data else b'{"projects": [], "next_page_token": ""}'
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                            + str(len(body)).encode() + b"\r\n\r\n" + body)
                tls.close()
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        host = f"https://127.0.0.1:{port}"
        expect_failure(["--host", host, "--token", CANARY, "call", "list_projects"], 3, "TLS verification failed")
        code, out, err = cli(
            ["--host", host, "--token", CANARY, "--ca-cert", str(cert), "call", "list_projects", "-q", "projects"]
        )
        assert code == 0 and json.loads(out) == [], err
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@case("net-no-answer")
def _(tmp: Path) -> None:
    server = raw_server(lambda conn: time.sleep(4))
    try:
        started = time.monotonic()
        expect_failure(local_spec(server.url) + ["--timeout", "1", "call", "list_projects"], 3, "read timeout")
        assert time.monotonic() - started < 8
        assert server.connections == 3  # a GET is retried
        expect_failure(local_spec(server.url) + ["--timeout", "1", "call", "create_project", "name=x"], 3, "read timeout")
        assert server.connections == 4  # a POST is not
    finally:
        server.close()


@case("net-slow-drip")
def _(tmp: Path) -> None:
    server = raw_server(dripping(40, 0.3, length=5000))
    try:
        started = time.monotonic()
        expect_failure(local_spec(server.url) + ["--deadline", "2", "call", "list_projects"], 3, "deadline")
        took = time.monotonic() - started
        DASHBOARD.deadlines.append(("slow drip", 2.0, took))
        assert took < 3.5
    finally:
        server.close()


@case("net-truncated")
def _(tmp: Path) -> None:
    server = raw_server(
        lambda conn: conn.sendall(
            b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n{"projects": ['
        )
    )
    try:
        expect_failure(local_spec(server.url) + ["call", "list_projects"], 3, "connection closed mid-response (14 of 90 bytes)")
    finally:
        server.close()


@case("net-stale-keep-alive")
def _(tmp: Path) -> None:
    server = raw_server(
        lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    )
    try:
        api = cmldyn.Client(server.url, CANARY, spec=CML_SPEC)
        assert api.raw("GET", "/a") == {}
        time.sleep(0.1)  # the server has closed the pooled connection without a word
        assert api.raw("GET", "/b") == {}
    finally:
        server.close()


@pytest.mark.parametrize("status", ["302 Found", "307 Temporary Redirect"])
def redirect_case(status: str, tmp: Path) -> None:
    other = EchoServer()
    server = EchoServer(CML_SPEC)
    try:
        server.replies.append((int(status[:3]), {"Location": other.url + "/api/v2/projects"}, b""))
        expect_failure(
            ["--host", server.url, "--token", CANARY, "--spec", server.url + "/spec.json", "call", "create_project", "name=x"],
            1,
            f"refusing redirect to other origin http://127.0.0.1:{other.server.server_address[1]}",
        )
        assert other.requests == []
    finally:
        server.close()
        other.close()


CASES["net-redirect-302-other-origin"] = lambda tmp: redirect_case("302 Found", tmp)
CASES["net-redirect-307-other-origin"] = lambda tmp: redirect_case("307 Temporary Redirect", tmp)


MEMORY_CHILD = (
    "import socket, sys, threading, zlib\n"
    "from cmldyn.transport import Transport, RetryPolicy\n"
    "from cmldyn.request import PreparedRequest\n"
    "from cmldyn.errors import CmldynError\n"
    "gzip_body = sys.argv[1] == 'gzip'\n"
    "chunk = b'0,' * (1 << 20)\n"
    "if gzip_body:\n"
    "    z = zlib.compressobj(1, zlib.DEFLATED, 31)\n"
    "    body = z.compress(b'[') + b''.join(z.compress(chunk) for _ in range(100)) + z.compress(b'0]') + z.flush()\n"
    "    head = b'Content-Encoding: gzip\\r\\nContent-Length: ' + str(len(body)).encode()\n"
    "else:\n"
    "    head = b'Content-Length: ' + str(100 * len(chunk)).encode()\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
    "def serve():\n"
    "    c, _ = s.accept(); c.recv(65536)\n"
    "    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n' + head + b'\\r\\n\\r\\n')\n"
    "    try:\n"
    "        if gzip_body:\n"
    "            c.sendall(body)\n"
    "        else:\n"
    "            for _ in range(100):\n"
    "                c.sendall(chunk)\n"
    "    except OSError:\n"
    "        pass\n"
    "    c.close()\n"
    "threading.Thread(target=serve, daemon=True).start()\n"
    "try:\n"
    "    Transport(f'http://127.0.0.1:{s.getsockname()[1]}', 'k', retry=RetryPolicy(attempts=1))"
    ".send(PreparedRequest('GET', '/x'))\n"
    "except CmldynError as e:\n"
    "    print(type(e).__name__, e)\n"
    "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
)


def memory_case(kind: str, label: str) -> None:
    done = subprocess.run(
        [os.sys.executable, "-c", MEMORY_CHILD, kind],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    lines = done.stdout.strip().splitlines()
    assert lines and lines[0].startswith("ResponseError response larger than 64 MB"), done.stdout + done.stderr
    peak_kb = int(lines[-1])
    DASHBOARD.memory.append((label, peak_kb))
    assert peak_kb < 150 * 1024


CASES["net-gzip-bomb"] = lambda tmp: memory_case("gzip", "gzip bomb (200 MB unpacked)")
CASES["net-oversized-body"] = lambda tmp: memory_case("plain", "200 MB body")


# ------------------------------------------------------------------ HTTP status and body


@case("http-401")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.forget()
        err = expect_failure(["--host", sim.url, "--token", "cmlcanary_wrong", "call", "list_projects"], 4, "HTTP 401")
        assert "check the API key" in err and "cmlcanary_wrong" not in err
        assert [s.path for s in sim.seen].count("/api/v2/projects") == 1  # not retried


@case("http-429-short-retry-after")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=429, times=1, retry_after="1")
        started = time.monotonic()
        code, out, err = cli(sim_args(sim, "call", "list_projects", "-q", "length(projects)"))
        took = time.monotonic() - started
        assert code == 0 and json.loads(out) == 6, err
        DASHBOARD.retry_timing.append(f"Retry-After 1 s waited {took:.2f} s")
        assert 0.9 <= took < 2.0


@case("http-429-huge-retry-after")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=429, retry_after=str(11 * 86400))
        started = time.monotonic()
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "server asked to wait 11 days; giving up")
        assert time.monotonic() - started < 2


@case("http-502-html-from-a-proxy")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        page = b"<html><body>" + b"Bad gateway " * 100 + b"</body></html>"
        sim.faults.add(path="^/api/v2/projects$", status=502, body=page, content_type="text/html")
        err = expect_failure(
            sim_args(sim, "call", "list_projects"), 1, "HTTP 502 for list_projects from a proxy or gateway (text/html, 1.2 KB)"
        )
        assert "Bad gateway" not in err


@case("http-503-every-attempt")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=503)
        started = time.monotonic()
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "gave up after 3 attempts")
        assert time.monotonic() - started < 30


@case("http-200-html-login-page")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(
            path="^/api/v2/projects$", status=200, body=b"<!DOCTYPE html><html>Sign in</html>", content_type="text/html"
        )
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "expected JSON but got text/html")


@case("http-200-invalid-utf8")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=200, body=b'{"projects": ["\xff"]}')
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "not valid UTF-8 at byte 15")


@case("http-200-extreme-nesting")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=200, body=b"[" * 200000 + b"]" * 200000)
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "too deeply nested")


@case("http-200-huge-number")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", status=200, body=b'{"n": ' + b"7" * 6000 + b"}")
        expect_failure(sim_args(sim, "call", "list_projects"), 1, "number too large")


@case("http-repeated-cursor")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(
            path="^/api/v2/projects$",
            status=200,
            body=json.dumps({"projects": [{"id": "x"}], "next_page_token": "again"}).encode(),
        )
        expect_failure(sim_args(sim, "call", "list_projects", "--all"), 1, "pagination did not advance")


# ------------------------------------------------------------------ spec


def spec_file(tmp: Path, doc: Any, name: str = "spec.json") -> str:
    path = tmp / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(path)


@case("spec-html-or-invalid-json")
def _(tmp: Path) -> None:
    expect_failure(["--spec", spec_file(tmp, "<!DOCTYPE html><html>login</html>"), "ops"], 5, "not JSON (text/html)")
    expect_failure(["--spec", spec_file(tmp, '{"swagger": "2.0",', "b.json"), "ops"], 5, "is not JSON")


@case("spec-duplicate-operation-ids")
def _(tmp: Path) -> None:
    doc = minimal_spec()
    doc["paths"]["/y"] = {"get": {"operationId": "GetX", "responses": {"200": {"description": "ok"}}}}
    code, out, err = cli(["--spec", spec_file(tmp, doc), "ops", "-o", "json"])
    assert code == 0 and {o["name"] for o in json.loads(out)} == {"get_x", "get_x_2"}
    code, out, _ = cli(["--spec", spec_file(tmp, doc), "spec", "validate"])
    assert "GET /x" in out and "GET /y" in out and "get_x_2" in out


@case("spec-awkward-operation-ids")
def _(tmp: Path) -> None:
    api = cmldyn.Client("http://127.0.0.1:9", CANARY, spec=SPECS / "colliding-names.json")
    for raw_id in ("class", "__init__", "call", "2fa-status", "ｆｕｌｌＷｉｄｔｈ", "match"):
        assert api.operation(raw_id).operation_id == raw_id
    assert callable(api.call) and api.model.get("call").name == "call_"


@case("spec-odd-parameter-names")
def _(tmp: Path) -> None:
    api = cmldyn.Client("http://127.0.0.1:9", CANARY, spec=SPECS / "colliding-names.json")
    request = api.prepare("odd_params", id_path="p", id_query="q", page_size=1, filter="f", from_="z", x_trace="t")
    assert request.path == "/items/p" and ("id", "q") in request.query and ("$filter", "f") in request.query
    assert request.headers == {"X-Trace": "t"}


@case("spec-external-http-ref")
def _(tmp: Path) -> None:
    doc = minimal_spec()
    doc["definitions"]["X"]["properties"]["b"] = {"$ref": "http://127.0.0.1:9/evil.json"}
    expect_failure(["--spec", spec_file(tmp, doc), "ops"], 5, "external $ref not allowed")


@case("spec-file-and-odd-refs")
def _(tmp: Path) -> None:
    for ref in ("file:///etc/passwd", "../secrets.json", "/dev/zero", "python://cmldyn/data/x.json"):
        doc = minimal_spec()
        doc["definitions"]["X"]["properties"]["b"] = {"$ref": ref}
        started = time.monotonic()
        expect_failure(["--spec", spec_file(tmp, doc), "ops"], 5, "external $ref not allowed")
        assert time.monotonic() - started < 1


@case("spec-cyclic-schema")
def _(tmp: Path) -> None:
    code, out, _ = cli(["--spec", str(SPECS / "recursive.json"), "describe", "get_node"])
    assert code == 0 and "(recursive: Node)" in out


@case("spec-foreign-host-ignored")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        doc = json.loads((CML_SPEC).read_text())
        doc["host"] = "evil.example.invalid"
        doc["schemes"] = ["http"]
        code, out, err = cli(sim_args(sim, "--spec", spec_file(tmp, doc), "call", "list_projects", "-q", "length(projects)"))
        assert code == 0 and json.loads(out) == 6, err
        code, out, _ = cli(sim_args(sim, "--spec", spec_file(tmp, doc), "spec", "validate"))
        assert "evil.example.invalid" in out and "ignored" in out


@case("spec-cache-damaged-or-foreign")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        cache = str(tmp / "cache")
        api = cmldyn.Client(sim.url, CANARY, cache=cache)
        meta = Path(api.cache_path or "")
        for damage in ("tamper", "world-writable", "other-owner"):
            body = meta.with_suffix(".spec")
            if damage == "tamper":
                body.write_bytes(body.read_bytes().replace(b"ListProjects", b"ListProjectx"))
            elif damage == "world-writable":
                body.chmod(0o666)
            else:
                os.chown(body, 65534, 65534)
            again = cmldyn.Client(sim.url, CANARY, cache=cache)
            assert again.spec_state == "fetched", damage
            assert any("spec cache ignored" in w for w in again.spec_warnings), damage
            assert body.stat().st_uid == os.getuid() and (body.stat().st_mode & 0o777) == 0o600


# ------------------------------------------------------------------ arguments


@case("arg-missing-required")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.forget()
        expect_failure(sim_args(sim, "call", "get_job", "p1"), 2, "missing required parameter job_id (path)")
        assert [s.path for s in sim.seen if s.path != "/api/v2/swagger.json"] == []


@case("arg-unknown-keyword")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.forget()
        expect_failure(sim_args(sim, "call", "get_project", "projectid=x"), 2, "unknown parameter 'projectid'")
        assert [s.path for s in sim.seen if s.path != "/api/v2/swagger.json"] == []


@case("arg-wrong-type-or-enum")
def _(tmp: Path) -> None:
    petstore = ["--spec", str(SPECS / "petstore-2.0.json"), "--host", "http://127.0.0.1:9", "--token", CANARY]
    expect_failure([*petstore, "call", "list_pets", "--limit", "many"], 2, "wrong type for limit")
    expect_failure([*petstore, "call", "list_pets", "--status", "lost"], 2, "not one of available, pending, sold")


@case("arg-path-value-encoded")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        for value in ("a/b", "a?b", "a#b", "a\r\nb", "é" * 3, "x" * 3000):
            sim.forget()
            code, _, _ = cli(sim_args(sim, "call", "get_project", value))
            assert code == 1
            seen = [s.path for s in sim.seen if s.path != "/api/v2/swagger.json"]
            assert len(seen) == 1 and seen[0].startswith("/api/v2/projects/") and seen[0].count("/") == 4


@case("arg-path-value-dots")
def _(tmp: Path) -> None:
    for value in ("", ".", ".."):
        expect_failure(
            [
                "--spec",
                str(CML_SPEC),
                "--host",
                "http://127.0.0.1:9",
                "--token",
                CANARY,
                "call",
                "get_project",
                "--project-id",
                value,
            ],
            2,
            "invalid value for path parameter",
        )


@case("arg-header-crlf")
def _(tmp: Path) -> None:
    err = expect_failure(
        [
            "--spec",
            str(SPECS / "petstore-2.0.json"),
            "--host",
            "http://127.0.0.1:9",
            "--token",
            CANARY,
            "call",
            "list_pets",
            "--x-request-id",
            "a\r\nX-Evil: 1",
        ],
        2,
        "invalid value for header parameter x_request_id",
    )
    assert "X-Evil" not in err


# ------------------------------------------------------------------ secrets


@case("secret-token-whitespace-and-bad-characters")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        code, out, _ = cli(
            ["--host", sim.url, "call", "list_projects", "-q", "length(projects)"], env={"CML_API_KEY": CANARY + "\n"}
        )
        assert code == 0
        for bad in (CANARY[:10] + " " + CANARY[10:], CANARY + "ü"):
            err = expect_failure(
                ["--host", sim.url, "call", "list_projects"], 4, "API key contains invalid characters", env={"CML_API_KEY": bad}
            )
            assert bad.strip() not in err


@case("secret-netrc-does-not-replace-the-key")
def _(tmp: Path) -> None:
    netrc = tmp / ".netrc"
    netrc.write_text("machine 127.0.0.1 login u password netrc-secret\n")
    netrc.chmod(0o600)
    old = os.environ.get("NETRC")
    os.environ["NETRC"] = str(netrc)
    try:
        with Simulator(token=CANARY, speed=0) as sim:
            assert cli(sim_args(sim, "call", "list_projects"))[0] == 0
            assert {s.authorization for s in sim.seen if s.path == "/api/v2/projects"} == {"Bearer " + CANARY}
    finally:
        if old is None:
            os.environ.pop("NETRC", None)
        else:
            os.environ["NETRC"] = old


@case("secret-query-key")
def _(tmp: Path) -> None:
    """A spec that sends its key in the query: the key goes there, to the configured origin only, and
    is in no output: not in --dry-run, not in an error that quotes the URL back, not with --debug."""
    spec = ["--spec", str(SPECS / "security.yaml")]

    def quote_back(record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return 401, {"Content-Type": "application/json"}, json.dumps({"message": f"no access to {record['path']}"}).encode()

    server = EchoServer(respond=quote_back)
    try:
        code, out, err = cli([*spec, "--host", server.url, "--token", CANARY, "call", "key_in_query", "--dry-run"])
        assert code == 0, err
        assert CANARY not in out + err, (out, err)
        assert json.loads(out)["headers"] == {"query api_key": "***"}
        assert server.requests == []
        err = expect_failure([*spec, "--host", server.url, "--token", CANARY, "call", "key_in_query"], 4,
                             "no access to /query?api_key=***")
        assert [r["path"] for r in server.requests] == [f"/query?api_key={CANARY}"]
        code, out, err = cli([*spec, "--debug", "--host", server.url, "--token", CANARY, "call", "key_in_query"])
        assert code == 4 and "Traceback" in err and CANARY not in out + err
    finally:
        server.close()


@case("secret-header-and-cookie-keys-stay-on-the-origin")
def _(tmp: Path) -> None:
    """Keys in a custom header or a cookie go as declared, and never follow a redirect elsewhere."""
    spec = ["--spec", str(SPECS / "security.yaml")]
    ok = (200, {"Content-Type": "application/json"}, b'{"ok": true}')  # not an echo: the echo would hold the key
    server, other = EchoServer(respond=lambda record: ok), EchoServer()
    try:
        for op, where in (("key_in_header", "X-API-Key"), ("key_in_cookie", "Cookie")):
            assert cli([*spec, "--host", server.url, "--token", CANARY, "call", op])[0] == 0
            sent = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}
            assert sent[where.lower()] == (CANARY if where == "X-API-Key" else f"session={CANARY}")
            server.replies.append((307, {"Location": other.url + "/elsewhere"}, b""))
            expect_failure([*spec, "--host", server.url, "--token", CANARY, "call", op], 1, "refusing redirect to other origin")
        assert other.requests == []
    finally:
        server.close()
        other.close()


@case("secret-basic-auth")
def _(tmp: Path) -> None:
    """HTTP basic: the user by flag, the password from the environment (never argv), in no output."""
    spec = ["--spec", str(SPECS / "security.yaml")]
    password = f"pw-{CANARY}"
    server = EchoServer(respond=lambda record: (401, {"Content-Type": "application/json"}, b'{"message": "bad password"}'))
    try:
        expect_failure([*spec, "--host", server.url, "--user", "ada", "call", "basic_auth"], 4, "bad password",
                       env={"CMLDYN_PASSWORD": password})
        import base64

        sent = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}["authorization"]
        assert base64.b64decode(sent.split()[1]).decode() == f"ada:{password}"
        expect_failure([*spec, "--host", server.url, "--user", "ada", "call", "basic_auth"], 4,
                       "no password for user 'ada': set CMLDYN_PASSWORD")
        assert len(server.requests) == 1  # without a password nothing more was sent
    finally:
        server.close()


@case("secret-debug-run")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        code, out, err = cli(sim_args(sim, "--debug", "call", "get_project", "nope"))
        assert code == 1 and "Traceback" in err and CANARY not in out + err


@case("secret-repl-history")
def _(tmp: Path) -> None:
    typed = f"1 + 1\r k = {CANARY!r}\rkey = {CANARY!r}\rh = {{'authorization': 'Bearer x'}}\r\x04"
    history = tmp / "h" / "history"
    script = (
        "import io\n"
        "from prompt_toolkit.application import create_app_session\n"
        "from prompt_toolkit.input import create_pipe_input\n"
        "from prompt_toolkit.output import DummyOutput\n"
        "import cmldyn\n"
        "from cmldyn.repl.commands import Console\n"
        "from cmldyn.repl.session import make_namespace, run_prompt\n"
        f"api = cmldyn.Client('http://127.0.0.1:9', {CANARY!r}, spec={str(CML_SPEC)!r})\n"
        f"console = Console(make_namespace(api), secrets=({CANARY!r},))\n"
        "with create_pipe_input() as pipe:\n"
        "    with create_app_session(input=pipe, output=DummyOutput()):\n"
        f"        pipe.send_text({typed!r})\n"
        f"        run_prompt(console, io.StringIO(), {str(history)!r}, io.StringIO())\n"
    )
    done = subprocess.run(
        [os.sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        preexec_fn=lambda: os.umask(0),
    )
    assert done.returncode == 0, done.stderr
    text = history.read_text()
    assert "+1 + 1" in text and CANARY not in text and "Bearer" not in text
    assert (history.stat().st_mode & 0o777) == 0o600 and (history.parent.stat().st_mode & 0o777) == 0o700


# ------------------------------------------------------------------ REPL and terminal


@case("term-invalid-jmespath")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        err = expect_failure(sim_args(sim, "call", "list_projects", "-q", "projects[?name=="), 2, "invalid JMESPath at column")
        assert "projects[?name==" in err


@case("term-control-characters")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        evil = "x\x1b]8;;http://evil\x07click\x1b[2J\x9b1m\u202egnp.exe"
        assert cli(sim_args(sim, "call", "create_project", f"name={evil}", f"description={evil}"))[0] == 0
        for fmt in ("json", "yaml", "table", "raw"):
            query = ["-q", "projects[].description"] if fmt == "raw" else []
            code, out, _ = cli(sim_args(sim, "call", "list_projects", "--page-size", "50", "-o", fmt, *query))
            assert code == 0
            assert not any(ch in out for ch in ("\x1b", "\x07", "\x9b", "\u202e")), fmt


@case("term-lang-c-and-head")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        cli(sim_args(sim, "call", "create_project", "name=Ünïcødé-项目"))
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C",
            "LC_ALL": "C",
            "PYTHONIOENCODING": "ascii",
            "PYTHONPATH": str(ROOT),
            "CML_API_KEY": CANARY,
            "HOME": str(tmp),
        }
        done = subprocess.run(
            f"{os.sys.executable} -m cmldyn --host {sim.url} call list_projects --page-size 50 -o raw "
            f"-q 'projects[].name' | head -1",
            shell=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
        done = subprocess.run(
            [
                os.sys.executable,
                "-m",
                "cmldyn",
                "--host",
                sim.url,
                "call",
                "list_projects",
                "--page-size",
                "50",
                "-o",
                "raw",
                "-q",
                "projects[].name",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "\\xdc" in done.stdout or "\\u00dc" in done.stdout or "\\xc3" in done.stdout, done.stdout


# ------------------------------------------------------------------ files


@case("drift-answer-differs-from-the-spec")
def _(tmp: Path) -> None:
    """The call succeeds and the finding is recorded; --strict turns it into exit 6, one clean line."""
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/runtimes$", drift="wrong-type,undocumented-status")
        code, out, err = cli(sim_args(sim, "call", "list_runtimes", "-q", "length(runtimes)"))
        assert code == 0 and out.strip() == "10", err
        expect_failure(sim_args(sim, "--strict", "call", "list_runtimes"), 6, "the answer differs from the spec")
        code, out, err = cli(sim_args(sim, "spec", "drift"))
        assert code == 0 and {f["kind"] for f in json.loads(out)["findings"]} == {"type", "status"}
        assert CANARY not in out + err


@case("drift-check-never-writes")
def _(tmp: Path) -> None:
    """cmldyn check sends only GETs, within its call bound; its transport refuses a write before any I/O."""
    with Simulator(token=CANARY, speed=0) as sim:
        code, out, err = cli(sim_args(sim, "check", "--max-calls", "20", "--rate", "0", "-o", "json"))
        assert code == 0, err
        assert {s.method for s in sim.seen} == {"GET"}
        assert json.loads(out)["calls"] == 20
        api = cmldyn.Client(sim.url, CANARY, cache=False)
        api.transport.read_only = True
        sim.forget()
        try:
            api.create_project(name="never")
        except cmldyn.errors.UsageError as error:
            assert "read-only" in str(error)
        else:
            raise AssertionError("a write went through a read-only transport")
        assert sim.seen == []


@case("live-values-while-the-server-stalls")
def _(tmp: Path) -> None:
    """Typing never waits for existing values: p95 of 100 keystrokes <= 10 ms with every list call held;
    one short note after the time-out, no traceback; the shell's Tab gives up within its limit."""
    from cmldyn.livevalues import LiveValues
    from cmldyn.repl.commands import Console
    from cmldyn.repl.completion import Suggester
    from cmldyn.repl.session import make_namespace

    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(method="GET", path=r"^/api/v2/projects(\?|$)", latency=4.0)
        api = cmldyn.Client(sim.url, CANARY, cache=False, retries=1)
        live = LiveValues(api, timeout=0.5)
        console = Console(make_namespace(api))
        suggester = Suggester(lambda: console.namespace, live=live)
        took = []
        for i in range(100):
            start = time.perf_counter()
            suggester.suggest('api.get_project(project_id="' + "abcd-efgh"[: i % 9])
            took.append(time.perf_counter() - start)
        assert sorted(took)[94] <= 0.010, sorted(took)[94]
        end = time.monotonic() + 5
        while not live.note and time.monotonic() < end:
            time.sleep(0.05)
        assert live.note.startswith("no live values from list_projects") and "Traceback" not in live.note
        assert CANARY not in live.note
        live.close()
        env = {"CML_API_KEY": CANARY, "HOME": str(tmp), "XDG_CACHE_HOME": str(tmp / "c")}
        assert cli(["--host", sim.url, "ops", "x"], env=env)[0] == 0  # the spec cached
        start = time.perf_counter()
        code, out, err = cli(["__complete", f"cmldyn --host {sim.url} call get_project "], env=env)
        assert code == 0 and err == "" and "project_id=" in out and time.perf_counter() - start < 2.0


@case("completion-cache-tampered-loosened-symlink")
def _(tmp: Path) -> None:
    """The shell's live-values file: garbage, a loosened mode or a symlink is ignored and written again,
    0600, holding values and labels only."""
    from cmldyn.livevalues import DiskValues, Source

    source = Source("list_projects", "id", (), "/api/v2/projects")
    target = tmp / "elsewhere.json"
    target.write_text("keep me")
    for damage in ("garbage", "loosened", "symlink"):
        disk = DiskValues(str(tmp / "values"), f"https://h {damage}")
        disk.put(source, (), [("a", "demo")])
        path = Path(disk.path)
        if damage == "garbage":
            path.write_text("{not json")
        elif damage == "loosened":
            path.chmod(0o644)
        else:
            path.unlink()
            path.symlink_to(target)
        assert disk.get(source, ()) is None
        disk.put(source, (), [("b", "other")])
        assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert disk.get(source, ()) == [("b", "other")] and CANARY not in path.read_text()
    assert target.read_text() == "keep me"


def _toolbox(sim: Simulator, **policy: Any) -> Any:
    from cmldyn.mcp.tools import Policy, Toolbox

    return Toolbox(cmldyn.Client(sim.url, CANARY, cache=False), Policy(**policy))


@case("mcp-write-or-destructive-without-its-flag")
def _(tmp: Path) -> None:
    """Refused with a tool error naming the flag; the server receives nothing."""
    pytest.importorskip("mcp")
    with Simulator(token=CANARY, speed=0) as sim:
        box, writer = _toolbox(sim), _toolbox(sim, allow_write=True)
        pid = json.loads(box.run("call_operation", {"name": "list_projects", "query": "projects[0].id"})[0])
        sim.forget()
        text, failed = box.run("call_operation", {"name": "create_project", "arguments": {"name": "x"}})
        assert failed and "--allow-write" in text
        text, failed = writer.run("call_operation", {"name": "delete_project", "arguments": {"project_id": pid}})
        assert failed and "--allow-destructive" in text and "--allow delete_project" in text
        text, failed = box.run("wait_for", {"name": "stop_application", "arguments": {"project_id": pid,
                                                                                      "application_id": "a"}})
        assert failed and "--allow" in text
        assert sim.seen == []
        DASHBOARD.texts.append(text)


@case("mcp-results-masked-and-keyless")
def _(tmp: Path) -> None:
    """environment values and key-, token-, password- and secret-named fields masked; the key in no result."""
    pytest.importorskip("mcp")
    with Simulator(token=CANARY, speed=0) as sim:
        box = _toolbox(sim, allow_write=True)
        pid = json.loads(box.run("call_operation", {"name": "list_projects", "query": "projects[0].id"})[0])
        made, failed = box.run("call_operation", {"name": "create_job", "arguments": {
            "project_id": pid, "name": "masked", "script": "a.py", "environment": {"TOKEN": CANARY, "X": "y"}}})
        assert not failed and CANARY not in made and '\\"X\\": \\"***\\"' in made, made
        bad, failed = box.run("call_operation", {"name": "get_project", "arguments": {"project_id": CANARY}})
        assert failed and CANARY not in bad
        DASHBOARD.texts.extend([made, bad])


@case("mcp-http-loopback-and-token")
def _(tmp: Path) -> None:
    """Bound to 127.0.0.1 only; a request without the server's own bearer token is 401."""
    pytest.importorskip("mcp")
    import re
    import sys
    import urllib.error
    import urllib.request

    with Simulator(token=CANARY, speed=0) as sim:
        env = {"CML_API_KEY": CANARY, "CMLDYN_MCP_TOKEN": "t" * 40, "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
        proc = subprocess.Popen([sys.executable, "-m", "cmldyn", "--host", sim.url, "mcp", "--http", "0"], env=env,
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
        try:
            assert proc.stderr is not None
            port = int(re.search(r":(\d+)/mcp", proc.stderr.readline()).group(1))  # type: ignore[union-attr]
            try:
                urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=b"{}"), timeout=10)
                raise AssertionError("answered without the token")
            except urllib.error.HTTPError as error:
                assert error.code == 401
            with pytest.raises(OSError):
                urllib.request.urlopen(f"http://127.0.0.2:{port}/mcp", timeout=5)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
        DASHBOARD.texts.append(err)


@case("mcp-oversized-result-capped")
def _(tmp: Path) -> None:
    """Cut to the limit (16 KiB by default) with a note on how to narrow it."""
    pytest.importorskip("mcp")
    with Simulator(token=CANARY, speed=0) as sim:
        text, failed = _toolbox(sim, max_result=1024).run("call_operation", {"name": "list_runtimes"})
        assert not failed and len(text.encode()) <= 1024 and "[cut: the answer is" in text and "max_items" in text


@case("file-config-missing-invalid-readable")
def _(tmp: Path) -> None:
    from cmldyn.config import load_profiles

    assert load_profiles(str(tmp / "absent.toml")) == {}
    bad = tmp / "bad.toml"
    bad.write_text("[profiles.a]\nhost = \n")
    bad.chmod(0o600)
    with pytest.raises(Exception, match=f"{bad}:2"):
        load_profiles(str(bad))
    (tmp / "store").mkdir()
    readable = tmp / "store" / "config.toml"  # a profile holding the key: the credential store
    readable.write_text(f'[profiles.default]\nhost = "http://127.0.0.1:9"\nkey = "{CANARY}"\n')
    readable.chmod(0o644)
    notes: list[str] = []
    load_profiles(str(readable), notes)
    assert notes and f"chmod 600 {readable}" in notes[0] and CANARY not in notes[0]


@case("file-history-and-cache-unusable")
def _(tmp: Path) -> None:
    from cmldyn.repl.session import open_history

    target = tmp / "real"
    target.write_text("")
    (tmp / "hist").mkdir(mode=0o700)
    (tmp / "hist" / "history").symlink_to(target)
    warn = io.StringIO()
    history = open_history(str(tmp / "hist" / "history"), (), warn)
    assert "history not saved" in warn.getvalue() and type(history).__name__ == "InMemoryHistory"
    with Simulator(token=CANARY, speed=0) as sim:
        # A cache directory we cannot write to: the call still prints its result, with a warning kept.
        locked = tmp / "locked"
        locked.mkdir(mode=0o700)
        (locked / "specs").symlink_to(tmp / "elsewhere")
        api = cmldyn.Client(sim.url, CANARY, cache=str(locked / "specs"))
        assert api.list_projects(page_size=1).projects
        assert any("spec cache not written" in w for w in api.spec_warnings)
        # Disk full (a file-size limit in a child): the result still prints.
        done = subprocess.run(
            [os.sys.executable, "-m", "cmldyn", "--host", sim.url, "call", "list_projects", "-q", "length(projects)"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={
                "PYTHONPATH": str(ROOT),
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp / "fullhome"),
                "CML_API_KEY": CANARY,
                "PYTHONDONTWRITEBYTECODE": "1",
            },  # a short .pyc write would corrupt the cache
            preexec_fn=_limit_file_size,
        )
        assert done.returncode == 0 and done.stdout.strip() == "6", done.stderr


def _limit_file_size() -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))


@case("file-interrupted-write")
def _(tmp: Path) -> None:
    script = (
        "import os, sys; from cmldyn.storage import write_private\n"
        f"write_private({str(tmp / 'd' / 'f.json')!r}, b'old')\n"
        "real = os.replace\n"
        "def boom(*a): os.kill(os.getpid(), 9)\n"
        "os.replace = boom\n"
        f"write_private({str(tmp / 'd' / 'f.json')!r}, b'new' * 1000)\n"
    )
    subprocess.run([os.sys.executable, "-c", script], env={"PYTHONPATH": str(ROOT)}, timeout=60)
    assert (tmp / "d" / "f.json").read_bytes() == b"old"


# ------------------------------------------------------------------ third-round surfaces


@case("repl-any-line-is-one-error")
def _(tmp: Path) -> None:
    from cmldyn.repl.commands import Console
    from cmldyn.repl.session import make_namespace, run_lines

    with Simulator(token=CANARY, speed=0) as sim:
        console = Console(make_namespace(cmldyn.Client(sim.url, CANARY)), secrets=(CANARY,))
        lines = ["api = 5", ".ops job", "_ | " + "(" * 5000, "\udcff print(1)", ".save a\x00b", "print('alive')"]
        out = io.StringIO()
        run_lines(console, io.StringIO("\n".join(lines) + "\n"), out)
    assert out.getvalue().splitlines()[-1] == "alive" and "Traceback" not in out.getvalue()


@case("jmespath-past-its-bounds")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        expect_failure(sim_args(sim, "call", "list_projects", "-q", "a || " * 1000 + "a"), 2, "nested too deeply")
        expect_failure(sim_args(sim, "call", "list_projects", "-q", "a" * 20_000), 2, "too long")


@case("mcp-huge-arguments-and-a-stalled-pool")
def _(tmp: Path) -> None:
    from cmldyn.mcp.tools import Toolbox

    api = cmldyn.Client("http://127.0.0.1:9", CANARY, spec=CML_SPEC)
    started = time.monotonic()
    text, failed = Toolbox(api).run("search_operations", {"query": "x" * (10 * 2**20)})
    assert failed and "too large" in text and time.monotonic() - started < 2
    # The stalled pool itself: tests/test_mcp_bounds.py (60 calls, search answered in < 100 ms meanwhile).


@case("key-never-in-repr-or-vars")
def _(tmp: Path) -> None:
    api = cmldyn.Client("http://127.0.0.1:9", CANARY, spec=CML_SPEC)
    seen = repr(api.transport) + str(vars(api)) + str(vars(api.transport)) + repr(api.transport.secrets)
    assert CANARY not in seen and "Secret('***')" in seen


@case("save-onto-a-file-or-a-link")
def _(tmp: Path) -> None:
    from cmldyn.repl.commands import Console

    console = Console({"api": None})
    target, link = tmp / "mine.py", tmp / "link.py"
    target.write_text("keep\n")
    link.symlink_to(target)
    assert not console.run(f".save {target}").ok and not console.run(f".save! {link}").ok
    assert target.read_text() == "keep\n" and console.run(f".save {tmp / 'new.py'}").ok
    assert stat.S_IMODE((tmp / "new.py").stat().st_mode) == 0o600


@case("check-refused-or-reaching-nothing")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        expect_failure(["--host", sim.url, "--token", "wrong-key", "check", "--rate", "0", "--max-calls", "10"], 4,
                       "every call was refused (401")


@case("post-answered-429")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="^/api/v2/projects$", method="POST", status=429, times=1, retry_after="0")
        got, out, err = cli(sim_args(sim, "call", "create_project", "name=after-429", "-q", "name"))
        assert got == 0 and json.loads(out) == "after-429", err
        assert sum(1 for s in sim.seen if s.method == "POST") == 2  # the one rule: POST again only after 429


@case("sim-state-redacted-private-and-refused-when-damaged")
def _(tmp: Path) -> None:
    path = tmp / "state.json"
    with Simulator(token=CANARY, speed=0) as sim:
        pid = next(iter(sim.workspace.store("projects")))
        sim.workspace.store("projects")[pid]["environment"] = json.dumps({"DB_PASSWORD": "env-canary-1"})
        sim.save(str(path))
    assert b"env-canary-1" not in path.read_bytes() and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_bytes(path.read_bytes()[:100])
    before = path.read_bytes()
    expect_failure(["sim", "--state", str(path), "--port", "0"], 5, "damaged or cut short")
    assert path.read_bytes() == before



@case("amp-file-unusable-or-failing")
def _(tmp: Path) -> None:
    amp = tmp / ".project-metadata.yaml"
    amp.write_text("name: x\ntasks:\n  - type: create_job\n   name: bad-indent\n", encoding="utf-8")
    expect_failure(["amp", "lint", str(tmp)], 2, ".project-metadata.yaml:4:")
    amp.write_text("a: &a [x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                for p, c in zip("abcdefgh", "bcdefghi", strict=True)), encoding="utf-8")
    expect_failure(["amp", "lint", str(tmp)], 2, "values")
    minimal = Path(__file__).resolve().parents[2] / "fixtures" / "amp" / "minimal"
    with Simulator(token=CANARY, speed=60) as sim:
        sim.workspace.force_outcome("job_run", "ENGINE_FAILED")
        expect_failure(sim_args(sim, "amp", "apply", str(minimal), "--project", "p", "--poll", "0.02"), 7,
                       "tasks[1] run job 'Say hello'")


@case("env-secret-values-never-shown")
def _(tmp: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        got, out, err = cli(sim_args(sim, "env", "set", "demo", f"DB_PASSWORD={CANARY}x", "PLAIN=1"))
        assert got == 0, err
        for words in (["env", "get", "demo"], ["env", "get", "demo", "-o", "table"], ["env", "get", "demo", "-o", "dotenv"],
                      ["env", "get", "demo", "DB_PASSWORD"]):
            got, out, err = cli(sim_args(sim, *words))
            assert got == 0 and CANARY not in out + err and "***" in out, (words, out)

# ------------------------------------------------------------------ the test


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_checklist_row(case_id: str, tmp_path: Path, record_row: Callable[[], None]) -> None:
    CASES[case_id](tmp_path)
    record_row()
