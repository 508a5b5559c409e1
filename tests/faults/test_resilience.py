"""Transient faults, retry timing, duplicated POSTs and one client shared by 8 threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.simulator import Simulator
from cmldyn.transport import RetryPolicy

from ..conftest import CANARY, CML_SPEC, EchoServer
from .dashboard import DASHBOARD

CALLS = 200
FAULTS = {
    "503": dict(status=503),
    "429 + Retry-After": dict(status=429, retry_after="1"),
    "reset before response": dict(reset=True),
}


def client(sim: Simulator, sleeps: list[float]) -> cmldyn.Client:
    api = cmldyn.Client(sim.url, CANARY)
    api.transport.retry = RetryPolicy(attempts=3, sleep=sleeps.append)
    return api


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_up_to_two_consecutive_faults_are_survived_and_three_fail_cleanly(kind: str) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sleeps: list[float] = []
        api = client(sim, sleeps)
        pid = api.list_projects(search_filter="demo").projects[0].id
        ok = 0
        rng = random.Random(5)
        for _ in range(CALLS):
            consecutive = rng.choice((0, 1, 2))
            sim.faults.clear()
            if consecutive:
                sim.faults.add(path=f"^/api/v2/projects/{pid}$", times=consecutive, **FAULTS[kind])
            ok += api.get_project(pid).id == pid
        clean = 0
        for _ in range(20):
            sim.faults.clear()
            sim.faults.add(path=f"^/api/v2/projects/{pid}$", times=3, **FAULTS[kind])
            try:
                api.get_project(pid)
            except (errors.ApiError, errors.TransportError) as error:
                clean += CANARY not in str(error)
        DASHBOARD.faults[f"{kind}, <= 2 in a row"] = [ok, CALLS]
        DASHBOARD.faults[f"{kind}, 3 in a row (clean failure)"] = [clean, 20]
        assert ok == CALLS and clean == 20
        cap = api.transport.retry.cap
        assert all(s <= max(cap, 1.0) for s in sleeps)
        if kind.startswith("429"):
            assert all(abs(s - 1.0) <= 0.1 for s in sleeps)


def test_the_stale_keep_alive_reconnects_every_time() -> None:
    from ..helpers import RawServer

    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    server = RawServer(lambda conn: conn.sendall(reply))  # answers once, then closes the kept-alive connection
    try:
        api = cmldyn.Client(server.url, CANARY, spec=CML_SPEC)
        ok = sum(api.raw("GET", f"/x/{i}") == {} for i in range(CALLS))
    finally:
        server.close()
    DASHBOARD.faults["stale keep-alive"] = [ok, CALLS]
    assert ok == CALLS


def test_posts_are_never_sent_twice() -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sleeps: list[float] = []
        api = client(sim, sleeps)
        for i in range(50):
            sim.faults.clear()
            sim.faults.add(
                path="^/api/v2/projects$", method="POST", times=1, **FAULTS["503" if i % 2 else "reset before response"]
            )
            with pytest.raises((errors.ApiError, errors.TransportError)):
                api.create_project(name=f"p{i}")
        posts = [s for s in sim.seen if s.method == "POST"]
        DASHBOARD.duplicated_posts = len(posts) - 50
        assert len(posts) == 50 and sleeps == []


def test_retry_sleeps_are_capped_jittered_and_honour_retry_after() -> None:
    policy = RetryPolicy(attempts=6, base=0.5, cap=8.0)
    a = [policy.backoff(n) for n in range(6)]
    b = [RetryPolicy().backoff(n) for n in range(6)]
    assert all(0 <= s <= 8.0 for s in a + b)
    assert a != b  # two clients do not retry in lockstep
    with Simulator(token=CANARY, speed=0) as sim:
        sleeps: list[float] = []
        api = client(sim, sleeps)
        api.transport.retry.budget = 300  # room for two capped waits (the default budget is 30 s)
        sim.faults.add(path="^/api/v2/projects$", status=503, times=2, retry_after="90")
        api.list_projects()
        assert sleeps == [60.0, 60.0]  # capped at 60 s
    DASHBOARD.retry_timing.append("backoff <= 8 s, Retry-After 90 capped to 60")


def test_one_client_from_eight_threads() -> None:
    server = EchoServer()
    try:
        api = cmldyn.Client(server.url, CANARY, spec=CML_SPEC)

        def worker(thread: int) -> tuple[int, int]:
            errors_seen = mismatched = 0
            for i in range(250):
                ident = f"t{thread}-{i}"
                try:
                    echoed = api.get_project(ident)
                    mismatched += echoed["path"] != f"/api/v2/projects/{ident}"
                except Exception:
                    errors_seen += 1
            return errors_seen, mismatched

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(worker, range(8)))
    finally:
        server.close()
    errors_seen = sum(r[0] for r in results)
    mismatched = sum(r[1] for r in results)
    DASHBOARD.concurrency = (2000, errors_seen, mismatched)
    assert errors_seen == 0 and mismatched == 0
