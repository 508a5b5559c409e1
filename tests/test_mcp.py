"""``cmldyn mcp``: the tools on their own, then end to end with the MCP SDK's own client over stdio
(and once over HTTP) against the simulator; the canary key never appears in a message or on stderr."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("mcp")

import anyio  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

import cmldyn  # noqa: E402
from cmldyn.cli.main import main  # noqa: E402
from cmldyn.jsonvalue import mask  # noqa: E402
from cmldyn.mcp.tools import Policy, Toolbox, classify  # noqa: E402
from cmldyn.simulator import Simulator  # noqa: E402

from .conftest import CANARY, ROOT, SPECS  # noqa: E402

CMLDYN = str(Path(sys.executable).parent / "cmldyn")


# ------------------------------------------------------------------ the tools on their own


def test_operations_are_classified_from_method_path_and_name(api: cmldyn.Client) -> None:
    kinds = {op.name: classify(op) for op in api.model.operations.values()}
    assert kinds["list_projects"] == "read" and kinds["get_job_run"] == "read"
    assert kinds["create_job"] == "write" and kinds["update_project"] == "write"
    assert kinds["delete_project"] == "destructive"
    assert kinds["stop_job_run"] == "destructive"  # the custom verb :stop
    assert kinds["restart_application"] == "destructive"
    assert kinds["download_project_file"] == "write"  # POST …:download destroys nothing, but it is a POST
    assert sum(1 for k in kinds.values() if k == "read") == sum(1 for o in api.model.operations.values() if o.method == "get")


def test_the_policy_names_the_flag_that_would_allow_a_call(api: cmldyn.Client) -> None:
    get = api.model.get
    assert Policy().refusal(get("list_projects")) is None
    assert "--allow-write" in (Policy().refusal(get("create_job")) or "")
    assert Policy(allow_write=True).refusal(get("create_job")) is None
    assert "--allow-destructive" in (Policy(allow_write=True).refusal(get("stop_application")) or "")
    assert Policy(allow_destructive=True).refusal(get("delete_project")) is None
    assert Policy(allow=frozenset({"delete_project"})).refusal(get("delete_project")) is None
    assert Policy(allow=frozenset({"delete_project"})).refusal(get("delete_job")) is not None


def test_search_ranks_by_the_words_of_name_summary_path_and_tags(api: cmldyn.Client) -> None:
    box = Toolbox(api)
    assert box.search("start a job")[0]["name"] == "create_job_run"
    assert box.search("delete project")[0]["name"] == "delete_project"
    assert box.search("list runtimes", 3)[0]["name"] == "list_runtimes"
    found = box.search("model deployment", 5)
    assert all("deployment" in f["name"] for f in found[:3]) and {"kind", "method", "path", "summary"} <= set(found[0])


def test_describe_is_bounded_and_complete_enough_to_call(api: cmldyn.Client) -> None:
    box = Toolbox(api)
    described = box.describe("create_job")
    assert described["kind"] == "write" and "refused_here" in described and "--allow-write" in described["refused_here"]
    assert {"name", "script"} <= {f["name"] for f in described["body_fields"]}
    assert described["parameters"][0] == {"name": "project_id", "in": "path", "type": "string", "required": True,
                                          "description": described["parameters"][0]["description"]}
    for name in api.model.names():
        assert len(json.dumps(box.describe(name))) < 16 * 1024, name
    listing = box.describe("list_projects")
    assert "pages" in listing and any(f["name"] == "projects" and "item_fields" in f for f in listing["answer_fields"])


def test_masking_keys_tokens_secrets_and_environment_values() -> None:
    data = {"name": "job", "api_key": "k1", "accessToken": "t", "password": "p", "client_secret": "s", "key_id": "kid",
            "environment": '{"DB_PASSWORD": "hunter2", "MODE": "fast"}', "nested": [{"env": {"A": "b"}, "token": ""}]}
    masked = mask(data)
    assert masked["api_key"] == masked["accessToken"] == masked["password"] == masked["client_secret"] == "***"
    assert masked["key_id"] == "kid" and masked["name"] == "job"
    assert json.loads(masked["environment"]) == {"DB_PASSWORD": "***", "MODE": "***"}
    assert masked["nested"][0]["env"] == {"A": "***"} and masked["nested"][0]["token"] == ""
    assert json.loads(mask(data, reveal_env=True)["environment"])["MODE"] == "fast"


def test_direct_tools_have_json_input_schemas(api: cmldyn.Client) -> None:
    box = Toolbox(api, direct=("create_job", "get_project"))
    tools = {t["name"]: t for t in box.tools()}
    schema = tools["create_job"]["input_schema"]
    assert schema["type"] == "object" and schema["required"] == ["project_id"]
    assert {"project_id", "name", "script", "runtime_identifier"} <= set(schema["properties"])
    assert tools["create_job"]["annotations"]["read_only_hint"] is False
    assert tools["get_project"]["annotations"]["read_only_hint"] is True
    json.dumps(tools)  # plain JSON all the way down, refs followed and bounded
    recursive = cmldyn.Client("http://127.0.0.1:9", spec=str(SPECS / "recursive.json"))
    every = Toolbox(recursive, direct=tuple(recursive.model.names())).tools()
    assert len(every) == 4 + len(recursive.model.names()) and len(json.dumps(every)) < 2_000_000


def test_a_missing_sdk_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--demo", "mcp"], stdout=out, stderr=err, stdin=io.StringIO(), env={})
    assert code == 2 and "pip install 'cmldyn[mcp]'" in err.getvalue() and "Traceback" not in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) <= 2


# ------------------------------------------------------------------ end to end over stdio


@pytest.fixture()
def workspace() -> Iterator[Simulator]:
    with Simulator(token=CANARY, seed="demo", speed=0) as sim:
        yield sim


class Session:
    """One stdio server process and what passed through it."""

    def __init__(self, sim: Simulator, tmp: Path, *flags: str) -> None:
        self.stderr = tmp / f"stderr-{len(list(tmp.glob('stderr-*')))}.txt"
        command = " ".join([CMLDYN, "--host", sim.url, "mcp", *flags, "2>>", str(self.stderr)])
        self.params = StdioServerParameters(command="/bin/sh", args=["-c", f"exec {command}"],
                                            env={"CML_API_KEY": CANARY, "HOME": str(tmp), "PATH": "/usr/bin:/bin"},
                                            cwd=str(ROOT))
        self.seen: list[str] = []
        self.client_options: dict[str, Any] = {}  # passed to the SDK's Client (an elicitation callback, extensions)

    def run(self, steps: Any) -> Any:
        async def go() -> Any:
            async with Client(self.params, **self.client_options) as client:
                return await steps(self, client)

        return anyio.run(go)

    async def call(self, client: Any, tool: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        result = await client.call_tool(tool, arguments)
        text = "".join(getattr(c, "text", "") for c in result.content)
        self.seen.append(text)
        return text, bool(result.is_error)

    def assert_no_key(self) -> None:
        for text in self.seen + [self.stderr.read_text() if self.stderr.exists() else ""]:
            assert CANARY not in text


def test_stdio_end_to_end_read_only(workspace: Simulator, tmp_path: Path) -> None:
    session = Session(workspace, tmp_path)

    async def steps(s: Session, client: Any) -> dict[str, Any]:
        tools = await client.list_tools()
        s.seen.append(json.dumps([t.model_dump(mode="json") for t in tools.tools]))
        found = json.loads((await s.call(client, "search_operations", {"query": "start a job"}))[0])
        described = json.loads((await s.call(client, "describe_operation", {"name": "create_job_run"}))[0])
        names = json.loads((await s.call(client, "call_operation", {
            "name": "list_projects", "arguments": {"page_size": 10}, "query": "projects[].name"}))[0])
        typo = await s.call(client, "call_operation", {"name": "list_projects", "arguments": {"page_sze": 2}})
        workspace.forget()
        write = await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "x"}})
        spec = await client.read_resource("cmldyn://spec")
        return {"tools": tools.tools, "found": found, "described": described, "names": names, "typo": typo,
                "write": write, "sent": list(workspace.seen), "spec": spec}

    got = session.run(steps)
    tools = {t.name: t for t in got["tools"]}
    assert set(tools) == {"search_operations", "describe_operation", "call_operation", "wait_for"}
    assert tools["call_operation"].annotations.read_only_hint is True
    assert tools["search_operations"].annotations.open_world_hint is False
    assert got["found"][0]["name"] == "create_job_run" and got["found"][0]["kind"] == "write"
    assert got["described"]["method"] == "POST"
    assert "demo" in got["names"]
    assert got["typo"][1] and "did you mean 'page_size'" in got["typo"][0]
    assert got["write"][1] and "--allow-write" in got["write"][0]
    assert got["sent"] == []  # refused before anything was sent
    assert json.loads(got["spec"].contents[0].text)["swagger"] == "2.0"
    session.assert_no_key()


def test_stdio_writes_with_allow_write_and_destructive_only_by_flag(workspace: Simulator, tmp_path: Path) -> None:
    session = Session(workspace, tmp_path, "--allow-write")
    pid = next(p.id for p in cmldyn.Client(workspace.url, CANARY).list_projects().projects if p.name == "demo")

    async def steps(s: Session, client: Any) -> dict[str, Any]:
        tools = await client.list_tools()
        workspace.forget()
        made = await s.call(client, "call_operation", {"name": "create_job", "arguments": {
            "project_id": pid, "name": "from-agent", "script": "a.py", "environment": {"DB_PASSWORD": "hunter2"}}})
        posts = [x for x in workspace.seen if x.method == "POST"]
        workspace.forget()
        deleted = await s.call(client, "call_operation", {"name": "delete_project", "arguments": {"project_id": pid}})
        jobs = await s.call(client, "call_operation", {"name": "list_jobs", "arguments": {"project_id": pid},
                                                      "query": "jobs[?name=='from-agent'] | [0]"})
        return {"tools": tools.tools, "made": made, "posts": posts, "deleted": deleted, "after": list(workspace.seen),
                "jobs": jobs}

    got = session.run(steps)
    call_tool = next(t for t in got["tools"] if t.name == "call_operation")
    assert call_tool.annotations.read_only_hint is False
    assert not got["made"][1] and json.loads(got["made"][0])["name"] == "from-agent"
    assert len(got["posts"]) == 1  # exactly one request for the one write
    assert got["deleted"][1] and "--allow-destructive" in got["deleted"][0] and "--allow delete_project" in got["deleted"][0]
    assert not [x for x in got["after"] if x.method == "DELETE"]
    job = json.loads(got["jobs"][0])
    assert "hunter2" not in got["jobs"][0] and json.loads(job["environment"]) == {"DB_PASSWORD": "***"}
    session.assert_no_key()


def test_stdio_caps_an_oversized_result_with_a_note(workspace: Simulator, tmp_path: Path) -> None:
    session = Session(workspace, tmp_path, "--max-result", "2048", "--tools", "get_project")

    async def steps(s: Session, client: Any) -> dict[str, Any]:
        big = await s.call(client, "call_operation", {"name": "list_runtimes"})
        small = await s.call(client, "call_operation", {"name": "list_runtimes", "query": "runtimes[].image_identifier",
                                                        "max_items": 3})
        tools = await client.list_tools()
        direct = await s.call(client, "get_project", {"project_id": "nope"})
        return {"big": big, "small": small, "tools": [t.name for t in tools.tools], "direct": direct}

    got = session.run(steps)
    assert len(got["big"][0].encode()) <= 2048 and "[cut: the answer is" in got["big"][0] and "query" in got["big"][0]
    assert len(json.loads(got["small"][0])) == 3
    assert "get_project" in got["tools"]
    assert got["direct"][1] and "404" in got["direct"][0]
    session.assert_no_key()


def test_destructive_allowed_by_name(workspace: Simulator, tmp_path: Path) -> None:
    api = cmldyn.Client(workspace.url, CANARY)
    target = api.create_project(name="to-go", template="blank")
    session = Session(workspace, tmp_path, "--allow", "delete_project")

    async def steps(s: Session, client: Any) -> tuple[str, bool]:
        return await s.call(client, "call_operation", {"name": "delete_project", "arguments": {"project_id": target.id}})

    text, failed = session.run(steps)
    assert not failed, text
    assert target.id not in {p.id for p in api.list_projects(page_size=100).projects}


# ------------------------------------------------------------------ HTTP


class HttpServer:
    """``cmldyn --host SIM mcp --http 0`` with a key and a bearer token of its own, as a context manager:
    ``url`` while it runs, ``stderr`` (all it wrote) after it stopped."""

    def __init__(self, sim: Simulator, tmp: Path, key: str, token: str) -> None:
        self.args = [CMLDYN, "--host", sim.url, "mcp", "--http", "0"]
        self.env = {"CML_API_KEY": key, "CMLDYN_MCP_TOKEN": token, "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
        self.url = ""
        self.port = 0
        self.stderr = ""

    def __enter__(self) -> HttpServer:
        self.proc = subprocess.Popen(self.args, env=self.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, cwd=ROOT)
        assert self.proc.stderr is not None
        found = re.search(r"127\.0\.0\.1:(\d+)/mcp", self.proc.stderr.readline())
        assert found, "the server did not say where it listens"
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.stderr = self.proc.communicate(timeout=30)[1]


def test_http_wants_its_token_and_listens_on_loopback_only(workspace: Simulator, tmp_path: Path) -> None:
    token = "mcp-test-token-0123456789abcdef"
    with HttpServer(workspace, tmp_path, CANARY, token) as server:
        url, port = server.url, server.port
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=10)
        assert refused.value.code == 401
        with pytest.raises(urllib.error.HTTPError) as wrong:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST",
                                                          headers={"Authorization": "Bearer wrong"}), timeout=10)
        assert wrong.value.code == 401
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.2:{port}/mcp", timeout=5)  # not bound to any other address

        async def listed() -> list[str]:
            from mcp.client.session import ClientSession
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
                async with streamable_http_client(url, http_client=http) as streams:
                    async with ClientSession(streams[0], streams[1]) as session:
                        await session.initialize()
                        return [t.name for t in (await session.list_tools()).tools]

        assert "call_operation" in anyio.run(listed)
    assert CANARY not in server.stderr


def test_a_generated_token_is_printed_once(workspace: Simulator, tmp_path: Path) -> None:
    env = {"CML_API_KEY": CANARY, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([CMLDYN, "--host", workspace.url, "mcp", "--http", "0"], env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert proc.stderr is not None
        first, second = proc.stderr.readline(), proc.stderr.readline()
        assert "bearer token" in first and "listening on http://127.0.0.1:" in second
        assert len(first.rsplit(" ", 1)[-1].strip()) >= 32
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_start_to_first_answer_is_quick_with_a_warm_cache(workspace: Simulator, tmp_path: Path) -> None:
    """Not a timing test (benchmarks/mcp_server.py measures it): the cached spec is revalidated, not refetched."""
    session = Session(workspace, tmp_path)

    async def steps(s: Session, client: Any) -> int:
        return len((await client.list_tools()).tools)

    assert session.run(steps) == 4
    workspace.forget()
    started = time.perf_counter()
    assert session.run(steps) == 4
    assert time.perf_counter() - started < 30
    spec_gets = [x for x in workspace.seen if x.path.endswith("swagger.json")]
    assert len(spec_gets) == 1 and spec_gets[0].headers.get("If-None-Match")
    assert os.path.isdir(tmp_path)


# ------------------------------------------------------------------ a spec that changes


class SpecServer:
    """Serves /api/v2/swagger.json from a value the test changes, with an ETag (304 when unchanged)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.spec = spec
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = json.dumps(outer.spec).encode()
                etag = '"%d"' % (hash(body) & 0xFFFFFFF)
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pets_spec(with_get: bool) -> dict[str, Any]:
    ok = {"200": {"description": "ok", "schema": {"type": "object", "properties": {"id": {"type": "string"}}}}}
    paths: dict[str, Any] = {"/pets": {"get": {"operationId": "ListPets", "tags": ["pets"], "responses": ok}}}
    if with_get:
        paths["/pets/{id}"] = {"get": {"operationId": "GetPet", "tags": ["pets"], "responses": ok, "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "string"}]}}
    return {"swagger": "2.0", "info": {"title": "pets", "version": "1"}, "paths": paths}


def test_a_changed_spec_updates_the_tools_and_tells_the_client(tmp_path: Path) -> None:
    served = SpecServer(_pets_spec(False))
    notes: list[str] = []

    async def handler(message: Any) -> None:
        notes.append(type(message).__name__ + " " + repr(message)[:200])

    params = StdioServerParameters(command=CMLDYN, args=["--host", served.url, "mcp", "--tag", "pets", "--revalidate", "0"],
                                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, cwd=str(ROOT))

    async def go() -> tuple[list[str], list[str]]:
        async with Client(params, mode="legacy", message_handler=handler) as client:
            before = [t.name for t in (await client.list_tools()).tools]
            served.spec = _pets_spec(True)
            await client.call_tool("search_operations", {"query": "pet"})
            for _ in range(50):
                if any("tools/list_changed" in n or "ToolListChanged" in n for n in notes):
                    break
                await anyio.sleep(0.05)
            after = [t.name for t in (await client.list_tools()).tools]
            return before, after

    try:
        before, after = anyio.run(go)
    finally:
        served.close()
    assert "list_pets" in before and "get_pet" not in before
    assert "get_pet" in after
    assert any("ToolListChangedNotification" in n for n in notes), notes


def test_the_readme_snippets_work_as_written(workspace: Simulator, tmp_path: Path) -> None:
    """The JSON blocks of the README's MCP section, started as a client would (profile 'prod' made first)."""
    from cmldyn.config import Profile, save_profile

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## For AI agents"):text.index("## The simulator")]
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.S)]
    assert len(blocks) == 2
    configs = [blocks[0]["mcpServers"]["cml"], blocks[1]["servers"]["cml"]]
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    save_profile(Profile(name="prod", host=workspace.url, key=CANARY), str(tmp_path / "config" / "cmldyn" / "config.toml"))
    assert "claude mcp add cml -- cmldyn mcp --profile prod" in section
    for config in configs:
        assert config["command"] == "cmldyn" and config["args"] == ["mcp", "--profile", "prod"]
        params = StdioServerParameters(command=config["command"], args=config["args"], env=env, cwd=str(tmp_path))

        async def first(p: StdioServerParameters = params) -> str:
            async with Client(p) as client:
                result = await client.call_tool("call_operation", {"name": "list_projects", "query": "projects[0].name"})
                return "".join(getattr(c, "text", "") for c in result.content)

        assert anyio.run(first) == '"demo"'


