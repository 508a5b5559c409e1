"""Ctrl-C at each stage of a call: the CLI exits 130 within a second, the REPL is back at its prompt."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from cmldyn.simulator import Simulator

from ..conftest import CANARY, CML_SPEC, ROOT
from ..helpers import RawServer, Terminal, dripping
from .dashboard import DASHBOARD

REPEATS = 10  # 4 CLI stages and the REPL, 10 each: the dashboard's 50 of 50


def silent(conn: socket.socket) -> None:
    time.sleep(20)


def interrupt_cli(argv: list[str], reached: Callable[[], bool]) -> tuple[int, float, str]:
    """Start the CLI, wait until the server shows it has reached the stage (then a moment more), Ctrl-C."""
    proc = subprocess.Popen([sys.executable, "-m", "cmldyn", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 15
    while not reached() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.15)  # inside the stage: the read, the body, the backoff sleep or page 3's wait
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    return proc.returncode, time.monotonic() - sent, err


def stage_argv(stage: str, url: str) -> list[str]:
    spec = ["--host", url, "--token", CANARY, "--spec", str(CML_SPEC)]
    return {"waiting for the answer": spec + ["call", "list_projects"],
            "reading the body": spec + ["call", "list_projects"],
            "backoff sleep": ["--host", url, "--token", CANARY, "call", "list_projects"],
            "page 3": ["--host", url, "--token", CANARY, "call", "list_runtimes", "--all", "--page-size", "2"]}[stage]


@pytest.mark.parametrize("stage", ["waiting for the answer", "reading the body", "backoff sleep", "page 3"])
def test_ctrl_c_in_the_cli_exits_130_within_a_second(stage: str) -> None:
    count: Callable[[], int]
    if stage in ("waiting for the answer", "reading the body"):
        server = RawServer(silent if stage.startswith("waiting") else dripping(200, 0.1))
        url, stop = server.url, server.close
        count = lambda: server.connections  # noqa: E731
        step = 1
    else:
        sim = Simulator(token=CANARY, speed=0).start()
        if stage == "backoff sleep":
            fault = dict(path="^/api/v2/projects$", status=503, retry_after="20")
            wanted, step = "/api/v2/projects", 1  # the first answer (a 503) has come: the client sleeps
        else:
            fault = dict(path="^/api/v2/runtimes$", latency=20.0, after=2)  # pages 1 and 2 come at once
            wanted, step = "/api/v2/runtimes", 3  # page 3 asked for
        url, stop = sim.url, sim.stop
        count = lambda: sum(1 for s in list(sim.seen) if s.path == wanted)  # noqa: E731
    try:
        for _ in range(REPEATS):
            if stage in ("backoff sleep", "page 3"):
                sim.faults.clear()
                sim.faults.add(**fault)  # armed afresh: each run meets its stage (page 3, not page 1)
            before = count()
            code, took, err = interrupt_cli(stage_argv(stage, url), lambda at=before + step: count() >= at)
            ok = code == 130 and took < 1.0 and err.strip() == "cmldyn: interrupted"
            DASHBOARD.interrupts.append(ok)
            assert ok, (stage, code, took, err)
    finally:
        stop()


def test_ctrl_c_in_the_repl_returns_to_the_prompt(tmp_path: Path) -> None:
    server = RawServer(silent)
    term = Terminal(["repl", "--host", server.url, "--token", CANARY, "--spec", str(CML_SPEC)],
                    {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}, str(ROOT))
    try:
        assert term.wait_for(b">>>", 8)  # the key check at the start runs in the background: no wait for the stall
        for i in range(REPEATS):
            term.clear()
            before = server.connections
            term.type(b"api.list_projects()\r")
            deadline = time.monotonic() + 10
            while server.connections == before and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.15)  # the call is waiting for the answer
            sent = time.monotonic()
            term.type(b"\x03")
            back = term.wait_for(b"interrupted", 5)
            if back:
                term.after(b"interrupted")
                back = term.wait_for(b">>>", 5)
            took = time.monotonic() - sent
            term.clear()
            term.type(f"{i} + 40\r".encode())
            alive = term.wait_for(f"{i + 40}".encode(), 5)
            ok = back and took < 1.0 and alive
            DASHBOARD.interrupts.append(ok)
            assert ok, (back, took, alive, term.screen[-300:])
        term.type(b"\x04")
    finally:
        term.close()
        server.close()
