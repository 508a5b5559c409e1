"""``cmldyn mcp`` under load and abuse: bounded arguments, a stalled workspace that cannot starve the local
tools, calls over the bound refused at once, a parameter named ``operation``, and one Ctrl-C."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

import anyio  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

import cmldyn  # noqa: E402
from cmldyn.mcp.tools import MAX_ARGUMENTS, MAX_DEPTH, MAX_SEARCH, Policy, Toolbox  # noqa: E402

from .conftest import CANARY, CML_SPEC, ROOT, EchoServer, assert_no_canary  # noqa: E402
from .helpers import RawServer, Terminal  # noqa: E402

CMLDYN = str(Path(sys.executable).parent / "cmldyn")
TEN_MB = "word " * (2 * 1024 * 1024)
DEEP: Any = ["deep"]
for _ in range(40):
    DEEP = [DEEP]


@pytest.mark.parametrize("tool, arguments, said", [
    ("search_operations", {"query": TEN_MB}, "arguments too large"),
    ("search_operations", {"query": "job " * 200}, f"search query too long (800 characters; the limit is {MAX_SEARCH})"),
    ("call_operation", {"name": "list_projects", "query": "a | " * 2_500_000}, "arguments too large"),
    ("call_operation", {"name": "list_projects", "query": "!" * 5_000 + "a"}, "JMESPath expression nested too deeply"),
    ("call_operation", {"name": "list_projects", "query": "(" * 9_000 + "a" + ")" * 9_000}, "JMESPath expression too long"),
    ("call_operation", {"name": "create_project", "arguments": {"name": "x", "tags": DEEP}},
     f"arguments nested too deeply (the limit is {MAX_DEPTH} levels)"),
    ("describe_operation", {"name": "x" * 1000}, "operation name too long"),
    ("search_operations", {"query": "job", "limit": "9" * 5000}, "bad arguments"),
])
def test_a_call_past_a_bound_is_a_tool_error_at_once(api: cmldyn.Client, tool: str, arguments: dict[str, Any],
                                                     said: str) -> None:
    started = time.perf_counter()
    text, failed = Toolbox(api, Policy(allow_write=True)).run(tool, arguments)
    assert failed and said in text, text[:300]
    assert time.perf_counter() - started < 2.0 and len(text) < 1000
    assert MAX_ARGUMENTS == 256 * 1024


def test_a_parameter_named_operation_can_be_called() -> None:
    spec = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/audit": {"get": {
        "operationId": "ListAudit", "responses": {"200": {"description": "ok"}},
        "parameters": [{"name": "operation", "in": "query", "type": "string"},
                       {"name": "name", "in": "query", "type": "string"}]}}}}
    server = EchoServer()
    try:
        api = cmldyn.Client(server.url, CANARY, spec=spec)
        text, failed = Toolbox(api).run("call_operation", {"name": "list_audit",
                                                           "arguments": {"operation": "delete", "name": "n"}})
        assert not failed, text
        assert json.loads(text)["path"] == "/audit?operation=delete&name=n"
        assert api.call("list_audit", operation="x")["path"] == "/audit?operation=x"  # and so can Python
    finally:
        server.close()


def stalled() -> RawServer:
    """Accepts, reads the request, never answers (until the test ends)."""
    return RawServer(lambda conn: time.sleep(8))


def test_a_stalled_workspace_cannot_starve_the_local_tools(tmp_path: Path) -> None:
    server = stalled()
    params = StdioServerParameters(
        command=CMLDYN, args=["--host", server.url, "--spec", str(CML_SPEC), "--timeout", "20", "mcp",
                              "--max-concurrent", "4", "--revalidate", "-1"],
        env={"CML_API_KEY": CANARY, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, cwd=str(ROOT))

    async def go() -> dict[str, Any]:
        found: dict[str, Any] = {"busy": 0, "texts": []}
        async with Client(params) as client:
            await client.list_tools()

            async def one() -> None:
                result = await client.call_tool("call_operation", {"name": "list_projects"})
                text = result.content[0].text  # type: ignore[union-attr]
                found["texts"].append(text)
                found["busy"] += text.startswith("busy: 4 calls to the server are still running")

            async with anyio.create_task_group() as group:
                for _ in range(60):
                    group.start_soon(one)
                with anyio.fail_after(5):  # the 56 over the bound come back at once
                    while found["busy"] < 56:
                        await anyio.sleep(0.02)
                started = time.perf_counter()
                searched = await client.call_tool("search_operations", {"query": "start a job"})
                found["search_seconds"] = time.perf_counter() - started
                found["search"] = searched.content[0].text  # type: ignore[union-attr]
                # Checked before the gate: a call that cannot go ahead is answered even while the pool is full.
                deep = await client.call_tool("call_operation", {"name": "list_projects", "query": "!" * 5_000 + "a"})
                found["deep"] = (deep.is_error, deep.content[0].text)  # type: ignore[union-attr]
                group.cancel_scope.cancel()
        return found

    try:
        found = anyio.run(go)
    finally:
        server.close()
    assert found["busy"] == 56 and server.connections <= 4
    assert found["search_seconds"] < 0.1 and json.loads(found["search"])[0]["name"] == "create_job_run"
    assert found["deep"][0] is True and "nested too deeply" in found["deep"][1]
    assert_no_canary(*found["texts"])


def test_one_ctrl_c_stops_the_stdio_server_at_once_and_quietly(tmp_path: Path) -> None:
    term = Terminal(["mcp", "--demo"], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, str(ROOT))
    try:
        assert term.wait_for(b"Ctrl-C stops it", 30), term.screen[-300:]
        term.clear()
        started = time.monotonic()
        term.type(b"\x03")
        assert term.exit_status(5) == 130
        assert time.monotonic() - started < 2.0
        assert b"Traceback" not in term.screen and b"Exception" not in term.screen and b"interrupted" not in term.screen
    finally:
        term.close()


def test_the_stalled_server_helper_really_stalls() -> None:
    server = stalled()
    try:
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=2) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.settimeout(0.5)
            with pytest.raises(socket.timeout):
                conn.recv(10)
    finally:
        server.close()