def test_wait_for_returns_the_final_state(tmp_path: Path) -> None:
    with Simulator(token=CANARY, seed="demo", speed=0, progression="immediate") as sim:
        api = cmldyn.Client(sim.url, CANARY)
        project = next(p for p in api.list_projects().projects if p.name == "demo")
        job = api.list_jobs(project.id).jobs[0]
        session = Session(sim, tmp_path, "--allow-write")

        async def steps(s: Session, client: Any) -> tuple[tuple[str, bool], tuple[str, bool]]:
            started = await s.call(client, "wait_for", {"name": "create_job_run", "until": "done",
                                                        "arguments": {"project_id": project.id, "job_id": job.id}})
            nothing = await s.call(client, "wait_for", {"name": "list_projects"})
            return started, nothing

        (text, failed), (other, refused) = session.run(steps)
    assert not failed, text
    final = json.loads(text)
    assert final["job_id"] == job.id and final["status"] in ("ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_STOPPED",
                                                             "ENGINE_TIMEDOUT")
    assert refused and "call_operation" in other
    session.assert_no_key()


def test_long_operation_names_become_tool_names_clients_take() -> None:
    from cmldyn.mcp.tools import tool_name

    long_id = "ReadNamespacedCustomResourceDefinitionStatusWithAVeryLongOperationIdForTesting"
    spec = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {
        "operationId": long_id, "responses": {"200": {"description": "ok"}}}}}}
    api = cmldyn.Client("http://127.0.0.1:9", spec=spec)
    box = Toolbox(api, direct=tuple(api.model.names()))
    names = [t["name"] for t in box.tools()]
    assert all(len(n) <= 64 and re.fullmatch(r"[A-Za-z0-9_]+", n) for n in names)
    long_tool = next(n for n in names if n not in ("search_operations", "describe_operation", "call_operation", "wait_for"))
    assert long_tool == tool_name(api.model.names()[0]) and len(long_tool) == 64
    text, failed = box.run(long_tool, {})
    assert failed and "cannot connect" in text  # dispatched to the operation (no server behind this host)


