"""Hypothesis properties: URL building, name sanitising, terminal-safe rendering, mutated specs.

A long run: CMLDYN_FUZZ_EXAMPLES=100000 python -m pytest -o timeout=0 tests/faults/test_properties.py

The oracle for every generated input: only cmldyn.errors types may escape. Example counts are
kept small for CI; set CMLDYN_FUZZ_EXAMPLES for a long run.
"""

from __future__ import annotations

import copy
import json
import keyword
import os
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cmldyn
from cmldyn.docs import render_doc
from cmldyn.errors import CmldynError
from cmldyn.model import ServiceModel
from cmldyn.output import render, safe_text
from cmldyn.spec import build_spec

from ..conftest import CML_SPEC
from .dashboard import DASHBOARD

EXAMPLES = int(os.environ.get("CMLDYN_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
API = cmldyn.Client("http://127.0.0.1:9", "k", spec=CML_SPEC)
CML = json.loads((CML_SPEC).read_text())
UNSAFE = {chr(c) for c in list(range(0, 9)) + list(range(11, 32)) + list(range(0x7F, 0xA0))} | {
    chr(c) for c in range(0x202A, 0x202F)
}


def count(name: str) -> None:
    DASHBOARD.properties[name] = DASHBOARD.properties.get(name, 0) + 1


@SETTINGS
@given(st.text(min_size=1, max_size=200))
def test_url_building_keeps_the_prefix_and_the_segment_count(value: str) -> None:
    count("URL building")
    try:
        request = API.prepare("get_job", value, "job")
    except CmldynError:
        assert value in ("", ".", "..")
        return
    assert request.path.startswith("/api/v2/projects/")
    segments = request.path.split("/")
    assert len(segments) == 7 and segments[5:] == ["jobs", "job"]
    assert unquote(segments[4]) == value


@SETTINGS
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=25))
def test_names_are_unique_valid_identifiers(ids: list[str]) -> None:
    count("name sanitising")
    paths = {
        f"/p{i}": {"get": {"operationId": op_id, "responses": {"200": {"description": "ok"}}}} for i, op_id in enumerate(ids)
    }
    model = ServiceModel(
        build_spec({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": paths}), reserved={"call", "raw"}
    )
    names = model.names()
    assert len(names) == len(set(names)) == len(ids)
    for name in names:
        assert name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")
        assert name not in ("call", "raw", "match", "case", "type", "_")
    for op_id in ids:
        assert model.find(op_id) is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@SETTINGS
@given(json_values)
def test_rendering_never_emits_terminal_controls(value: Any) -> None:
    count("terminal-safe rendering")
    for fmt in ("json", "yaml", "table", "raw"):
        text = render(value, fmt)
        assert not (set(text) & UNSAFE), fmt
    assert not (set(safe_text(str(value))) & UNSAFE)


def mutate(doc: Any, data: st.DataObject) -> Any:
    """Replace, drop or retype a few nodes of a real spec."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        node, parent, key = doc, None, None
        for _ in range(data.draw(st.integers(min_value=1, max_value=7))):
            if isinstance(node, dict) and node:
                key = data.draw(st.sampled_from(sorted(node)))
            elif isinstance(node, list) and node:
                key = data.draw(st.integers(min_value=0, max_value=len(node) - 1))
            else:
                break
            parent, node = node, node[key]
        if parent is None:
            continue
        choice = data.draw(st.sampled_from(["drop", "null", "string", "list", "number", "ref", "bad-ref"]))
        replacement = {
            "null": None,
            "string": "x",
            "list": [1, {"a": None}],
            "number": -1,
            "ref": {"$ref": "#/definitions/Project"},
            "bad-ref": {"$ref": "#/nowhere/at/all"},
        }.get(choice)
        if choice == "drop" and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, (dict, list)):
            parent[key] = replacement
    return doc


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_specs_raise_only_cmldyn_errors(data: st.DataObject) -> None:
    count("mutated specs")
    doc = mutate(CML, data)
    try:
        api = cmldyn.Client("http://127.0.0.1:9", "k", spec=doc)
        for name in api.model.names()[::15]:
            op = api.operation(name)
            render_doc(op)
            try:
                api.prepare(name, *([{}] if op.body_param else []), *["x"] * len(op.path_params))
            except CmldynError:
                pass
    except CmldynError:
        pass
