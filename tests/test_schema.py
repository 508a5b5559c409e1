"""The schema graph and the one validator: views over the document, and check() as a case table
(fixtures/cases/validate.json: schema and value in, findings out)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cmldyn.schema import SchemaGraph, type_label
from cmldyn.validator import PARAM_RULES, REQUEST_RULES, RESPONSE_RULES, check

from .conftest import FIXTURES

CASES = json.loads((FIXTURES / "cases" / "validate.json").read_text())
RULES = {"request": REQUEST_RULES, "param": PARAM_RULES, "response": RESPONSE_RULES}


def view_of(case: dict[str, Any], *, openapi3: bool = False) -> Any:
    doc = {"definitions": case.get("definitions", {}), "x-case": case["schema"]}
    return SchemaGraph(doc, openapi3=openapi3).view(doc["x-case"], "#/x-case")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check(case: dict[str, Any]) -> None:
    found = check(view_of(case), case["value"], rules=RULES[case.get("rules", "request")])
    got = [[f.path, f.kind, f.severity] for f in found]
    assert got == [row[:3] for row in case["findings"]], [str(f) for f in found]
    for finding, row in zip(found, case["findings"], strict=True):
        if len(row) > 3:
            assert finding.hint == row[3]


def test_findings_are_bounded() -> None:
    schema = view_of({"schema": {"type": "array", "items": {"type": "integer"}}})
    assert len(check(schema, ["x"] * 500, limit=10)) == 10


def test_a_shared_schema_is_one_view_and_a_cycle_is_a_loop() -> None:
    doc = {"definitions": {"A": {"type": "object", "properties": {"b": {"$ref": "#/definitions/B"}}},
                           "B": {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}}}}}
    graph = SchemaGraph(doc, openapi3=False)
    a = graph.named("A")
    assert a is not None and a.properties["b"].properties["a"] is a
    assert graph.named("B") is a.properties["b"]
    assert type_label(a.properties["b"], 1) == "B"


def test_an_allof_cycle_is_visited_once() -> None:
    doc = {"definitions": {"A": {"allOf": [{"$ref": "#/definitions/B"}], "properties": {"a": {"type": "string"}}},
                           "B": {"allOf": [{"$ref": "#/definitions/A"}], "properties": {"b": {"type": "integer"}}}}}
    a = SchemaGraph(doc, openapi3=False).named("A")
    assert a is not None and set(a.properties) == {"a", "b"} and a.type == "object"
    assert check(a, {"a": "x", "b": "y"}) and not check(a, {"a": "x", "b": 1})


def test_a_ref_chain_that_loops_or_leads_nowhere_is_an_empty_schema() -> None:
    doc = {"definitions": {"A": {"$ref": "#/definitions/B"}, "B": {"$ref": "#/definitions/A"},
                           "C": {"$ref": "#/definitions/Missing"}}}
    graph = SchemaGraph(doc, openapi3=False)
    for name in ("A", "C"):
        view = graph.named(name)
        assert view is not None and view.type is None and "reference" in view.description
        assert check(view, {"anything": 1}) == []


def test_openapi3_names_and_nullable_labels() -> None:
    doc = {"components": {"schemas": {"Pet": {"type": "object", "properties": {"tag": {"type": "string", "nullable": True}}}}}}
    graph = SchemaGraph(doc, openapi3=True)
    pet = graph.named("Pet")
    assert graph.names() == ["Pet"] and pet is not None and pet.name == "Pet"
    assert type_label(pet.properties["tag"]) == "string|null"
    assert pet.properties["tag"].name is None  # a property is not a named schema
