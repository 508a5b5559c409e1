"""Spec loading: every kind of spec loads; hostile ones are refused with no file or network access."""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import cmldyn
from cmldyn.docs import render_doc
from cmldyn.errors import SpecError
from cmldyn.spec import build_spec, decode_json, load_spec

from .conftest import CANARY, CML_SPEC, SPECS, EchoServer
from .helpers import minimal_spec

ALL_SPECS = sorted(p.name for p in SPECS.iterdir())


class _Audit:
    """Counts file opens and socket connects while active (audit hooks cannot be removed)."""

    active = False
    events: list[tuple[str, Any]] = []

    @classmethod
    def hook(cls, event: str, args: Any) -> None:
        if cls.active and event in ("open", "socket.connect"):
            cls.events.append((event, args[0] if args else None))


sys.addaudithook(_Audit.hook)


@pytest.fixture()
def audit() -> Iterator[list[tuple[str, Any]]]:
    # Load one small spec first, so the lazy imports of the loading path (module files) are done.
    render_doc(cmldyn.Client("http://127.0.0.1:9", "k", spec=minimal_spec()).operation("get_x"))
    _Audit.events = []
    _Audit.active = True
    try:
        yield _Audit.events
    finally:
        _Audit.active = False


@pytest.mark.parametrize("name", ALL_SPECS)
def test_every_fixture_spec_loads(name: str) -> None:
    spec = load_spec(SPECS / name)
    assert spec.raw["paths"]
    client = cmldyn.Client("http://127.0.0.1:9", "k", spec=spec)
    assert len(client.operations) == len(client.model.operations) >= 2
    assert all(callable(getattr(client, o.name)) for o in client.operations)


HOSTILE_REFS = [
    "http://127.0.0.1:9/evil.json#/X",
    "https://example.invalid/schema.json",
    "file:///etc/passwd",
    "/etc/passwd",
    "../../secrets.json#/X",
    "other.json",
    "python://cmldyn/data.json",
    "ftp://example.invalid/x.json",
    "//example.invalid/x.json",
]


@pytest.mark.parametrize("ref", HOSTILE_REFS)
def test_external_refs_are_refused_before_anything_is_opened(ref: str, audit: list) -> None:
    doc = minimal_spec()
    doc["definitions"]["X"]["properties"]["b"] = {"$ref": ref}
    started = time.monotonic()
    with pytest.raises(SpecError, match="external \\$ref not allowed"):
        build_spec(doc)
    assert time.monotonic() - started < 2
    assert audit == []


def test_a_property_named_ref_is_a_property(audit: list) -> None:
    """Kubernetes' JSONSchemaProps has a property called $ref: its value is a schema, not a pointer."""
    doc = minimal_spec()
    doc["definitions"]["X"]["properties"]["$ref"] = {"type": "string", "description": "a reference"}
    doc["definitions"]["X"]["properties"]["b"] = {"$ref": {"nested": True}}  # not a string: not a reference
    spec = build_spec(doc)
    x = spec.schema("X")
    assert x is not None and set(x.properties) == {"a", "$ref", "b"}
    assert x.properties["$ref"].type == "string" and x.properties["$ref"].description == "a reference"
    assert audit == []


def test_loading_a_dict_opens_nothing_and_connects_nowhere(audit: list) -> None:
    doc = json.loads((CML_SPEC).read_text())
    audit.clear()
    spec = build_spec(doc)
    assert spec.version == "2.0"
    assert audit == []


def test_a_reference_fan_out_loads_and_is_described_within_budget() -> None:
    """Each schema cites the previous one twice: inlined, 2**40 nodes. As a graph it is 41 views."""
    definitions: dict[str, Any] = {"S0": {"type": "string"}}
    for i in range(1, 40):
        definitions[f"S{i}"] = {
            "type": "object",
            "properties": {"a": {"$ref": f"#/definitions/S{i - 1}"}, "b": {"$ref": f"#/definitions/S{i - 1}"}},
        }
    doc = minimal_spec(definitions={**definitions, "X": {"$ref": "#/definitions/S39"}})
    started = time.monotonic()
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=build_spec(doc))
    text = render_doc(api.operation("get_x"))
    assert time.monotonic() - started < 2
    assert "Returns: S39 (HTTP 200)" in text and len(text.splitlines()) < 80
    assert api.spec.graph.made < 100


def test_yaml_alias_bomb_is_refused(tmp_path: Path, audit: list) -> None:
    lines = [
        'swagger: "2.0"',
        "info: {title: bomb, version: '1'}",
        "paths: {}",
        'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
    ]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 1000
    audit.clear()
    started = time.monotonic()
    with pytest.raises(SpecError, match="too large or expands too much"):
        load_spec(path)
    assert time.monotonic() - started < 2
    assert [e for e in audit if e[0] == "socket.connect"] == []
    assert {str(e[1]) for e in audit if e[0] == "open"} <= {str(path)}


def test_deep_nesting_is_refused() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(300):
        deep = {"type": "object", "properties": {"n": deep}}
    with pytest.raises(SpecError, match="nested too deeply"):
        build_spec(minimal_spec(definitions={"X": deep}))


def test_a_cycle_is_a_loop_in_the_graph() -> None:
    spec = load_spec(SPECS / "recursive.json")
    node = spec.lookup("#/definitions/Node")
    assert node.name == "Node" and node.properties["id"].type == "string"
    assert node.properties["children"].items is node and node.properties["parent"] is node
    person = spec.schema("Person")
    assert person is not None and person.properties["manager"].properties["reports"].items is person


def test_dangling_internal_ref_loads_with_a_warning() -> None:
    doc = minimal_spec()
    doc["definitions"]["X"]["properties"]["b"] = {"$ref": "#/definitions/Missing"}
    spec = build_spec(doc)
    assert any("unresolvable $ref '#/definitions/Missing'" in w for w in spec.warnings)


