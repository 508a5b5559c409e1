"""Transport faults on loopback: refused, hanging, dripping, truncated, retried, redirected, oversized."""

from __future__ import annotations

import gzip
import socket
import time
from typing import Callable, Iterator

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.request import PreparedRequest
from cmldyn.simulator import Simulator
from cmldyn.transport import RetryPolicy, Transport

from .conftest import CANARY, SPECS, EchoServer, free_port
from .helpers import RawServer, dripping


@pytest.fixture()
def raw() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def make(behave: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(behave)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def transport(url: str, **kw: object) -> Transport:
    options: dict = dict(timeout=(1.0, 1.0), deadline=3.0, retry=RetryPolicy(attempts=1))
    options.update(kw)
    return Transport(url, CANARY, **options)  # type: ignore[arg-type]


def get(path: str = "/x") -> PreparedRequest:
    return PreparedRequest("GET", path, operation="test")


def test_connection_refused_is_one_clear_error() -> None:
    port = free_port()
    with pytest.raises(errors.TransportError, match=f"cannot connect to 127.0.0.1:{port} \\(connection refused\\)"):
        transport(f"http://127.0.0.1:{port}").send(get())


def test_server_that_never_answers_hits_the_read_timeout(raw) -> None:  # type: ignore[no-untyped-def]
    server = raw(lambda conn: time.sleep(3))
    started = time.monotonic()
    with pytest.raises(errors.TransportError, match="read timeout"):
        transport(server.url).send(get())
    assert time.monotonic() - started < 2.5


def test_slow_drip_is_stopped_by_the_overall_deadline(raw) -> None:  # type: ignore[no-untyped-def]
    server = raw(dripping(100, 0.3, length=1000))
    started = time.monotonic()
    with pytest.raises(errors.TransportError, match="deadline"):
        transport(server.url, deadline=2.0).send(get())
    assert time.monotonic() - started < 3.0


def test_truncated_body_says_how_much_arrived(raw) -> None:  # type: ignore[no-untyped-def]
    def cut(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\": 1")

    server = raw(cut)
    with pytest.raises(errors.TransportError, match=r"connection closed mid-response \(7 of 100 bytes\)"):
        transport(server.url).send(get())


def test_a_chunked_body_cut_short_says_how_much_arrived_not_of_how_much(raw) -> None:  # type: ignore[no-untyped-def]
    def cut(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"7\r\n{\"a\": 1\r\n40\r\n{\"b\"")

    server = raw(cut)
    with pytest.raises(errors.TransportError) as info:
        transport(server.url).send(get())
    message = info.value.message
    assert "connection closed mid-response by 127.0.0.1:" in message and "the length was not announced" in message
    assert "of ?" not in message


def test_a_stalled_get_is_retried_and_its_message_names_the_cause_and_the_host(raw) -> None:  # type: ignore[no-untyped-def]
    server = raw(lambda conn: time.sleep(5))
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(errors.TransportError) as info:
        transport(server.url, timeout=(1.0, 0.5), deadline=10.0, retry=RetryPolicy(attempts=3, sleep=lambda s: None)).send(get())
    assert info.value.message == f"no response within 0.5 s (read timeout) from 127.0.0.1:{port} (gave up after 3 attempts)"
    assert server.connections == 3


def test_the_default_read_timeout_leaves_room_for_every_attempt_inside_the_deadline() -> None:
    from cmldyn.transport import DEFAULT_DEADLINE, DEFAULT_TIMEOUT

    policy = RetryPolicy()
    worst = policy.attempts * DEFAULT_TIMEOUT[1] + sum(min(policy.cap, policy.base * 2 ** n) for n in range(policy.attempts))
    assert worst < DEFAULT_DEADLINE


def test_a_deadline_that_would_pass_stops_the_retries_and_says_so(raw) -> None:  # type: ignore[no-untyped-def]
    server = raw(lambda conn: time.sleep(5))
    with pytest.raises(errors.TransportError) as info:
        transport(server.url, timeout=(1.0, 0.6), deadline=1.0, retry=RetryPolicy(attempts=3, sleep=lambda s: None,
                                                                                   rand=lambda: 1.0)).send(get())
    assert "(read timeout)" in info.value.message and "the 1 s deadline would pass" in info.value.message


@pytest.mark.parametrize("status, posts", [(429, 2), (503, 1), (502, 1)])
def test_the_retry_rule_a_post_is_sent_again_only_after_429(fresh_sim: Simulator, status: int, posts: int) -> None:
    """429 comes before any work (as botocore retries throttling for every method); a 5xx may come after it."""
    sleeps: list[float] = []
    api = cmldyn.Client(fresh_sim.url, CANARY)
    api.transport.retry = RetryPolicy(attempts=3, sleep=sleeps.append)
    fresh_sim.faults.add(path="^/api/v2/projects$", method="POST", status=status, times=1, retry_after="1")
    if posts == 2:
        assert api.create_project(name="after-throttling").name == "after-throttling"
        assert sleeps == [1.0]
    else:
        with pytest.raises(errors.ApiError):
            api.create_project(name="after-a-5xx")
        assert sleeps == []
    assert sum(1 for s in fresh_sim.seen if s.method == "POST") == posts


def test_the_retry_rule_reads_the_same_in_code_readme_and_architecture() -> None:
    from .conftest import ROOT

    rule = "a POST or PATCH only after 429"
    from cmldyn.transport import RetryPolicy as Policy

    assert rule in " ".join((Policy.__doc__ or "").split())
    for doc in ("README.md", "ARCHITECTURE.md"):
        assert rule in " ".join((ROOT / doc).read_text().split()), doc


def test_oversized_and_compressed_bodies_are_capped(raw) -> None:  # type: ignore[no-untyped-def]
    bomb = gzip.compress(b"[" + b"0," * (3 * 1024 * 1024) + b"0]")

    def send(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     + f"Content-Length: {len(bomb)}\r\n\r\n".encode() + bomb)

    server = raw(send)
    with pytest.raises(errors.ResponseError, match="response larger than 1 MB"):
        transport(server.url, max_bytes=1024 * 1024).send(get())


def test_retries_on_503_then_succeeds_honouring_retry_after(fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/projects$", status=503, times=2, retry_after="0.2")
    sleeps: list[float] = []
    client = cmldyn.Client(fresh_sim.url, CANARY)
    client.transport.retry = RetryPolicy(attempts=3, sleep=sleeps.append)
    assert client.list_projects().projects
    assert sleeps == [0.2, 0.2]


def test_gives_up_after_the_attempts_with_the_last_status(fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/projects$", status=503)
    sleeps: list[float] = []
    client = cmldyn.Client(fresh_sim.url, CANARY)
    client.transport.retry = RetryPolicy(attempts=3, sleep=sleeps.append, rand=lambda: 1.0)
    with pytest.raises(errors.ApiError, match="HTTP 503") as info:
        client.list_projects()
    assert info.value.status == 503
    assert "gave up after 3 attempts" in info.value.reason
    assert sleeps == [0.5, 1.0]


def test_post_is_not_retried(fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/projects$", method="POST", status=503, times=1)
    client = cmldyn.Client(fresh_sim.url, CANARY)
    client.transport.retry = RetryPolicy(attempts=3, sleep=lambda s: None)
    fresh_sim.forget()
    with pytest.raises(errors.ApiError, match="503"):
        client.create_project(name="once-only")
    assert [s.method for s in fresh_sim.seen] == ["POST"]


def test_huge_retry_after_fails_fast(fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/projects$", status=429, retry_after=str(11 * 86400))
    client = cmldyn.Client(fresh_sim.url, CANARY)
    client.transport.retry = RetryPolicy(attempts=3, sleep=lambda s: pytest.fail("slept"))
    with pytest.raises(errors.ApiError) as info:
        client.list_projects()
    assert "server asked to wait 11 days" in info.value.reason


def test_cross_origin_redirect_is_refused_and_the_other_origin_gets_nothing() -> None:
    first = EchoServer()
    other = EchoServer()
    try:
        first.replies.append((307, {"Location": other.url + "/steal"}, b""))
        with pytest.raises(errors.ApiError, match="refusing redirect to other origin"):
            transport(first.url).send(get())
        assert other.requests == []
    finally:
        first.close()
        other.close()


def test_same_origin_redirect_is_followed_with_the_key() -> None:
    server = EchoServer()
    try:
        server.replies.append((302, {"Location": "/moved"}, b""))
        response = transport(server.url).send(get("/old"))
        assert response.status == 200
        assert [r["path"] for r in server.requests] == ["/old", "/moved"]
        assert server.requests[1]["headers"]["authorization"] == "Bearer " + CANARY
    finally:
        server.close()


def test_stale_keep_alive_reconnects(raw) -> None:  # type: ignore[no-untyped-def]
    def answer_once(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                     b"Connection: keep-alive\r\n\r\n{}")
        # then close without saying so: the pooled connection goes stale

    server = raw(answer_once)
    t = transport(server.url, retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    assert t.send(get()).status == 200
    time.sleep(0.1)
    assert t.send(get()).status == 200
    assert server.connections == 2


def test_insecure_warns() -> None:
    with pytest.warns(UserWarning, match="TLS verification is off"):
        Transport("https://127.0.0.1:9", CANARY, verify=False)


def test_spec_fetch_refused_connection_is_a_transport_error() -> None:
    with pytest.raises(errors.TransportError, match="connection refused"):
        cmldyn.Client(f"http://127.0.0.1:{free_port()}", CANARY)


def test_spec_404_is_a_spec_error(echo: EchoServer) -> None:
    echo.replies.append((404, {"Content-Type": "text/plain"}, b"nope"))
    with pytest.raises(errors.SpecError, match="cannot fetch the spec"):
        cmldyn.Client(echo.url, CANARY)


def test_petstore_key_goes_in_the_query_as_its_spec_declares(echo: EchoServer) -> None:
    client = cmldyn.Client(echo.url, CANARY, spec=SPECS / "petstore-2.0.json")
    client.list_pets()
    seen = echo.requests[-1]
    assert seen["path"].endswith(f"api_key={CANARY}")
    assert "authorization" not in {k.lower() for k in seen["headers"]}
