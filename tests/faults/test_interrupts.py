"""Ctrl-C at each stage of a call: the CLI exits 130 within a second, the REPL is back at its prompt."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmldyn.simulator import Simulator

from ..conftest import CANARY, CML_SPEC, ROOT
from ..helpers import RawServer, Terminal, dripping
from .dashboard import DASHBOARD

REPEATS = 10  # 4 CLI stages and the REPL, 10 each: the dashboard's 50 of 50


def silent(conn: socket.socket) -> None:
    time.sleep(20)


def interrupt_cli(argv: list[str], after: float) -> tuple[int, float, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cmldyn", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "PYTHONPATH": str(ROOT)})
    time.sleep(after)
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
    if stage in ("waiting for the answer", "reading the body"):
        server = RawServer(silent if stage.startswith("waiting") else dripping(200, 0.1))
        url, stop = server.url, server.close
    else:
        sim = Simulator(token=CANARY, speed=0).start()
        if stage == "backoff sleep":
            sim.faults.add(path="^/api/v2/projects$", status=503, retry_after="20")
        else:
            sim.faults.add(path="^/api/v2/runtimes$", latency=20.0, after=2)  # pages 1 and 2 come at once
        url, stop = sim.url, sim.stop
    try:
        for _ in range(REPEATS):
            code, took, err = interrupt_cli(stage_argv(stage, url), after=1.0)
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
            term.type(b"api.list_projects()\r")
            time.sleep(0.8)
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