def test_spec_host_is_ignored_with_a_warning() -> None:
    spec = build_spec(minimal_spec(host="evil.example.invalid", basePath="/base/"))
    assert spec.base_path == "/base"
    assert any("evil.example.invalid" in w and "ignored" in w for w in spec.warnings)


@pytest.mark.parametrize(
    "body,ctype,message",
    [
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html", "not JSON \\(text/html\\)"),
        (b'{"swagger": "2.0", "x": "\xff\xfe"}', "application/json", "not valid UTF-8 at byte"),
        (b'{"swagger": NaN}', "application/json", "not JSON"),
        (b"[1, 2", "application/json", "not JSON"),
    ],
)
def test_bad_spec_bytes_are_spec_errors(body: bytes, ctype: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        decode_json(body, content_type=ctype)


def test_not_a_spec_is_refused() -> None:
    with pytest.raises(SpecError, match="not a Swagger 2.0 or OpenAPI 3.x"):
        build_spec({"info": {}, "paths": {}})


def test_validation_is_advice_not_a_gate() -> None:
    doc = minimal_spec()
    doc["paths"]["/x"]["get"]["responses"] = {"200": {"schema": {"type": "object"}}}  # no description: invalid
    del doc["info"]["version"]
    client = cmldyn.Client("http://127.0.0.1:9", "k", spec=copy.deepcopy(doc))
    assert client.operations[0].name == "get_x"
    warnings = client.spec_warnings
    assert any("version" in w or "description" in w for w in warnings)


def test_spec_is_fetched_with_the_key_from_the_same_origin_only() -> None:
    server = EchoServer(SPECS / "petstore-2.0.json")
    other = EchoServer(SPECS / "petstore-2.0.json")
    try:
        client = cmldyn.Client(server.url, CANARY, spec=server.url + "/spec.json")
        assert client.base_url == server.url + "/v1"
        client.list_pets(limit=2)
        seen = server.requests[-1]
        assert seen["path"] == f"/v1/pets?limit=2&api_key={CANARY}"  # where petstore-2.0 says its key goes
        # A spec on another origin is fetched without the key.
        cmldyn.Client(server.url, CANARY, spec=other.url + "/spec.json")
        assert all(CANARY not in json.dumps(r) for r in other.requests)
    finally:
        server.close()
        other.close()


def test_a_large_generated_spec_loads_and_every_operation_is_callable(audit: list) -> None:
    from .conftest import large_spec

    doc = large_spec(1000)
    audit.clear()
    client = cmldyn.Client("http://127.0.0.1:9", "k", spec=doc)
    assert len(client.operations) == 1000
    assert audit == []
    op = client.operation("get_widget0007")
    assert "(recursive: " in render_doc(op)
    assert client.operation("list_widget0007s").page_list_field == "widgets0007"
    prepared = client.prepare("list_widget0001s", page_size=3, status="PAUSED")
    assert prepared.path == "/v1/widgets0001" and ("status", "PAUSED") in prepared.query


def test_views_are_made_on_first_use_and_the_document_is_left_as_it_was() -> None:
    spec = load_spec(CML_SPEC)
    model = cmldyn.model.ServiceModel(spec)
    assert spec.graph.made == 0  # indexing the operations visits no schema
    op = model.get("list_projects")
    assert op.page_list_field == "projects"
    props = op.response_schema.properties["projects"].items.properties  # type: ignore[union-attr]
    assert props["creator"].properties["username"].type == "string"
    assert spec.graph.made < 40
    project = spec.schema("Project")
    assert project is not None and project.properties["name"].type == "string"
    assert op.response_schema.properties["projects"].items is project  # type: ignore[union-attr]
    assert spec.raw["definitions"]["ListProjectsResponse"]["properties"]["projects"]["items"] == {"$ref": "#/definitions/Project"}
    assert "x-cmldyn-name" not in json.dumps(spec.raw)


def test_spec_resolve_inlines_references_and_keeps_cycles(tmp_path: Path) -> None:
    """`cmldyn spec resolve`: prance's job. Shared schemas are inlined, a ref that closes a cycle stays a
    ref, a property named $ref keeps its name, and an export that would explode stops cleanly."""
    import io

    from cmldyn.cli import main

    doc = minimal_spec()
    doc["definitions"]["X"]["properties"]["$ref"] = {"type": "string"}
    doc["definitions"]["X"]["properties"]["self"] = {"$ref": "#/definitions/X"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    out, err = io.StringIO(), io.StringIO()
    assert main(["--spec", str(path), "spec", "resolve"], stdout=out, stderr=err, env={}) == 0, err.getvalue()
    resolved = json.loads(out.getvalue())
    answer = resolved["paths"]["/x"]["get"]["responses"]["200"]["schema"]
    assert answer["properties"]["a"] == {"type": "string"} and answer["properties"]["$ref"] == {"type": "string"}
    assert answer["properties"]["self"] == {"$ref": "#/definitions/X"}
    assert json.loads(path.read_text()) == doc  # the file, and the loaded document, are left as they were

    from cmldyn.spec import resolved_text

    fan = {"S0": {"type": "string"}}
    for i in range(1, 30):
        fan[f"S{i}"] = {"type": "object", "properties": {"a": {"$ref": f"#/definitions/S{i - 1}"},
                                                          "b": {"$ref": f"#/definitions/S{i - 1}"}}}
    with pytest.raises(SpecError, match="resolved spec would be larger than 1 MB"):
        resolved_text(build_spec(minimal_spec(definitions={**fan, "X": {"$ref": "#/definitions/S29"}})), limit=2**20)
