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
