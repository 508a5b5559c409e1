"""The traits of real public specs that break tools which inline references, on generated specs
(benchmarks/trait_specs.py): a property named $ref and a self-recursive schema (Kubernetes-like,
Swagger 2.0, about 1,100 operations), and a 68-schema strongly connected component reached through
anyOf string-or-ref expandable fields (Stripe-like, OpenAPI 3.0, about 400 operations)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.docs import field_lines, render_doc

from .conftest import trait_specs


@pytest.fixture(scope="module")
def traits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return trait_specs(tmp_path_factory.mktemp("traits"))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, env={})
    return code, out.getvalue(), err.getvalue()


def test_the_generated_specs_have_the_traits(traits: dict[str, Path]) -> None:
    k8s = json.loads(traits["kubernetes-like"].read_text())
    stripe = json.loads(traits["stripe-like"].read_text())
    assert k8s["swagger"] == "2.0" and stripe["openapi"].startswith("3.0")
    assert 3.5 < traits["kubernetes-like"].stat().st_size / 2**20 < 5 and 3 < traits["stripe-like"].stat().st_size / 2**20 < 5
    props = k8s["definitions"]["apiextensions.JSONSchemaProps"]["properties"]
    assert props["$ref"] == {"type": "string", "description": "A reference, written as a plain string field."}
    assert props["not"] == {"$ref": "#/definitions/apiextensions.JSONSchemaProps"}
    link = stripe["components"]["schemas"]["resource_000"]["properties"]["link_0"]
    assert link["anyOf"][0]["type"] == "string" and "$ref" in link["anyOf"][1]


@pytest.mark.parametrize("name, operations", [("kubernetes-like", 1100), ("stripe-like", 380)])
def test_every_operation_builds_with_its_signature_and_docs(traits: dict[str, Path], name: str, operations: int) -> None:
    code, out, err = run(["--spec", str(traits[name]), "ops", "-o", "json"])
    assert code == 0 and err == "", err
    assert len(json.loads(out)) == operations
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=str(traits[name]))
    for info in api.operations:
        fn = getattr(api, info.name)
        assert fn.__doc__ and fn.__signature__ is not None
    assert api.spec.graph.made < 20_000  # a view per schema reached, not per path through the graph


def test_describe_of_the_operation_taking_jsonschemaprops_ends(traits: dict[str, Path]) -> None:
    code, out, err = run(["--spec", str(traits["kubernetes-like"]), "describe",
                          "create_namespaced_custom_resource_definition"])
    assert code == 0, err
    assert "Body fields (apiextensions.CustomResourceDefinition):" in out and "Command line: cmldyn call" in out
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=str(traits["kubernetes-like"]))
    props = api.spec.schema("apiextensions.JSONSchemaProps")
    lines = field_lines(props, depth=6)
    text = "\n".join(lines)
    assert "$ref: string" in text
    assert "allOf: array[apiextensions.JSONSchemaProps] (recursive: apiextensions.JSONSchemaProps)" in text
    assert "additionalProperties: apiextensions.JSONSchemaPropsOrBool (recursive: apiextensions.JSONSchemaProps)" in text
    assert len(lines) < 40  # every way back to JSONSchemaProps is marked, none is walked


def test_the_strongly_connected_component_is_described_within_budget(traits: dict[str, Path]) -> None:
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=str(traits["stripe-like"]))
    text = render_doc(api.operation("get_resource000s_id"))
    assert "Returns: resource_000 (HTTP 200)" in text and len(text.splitlines()) < 90
    assert "link_0: string anyOf resource_001" in text  # an expandable field reads as its alternatives
    assert "latest: resource_002|null" in text  # allOf of one reference, nullable
    link = api.spec.schema("resource_000").properties["link_0"]  # type: ignore[union-attr]
    assert [p.type for p in link.any_of] == ["string", "object"]
    assert link.any_of[1].properties["link_0"].any_of[1] is api.spec.schema("resource_002")