def test_a_changed_spec_reaches_a_listening_client_of_the_current_protocol(tmp_path: Path) -> None:
    served = SpecServer(_pets_spec(False))
    params = StdioServerParameters(command=CMLDYN, args=["--host", served.url, "mcp", "--tag", "pets", "--revalidate", "0"],
                                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, cwd=str(ROOT))

    async def go() -> tuple[list[str], str, list[str]]:
        async with Client(params) as client:
            before = [t.name for t in (await client.list_tools()).tools]
            async with client.listen(tools_list_changed=True) as subscription:
                served.spec = _pets_spec(True)
                await client.call_tool("search_operations", {"query": "pet"})
                with anyio.fail_after(10):
                    event = await subscription.__anext__()
            after = [t.name for t in (await client.list_tools()).tools]
            return before, type(event).__name__, after

    try:
        before, event, after = anyio.run(go)
    finally:
        served.close()
    assert "get_pet" not in before and event == "ToolsListChanged" and "get_pet" in after


def test_arguments_as_json_text_and_binary_answers(api: cmldyn.Client, sim: Simulator) -> None:
    box = Toolbox(api, Policy(allow_write=True))
    pid = json.loads(box.run("call_operation", {"name": "list_projects", "query": "projects[0].id"})[0])
    text, failed = box.run("call_operation", {"name": "get_project", "arguments": json.dumps({"project_id": pid}),
                                              "query": "id"})
    assert not failed and json.loads(text) == pid
    text, failed = box.run("call_operation", {"name": "download_project_file", "arguments": {
        "project_id": pid, "path": "README.md"}})
    assert not failed and json.loads(text)["binary_answer_bytes"] > 0


def test_the_instructions_state_the_policy(api: cmldyn.Client) -> None:
    from cmldyn.mcp.server import build_server

    assert "Read-only" in (build_server(Toolbox(api), revalidate=-1).instructions or "")
    allowed = build_server(Toolbox(api, Policy(allow_write=True, allow=frozenset({"delete_job"}))), revalidate=-1)
    assert "Writes are allowed" in (allowed.instructions or "") and "delete_job" in (allowed.instructions or "")
