"""``cmldyn mcp`` on the 2026-07-28 protocol, driven by the MCP SDK's own client: typed results (every tool
has an ``outputSchema``; every read the crawl reaches returns ``structuredContent`` that the client itself
validates), writes confirmed by a person and bound to the call, long waits as tasks, a client's own key
per request over HTTP, and the skill file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

pytest.importorskip("mcp")

import anyio  # noqa: E402
import jsonschema  # noqa: E402
from mcp import Client  # noqa: E402

import cmldyn  # noqa: E402
from cmldyn.mcp.shapes import fit  # noqa: E402
from cmldyn.mcp.tools import Policy, Toolbox  # noqa: E402
from cmldyn.simulator import Simulator  # noqa: E402

from .conftest import CANARY  # noqa: E402
from .test_mcp import Session  # noqa: E402


@pytest.fixture(scope="module")
def workspace() -> Any:
    with Simulator(token=CANARY, seed="demo", speed=0) as sim:
        yield sim


def _reached_reads(sim: Simulator) -> dict[str, dict[str, str]]:
    """Each GET operation the crawl reaches, with the path values of one call it made."""
    from cmldyn.crawl import crawl

    api = cmldyn.Client(sim.url, CANARY)
    sim.forget()
    report = crawl(api, rate=0, max_calls=400)
    calls: dict[str, dict[str, str]] = {}
    for seen in sim.seen:
        found = api.model.match("get", unquote(seen.path.split("?")[0])) if seen.method == "GET" else None
        if found is not None and found[0].name not in calls:
            calls[found[0].name] = {p.name: found[1][p.wire] for p in found[0].path_params}
    assert len(calls) == report.reached
    answered = {r.name for r in report.operations if r.statuses and all(200 <= c < 300 for c in r.statuses)}
    return {name: values for name, values in calls.items() if name in answered}


def test_every_read_the_crawl_reaches_returns_structured_content_the_client_validates(workspace: Simulator,
                                                                                     tmp_path: Path) -> None:
    reads = _reached_reads(workspace)
    assert len(reads) >= 50  # of 69 GET operations: the rest need values no answer gives (the note says which)
    session = Session(workspace, tmp_path, "--tools", ",".join(sorted(reads)))

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        assert client.protocol_version == "2026-07-28"  # found with server/discover, no initialize
        tools = {t.name: t for t in (await client.list_tools()).tools}
        direct, enveloped = {}, {}
        for name, values in sorted(reads.items()):
            # the SDK's client raises when structured content is missing or does not validate
            direct[name] = await client.call_tool(name, values)
            enveloped[name] = await client.call_tool("call_operation", {"name": name, "arguments": values})
        return {"tools": tools, "direct": direct, "enveloped": enveloped}

    got = session.run(steps)
    assert all(t.output_schema and t.output_schema["type"] == "object" for t in got["tools"].values())
    envelope = jsonschema.Draft202012Validator(got["tools"]["call_operation"].output_schema)  # compiled once
    for name in reads:
        one, other = got["direct"][name], got["enveloped"][name]
        assert not one.is_error and not other.is_error, (name, one.content, other.content)
        assert isinstance(one.structured_content, dict) and one.structured_content, name
        body = other.structured_content
        assert body["operation"] == name and body["shape"] == "answer", (name, body.get("shape"))
        envelope.validate(body)
        # the envelope types the answer: a wrong type in it is refused by the same schema
        spoiled = dict(body, result={"not": "this"} if not isinstance(body["result"], dict) else 42)
        assert not envelope.is_valid(spoiled), name
    session.assert_no_key()


def test_results_are_masked_and_cut_alike_in_text_and_structure(api: cmldyn.Client) -> None:
    box = Toolbox(api, Policy(max_result=4096))
    reply = box.answer("call_operation", {"name": "list_projects", "arguments": {"page_size": 100}})
    assert not reply.failed and reply.structured is not None
    assert len(reply.text.encode()) <= 4096 and len(json.dumps(reply.structured).encode()) <= 4096 + 200
    assert reply.structured["shape"] == "answer" and "note" in reply.structured
    jsonschema.validate(reply.structured, box.output_schema("call_operation"))
    queried = box.answer("call_operation", {"name": "list_projects", "query": "projects[].name"})
    assert queried.structured is not None and queried.structured["shape"] == "query"
    assert queried.structured["result"] == json.loads(queried.text)


def test_fit_keeps_the_shape_and_the_first_items() -> None:
    value = {"items": [{"id": i, "text": "x" * 50} for i in range(500)], "total": 500}
    kept, cut = fit(value, 2000)
    assert cut and len(json.dumps(kept)) <= 2000 and kept["total"] == 500 and kept["items"][0]["id"] == 0
    assert fit({"a": 1}, 100) == ({"a": 1}, False)
    long_text, cut = fit({"a": "y" * 5000}, 1000)
    assert cut and len(json.dumps(long_text)) <= 1000 and long_text["a"].startswith("yyy")


def test_drift_is_said_not_hidden(api: cmldyn.Client) -> None:
    box = Toolbox(api)
    schema = box.output_schema("call_operation")
    op = api.model.get("list_projects")
    drifted = box._structured(op, "call_operation", {"projects": "not a list"}, "answer", None)
    assert drifted["shape"] == "drift"
    jsonschema.validate(drifted, schema)


# ------------------------------------------------------------------ writes confirmed by a person


def _posts(sim: Simulator) -> list[Any]:
    return [x for x in sim.seen if x.method in ("POST", "PATCH", "PUT", "DELETE")]


def test_a_confirmed_write_sends_exactly_one_request_and_a_declined_one_none(workspace: Simulator,
                                                                             tmp_path: Path) -> None:
    from mcp_types import ElicitResult

    asked: list[str] = []
    answers = iter(["accept", "decline"])

    async def person(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        action = next(answers)
        return ElicitResult(action=action, content={"approve": True} if action == "accept" else None)

    session = Session(workspace, tmp_path, "--allow-write", "--confirm-writes")
    session.client_options = {"elicitation_callback": person}

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        workspace.forget()
        made = await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "confirmed-1"}})
        after_one = len(_posts(workspace))
        declined = await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "nope-1"}})
        return {"made": made, "after_one": after_one, "declined": declined, "posts": _posts(workspace)}

    got = session.run(steps)
    assert not got["made"][1], got["made"][0]
    assert got["after_one"] == 1 and len(got["posts"]) == 1 and got["posts"][0].path.endswith("/projects")
    assert got["declined"][1] and "declined" in got["declined"][0] and "not sent" in got["declined"][0]
    assert "create_project" in asked[0] and "POST /api/v2/projects" in asked[0] and "confirmed-1" in asked[0]
    session.assert_no_key()


def test_on_the_earlier_protocol_the_person_is_asked_within_the_call(workspace: Simulator, tmp_path: Path) -> None:
    from mcp_types import ElicitResult

    asked: list[str] = []

    async def person(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": True})

    session = Session(workspace, tmp_path, "--allow-write", "--confirm-writes")
    session.client_options = {"elicitation_callback": person, "mode": "legacy"}

    async def steps(s: Session, client: Client) -> tuple[str, str, bool]:
        workspace.forget()
        text, failed = await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "old-1"}})
        return client.protocol_version, text, failed

    version, text, failed = session.run(steps)
    assert version != "2026-07-28" and not failed, text
    assert len(asked) == 1 and "create_project" in asked[0] and len(_posts(workspace)) == 1


def test_a_replayed_tampered_expired_or_rebound_approval_sends_nothing(workspace: Simulator, tmp_path: Path) -> None:
    from mcp_types import ElicitResult, InputRequiredResult

    yes = {"confirm": ElicitResult(action="accept", content={"approve": True})}
    session = Session(workspace, tmp_path, "--allow-write", "--confirm-writes", "--confirm-ttl", "1")
    session.client_options = {"elicitation_callback": lambda *a: None}

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        async def call(arguments: dict[str, Any], state: str | None = None, responses: Any = None) -> Any:
            return await client.session.call_tool("call_operation", arguments, input_responses=responses,
                                                  request_state=state, allow_input_required=True)

        first = {"name": "create_project", "arguments": {"name": "bound-1"}}
        out: dict[str, Any] = {}
        workspace.forget()
        asked = await call(first)
        assert isinstance(asked, InputRequiredResult) and asked.request_state and asked.input_requests
        out["asked_sent"] = len(_posts(workspace))
        tampered = asked.request_state[:-2] + ("A" if asked.request_state[-2] != "A" else "B") + asked.request_state[-1]
        out["tampered"] = await call(first, tampered, yes)
        out["rebound"] = await call({"name": "create_project", "arguments": {"name": "other"}}, asked.request_state, yes)
        out["before_good"] = len(_posts(workspace))
        out["good"] = await call(first, asked.request_state, yes)
        out["after_good"] = len(_posts(workspace))
        out["replayed"] = await call(first, asked.request_state, yes)
        late = await call({"name": "create_project", "arguments": {"name": "late-1"}})
        await anyio.sleep(1.3)
        out["expired"] = await call({"name": "create_project", "arguments": {"name": "late-1"}}, late.request_state, yes)
        out["posts"] = len(_posts(workspace))
        return out

    got = session.run(steps)
    text = {k: "".join(c.text for c in v.content) for k, v in got.items() if hasattr(v, "content")}
    assert got["asked_sent"] == 0 and got["before_good"] == 0
    assert got["tampered"].is_error and "not one this server made" in text["tampered"]
    assert got["rebound"].is_error and "other arguments" in text["rebound"]
    assert not got["good"].is_error and got["after_good"] == 1
    assert got["replayed"].is_error and "used already" in text["replayed"]
    assert got["expired"].is_error and "expired" in text["expired"]
    assert got["posts"] == 1  # the one approved call, nothing else
    assert all("nothing was sent" in text[k] for k in ("tampered", "rebound", "replayed", "expired"))


def test_an_update_shows_what_would_change_and_confirmation_never_widens_the_flags(workspace: Simulator,
                                                                                   tmp_path: Path) -> None:
    from mcp_types import InputRequiredResult

    pid = next(p.id for p in cmldyn.Client(workspace.url, CANARY).list_projects().projects if p.name == "demo")
    session = Session(workspace, tmp_path, "--allow-write", "--confirm-writes")
    session.client_options = {"elicitation_callback": lambda *a: None}

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        workspace.forget()
        update = await client.session.call_tool("call_operation", {"name": "update_project", "arguments": {
            "project_id": pid, "name": "demo", "description": "changed by an agent"}}, allow_input_required=True)
        destroy = await client.session.call_tool("call_operation", {"name": "delete_project", "arguments": {
            "project_id": pid}}, allow_input_required=True)
        return {"update": update, "destroy": destroy, "writes": _posts(workspace)}

    got = session.run(steps)
    assert isinstance(got["update"], InputRequiredResult)
    message = got["update"].input_requests["confirm"].params.message
    assert "Changes: description:" in message and "changed by an agent" in message and "name:" not in message
    assert not isinstance(got["destroy"], InputRequiredResult) and got["destroy"].is_error
    assert "--allow-destructive" in got["destroy"].content[0].text
    assert got["writes"] == []


def test_a_client_that_cannot_ask_a_person_is_told_how_to_proceed(workspace: Simulator, tmp_path: Path) -> None:
    session = Session(workspace, tmp_path, "--allow-write", "--confirm-writes")

    async def steps(s: Session, client: Client) -> tuple[str, bool]:
        workspace.forget()
        return await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "x-2"}})

    text, failed = session.run(steps)
    assert failed and "elicitation" in text and "--confirm-writes" in text and "POST" in text
    assert _posts(workspace) == []


# ------------------------------------------------------------------ long waits as tasks


def _tasks_extension() -> Any:
    """A client side of the Tasks extension, as an agent's client would have it: the ``task`` result claimed,
    followed with tasks/get until it ends."""
    from typing import ClassVar, Literal

    from mcp.client.extension import ClientExtension, ResultClaim
    from mcp_types import CallToolResult, Request, Result
    from pydantic import TypeAdapter

    class TaskHandle(Result):
        result_type: Literal["task"] = "task"
        task_id: str
        status: str
        status_message: str | None = None
        poll_interval_ms: int | None = None

    class TaskCall(Request[dict[str, Any], str]):
        params: dict[str, Any]
        name_param: ClassVar[str | None] = "taskId"

    async def follow(handle: TaskHandle, ctx: Any) -> CallToolResult:
        while True:
            seen = await ctx.session.send_request(TaskCall(method="tasks/get", params={"taskId": handle.task_id}),
                                                  TypeAdapter(dict[str, Any]))
            if seen["status"] in ("completed", "failed", "cancelled"):
                return CallToolResult.model_validate(seen["result"])
            await anyio.sleep(0.1)

    class Tasks(ClientExtension):
        identifier = "io.modelcontextprotocol/tasks"

        def claims(self) -> list[Any]:
            return [ResultClaim(result_type="task", model=TaskHandle, resolve=follow)]

    async def send(client: Client, method: str, task_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await client.session.send_request(TaskCall(method=method, params={"taskId": task_id}),
                                                                   TypeAdapter(dict[str, Any]))
        return result

    return Tasks(), TaskHandle, send


@pytest.fixture()
def frozen() -> Any:
    with Simulator(token=CANARY, seed="demo", speed=0) as sim:  # the clock moves only when the test steps it
        yield sim


def test_a_wait_becomes_a_task_that_follows_the_workload_to_its_end(frozen: Simulator, tmp_path: Path) -> None:
    extension, handle_type, send = _tasks_extension()
    api = cmldyn.Client(frozen.url, CANARY)
    project = next(p for p in api.list_projects().projects if p.name == "demo")
    job = api.list_jobs(project.id).jobs[0]
    session = Session(frozen, tmp_path, "--allow-write")
    session.client_options = {"extensions": [extension]}
    wait = {"name": "create_job_run", "until": "done", "arguments": {"project_id": project.id, "job_id": job.id}}

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        handle = await client.session.call_tool("wait_for", wait, allow_claimed=True)
        assert isinstance(handle, handle_type) and handle.status == "working"
        seen = [await send(client, "tasks/get", handle.task_id)]
        for _ in range(40):  # the status is the workload's while the clock stands still
            await anyio.sleep(0.1)
            seen.append(await send(client, "tasks/get", handle.task_id))
            if "ENGINE_" in (seen[-1].get("statusMessage") or ""):
                break
        frozen.clock.step(3600)  # the run ends
        for _ in range(100):
            done = await send(client, "tasks/get", handle.task_id)
            if done["status"] != "working":
                break
            await anyio.sleep(0.1)
        async def later() -> None:
            await anyio.sleep(0.3)
            frozen.clock.step(3600)

        async with anyio.create_task_group() as group:
            group.start_soon(later)
            followed = await client.call_tool("wait_for", wait)  # the claim followed to the end by the client
        unknown = None
        try:
            await send(client, "tasks/get", "no-such-task")
        except Exception as error:  # noqa: BLE001 - the JSON-RPC error is what is checked
            unknown = str(error)
        return {"seen": seen, "done": done, "followed": followed, "unknown": unknown}

    got = session.run(steps)
    assert all(v["status"] == "working" for v in got["seen"])
    assert "job run: status: ENGINE_" in got["seen"][-1]["statusMessage"]
    done = got["done"]
    assert done["status"] == "completed" and done["result"]["structuredContent"]["operation"] == "get_job_run"
    assert done["result"]["structuredContent"]["result"]["status"].startswith("ENGINE_")
    assert {"createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs"} <= set(done)
    assert got["followed"].structured_content["operation"] == "get_job_run"
    assert got["unknown"] and "no task" in got["unknown"]
    session.assert_no_key()


@pytest.mark.parametrize("flags, stopped", [(("--allow-write", "--allow-destructive"), True), (("--allow-write",), False)])
def test_cancelling_a_task_stops_the_workload_where_the_flags_allow(frozen: Simulator, tmp_path: Path,
                                                                     flags: tuple[str, ...], stopped: bool) -> None:
    extension, _, send = _tasks_extension()
    api = cmldyn.Client(frozen.url, CANARY)
    project = next(p for p in api.list_projects().projects if p.name == "demo")
    job = api.list_jobs(project.id).jobs[0]
    session = Session(frozen, tmp_path, *flags)
    session.client_options = {"extensions": [extension]}

    async def steps(s: Session, client: Client) -> dict[str, Any]:
        handle = await client.session.call_tool("wait_for", {"name": "create_job_run", "arguments": {
            "project_id": project.id, "job_id": job.id}}, allow_claimed=True)
        frozen.forget()
        acknowledged = await send(client, "tasks/cancel", handle.task_id)
        for _ in range(100):
            view = await send(client, "tasks/get", handle.task_id)
            if view["status"] != "working":
                break
            await anyio.sleep(0.1)
        return {"ack": acknowledged, "view": view, "writes": _posts(frozen), "run_id": handle.task_id}

    got = session.run(steps)
    assert got["ack"].get("resultType") in (None, "complete")
    assert got["view"]["status"] == "cancelled"
    runs = api.list_job_runs(project.id, job.id).job_runs
    if stopped:
        assert [x.path.endswith(":stop") for x in got["writes"]] == [True]
        assert "stopped (stop_job_run)" in got["view"]["statusMessage"]
        assert any(r.status == "ENGINE_STOPPED" for r in runs)
    else:
        assert got["writes"] == []
        assert "goes on" in got["view"]["statusMessage"] and "--allow-destructive" in got["view"]["statusMessage"]


# ------------------------------------------------------------------ a caller's own key over HTTP


def test_over_http_a_caller_sends_its_own_key_and_the_servers_token_never_goes_downstream(workspace: Simulator,
                                                                                            tmp_path: Path) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    from .test_mcp import HttpServer

    bearer = "mcp-bearer-canary-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
    server_key = "server-own-key-not-the-workspaces-0123456789"
    with HttpServer(workspace, tmp_path, server_key, bearer) as server:
        url = server.url

        async def call(headers: dict[str, str]) -> Any:
            async with create_mcp_http_client(headers=headers) as http:
                async with streamable_http_client(url, http_client=http) as streams:
                    async with ClientSession(streams[0], streams[1]) as session:
                        await session.initialize()
                        return await session.call_tool("call_operation", {"name": "list_projects",
                                                                          "query": "projects[].name"})

        workspace.forget()
        own = anyio.run(call, {"Authorization": f"Bearer {bearer}", "X-Cmldyn-Api-Key": CANARY})
        with_own = list(workspace.seen)
        workspace.forget()
        servers = anyio.run(call, {"Authorization": f"Bearer {bearer}"})
        with_servers = list(workspace.seen)
    err = server.stderr
    assert not own.is_error, own.content
    assert own.structured_content["shape"] == "query" and "demo" in own.structured_content["result"]
    assert "demo" in own.content[0].text  # the workspace took the caller's key
    assert servers.is_error and "401" in servers.content[0].text  # the server's own key is not the workspace's
    assert with_own and all(x.authorization == f"Bearer {CANARY}" for x in with_own)
    assert with_servers and all(x.authorization == f"Bearer {server_key}" for x in with_servers)
    for seen in with_own + with_servers:  # the server's bearer token reached the workspace in no request
        assert bearer not in repr(seen) + seen.body.decode("utf-8", "replace") + json.dumps(seen.headers)
    assert bearer not in err and CANARY not in err and CANARY not in servers.content[0].text


def test_a_callers_key_that_cannot_be_sent_is_one_tool_error(api: cmldyn.Client) -> None:
    box = Toolbox(api)
    reply = box.answer("call_operation", {"name": "list_projects"}, key="half\nkey")
    assert reply.failed and "X-Cmldyn-Api-Key header" in reply.text and "half" not in reply.text
    assert box.answer("call_operation", {"name": "list_projects", "query": "projects[0].name"}).text == '"demo"'


def test_past_the_size_bound_answers_are_left_untyped_and_the_schema_says_so(api: cmldyn.Client,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from cmldyn.mcp import shapes

    monkeypatch.setattr(shapes, "MAX_SCHEMA", 1000)  # as a spec of Stripe's size does at 128 KB
    box = Toolbox(api, direct=("list_projects",))
    envelope = box.output_schema("call_operation")
    assert "allOf" not in envelope and "untyped here" in envelope["properties"]["result"]["description"]
    assert box.output_schema("list_projects") == {"type": "object"}
    reply = box.answer("call_operation", {"name": "list_projects"})
    assert reply.structured is not None and reply.structured["shape"] == "answer"
    jsonschema.validate(reply.structured, envelope)
    assert all(len(json.dumps(t["output_schema"])) <= 1000 for t in box.tools())


def test_only_an_accepted_true_approves() -> None:
    from cmldyn.mcp.approvals import Approval

    assert Approval("s", "accept", {"approve": True}).approved
    for action, content in (("accept", {"approve": "false"}), ("accept", {"approve": "true"}), ("accept", None),
                            ("decline", {"approve": True}), ("cancel", {"approve": True}), ("", {"approve": True})):
        assert not Approval("s", action, content).approved, (action, content)


def test_confirming_writes_on_a_read_only_server_is_pointed_out(workspace: Simulator, tmp_path: Path) -> None:
    session = Session(workspace, tmp_path, "--confirm-writes")

    async def steps(s: Session, client: Client) -> tuple[str, bool]:
        return await s.call(client, "call_operation", {"name": "create_project", "arguments": {"name": "ro"}})

    text, failed = session.run(steps)
    assert failed and "--allow-write" in text  # refused by the flags; never asked
    assert "nothing to confirm: the server is read-only" in session.stderr.read_text()


def test_a_task_is_seen_and_cancelled_only_by_whoever_started_it(frozen: Simulator) -> None:
    import time

    from cmldyn.mcp.tasks import TaskBoard
    from cmldyn.mcp.tools import Waiting

    api = cmldyn.Client(frozen.url, CANARY)
    project = next(p for p in api.list_projects().projects if p.name == "demo")
    job = api.list_jobs(project.id).jobs[0]
    box = Toolbox(api, Policy(allow_write=True))
    started = box.begin_wait({"name": "create_job_run", "arguments": {"project_id": project.id, "job_id": job.id}})
    assert isinstance(started, Waiting)
    board = TaskBoard(box)
    task = board.start(started, lambda reply: {"text": reply.text}, owner="digest-of-a")
    assert task is not None
    assert board.get(task.id) is None and board.get(task.id, "digest-of-b") is None
    assert board.cancel(task.id, "digest-of-b") is None and board.get(task.id, "digest-of-a").status == "working"
    assert board.cancel(task.id, "digest-of-a") is task
    for _ in range(50):
        if task.status != "working":
            break
        time.sleep(0.1)
    assert task.status == "cancelled" and "goes on" in task.message and "--allow-destructive" in task.message


def test_a_chain_of_schemas_too_deep_to_follow_leaves_the_answer_untyped() -> None:
    depth = 3000
    definitions = {f"Node{i}": {"type": "object", "properties": {"next": {"$ref": f"#/definitions/Node{i + 1}"}}}
                   for i in range(depth)}
    definitions[f"Node{depth}"] = {"type": "object", "properties": {"end": {"type": "string"}}}
    spec = {"swagger": "2.0", "info": {"title": "deep", "version": "1"}, "definitions": definitions, "paths": {
        "/node": {"get": {"operationId": "getNode", "responses": {"200": {"description": "ok",
                                                                           "schema": {"$ref": "#/definitions/Node0"}}}}},
        "/flat": {"get": {"operationId": "getFlat", "responses": {"200": {"description": "ok",
                                                                           "schema": {"type": "object", "properties": {
                                                                               "id": {"type": "integer"}}}}}}}}}
    api = cmldyn.Client("http://127.0.0.1:9", spec=spec)
    box = Toolbox(api, direct=("get_node", "get_flat"))
    schemas = {t["name"]: t["output_schema"] for t in box.tools()}
    assert schemas["get_node"]["type"] == "object" and len(json.dumps(schemas["get_node"])) < 1000
    assert schemas["get_flat"]["properties"]["id"]["type"] == ["integer", "string", "null"]
    jsonschema.Draft202012Validator.check_schema(schemas["call_operation"])
    from cmldyn.mcp.shapes import Shapes

    shapes = Shapes()
    assert shapes.of(api.model.get("get_node").response_schema) == {} and shapes.defs == {}  # too deep: untyped


def test_a_wait_polls_soon_at_first_then_as_the_waiter_asks() -> None:
    from cmldyn.mcp.tools import _ramped

    slept: list[float] = []
    wait = _ramped(slept.append)
    for asked in (2.0, 2.0, 2.0, 0.2):
        wait(asked)
    assert slept == [0.5, 1.0, 2.0, 0.2]


def test_the_question_for_a_write_never_shows_the_key(api: cmldyn.Client) -> None:
    pid = next(p.id for p in api.list_projects().projects if p.name == "demo")
    box = Toolbox(api, Policy(allow_write=True, confirm_writes=True))
    reply = box.answer("call_operation", {"name": "update_project", "arguments": {
        "project_id": pid, "description": f"pasted by mistake: {CANARY}"}})
    assert reply.confirm is not None and "description" in reply.confirm.preview["changes"]
    shown = reply.confirm.message + json.dumps(reply.confirm.preview) + reply.text
    assert CANARY not in shown and "***" in reply.confirm.message
