"""explain: any schema by name or an operation's parts, a field path into it, every facet of a field, cycles
marked and the walk bounded on a Kubernetes-size spec; describe --depth uses the same renderer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.errors import ParamError
from cmldyn.explain import MAX_LINES, explain

from .conftest import spec_file, trait_specs

SPEC = str(spec_file("explain.yaml"))


@pytest.fixture(scope="module")
def widgets() -> cmldyn.Client:
    return cmldyn.Client("http://127.0.0.1:9", "unused", spec=SPEC, cache=False)


def cli(*words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(["--spec", SPEC, *words], stdout=out, stderr=err, env={}), out.getvalue(), err.getvalue()


def test_a_schema_with_every_facet_of_its_fields(widgets: cmldyn.Client) -> None:
    text = explain(widgets.model, "Widget")
    lines = text.splitlines()
    assert lines[0] == "Widget: schema" and "A thing with parts." in lines[1]
    after = {line.split(":")[0].strip(): lines[i + 1].strip() for i, line in enumerate(lines[:-1])
             if line.startswith("  ") and not line.startswith("   ")}
    assert "id: string (read-only)" in text and after["id"] == "Given by the server."
    assert "name: string (required)" in text and 'example: "gear"' in text
    assert "colour: string|null one of red, green" in text and 'nullable · default: "red"' in text
    assert after["legacy_code"] == "Use name." and "deprecated" in text
    assert after["secret"] == "write-only" and "a map: any names, each value string" in text
    assert "parts: array[Part]" in text and "size: integer" not in text  # --depth 1: one level


def test_a_field_path_three_levels_deep_through_an_array(widgets: cmldyn.Client) -> None:
    text = explain(widgets.model, "create_widget.body.parts.maker.country")
    assert text.splitlines()[0] == "create_widget.body.parts.maker.country: object"
    assert "code: string" in text and 'example: "NL"' in text
    via_answer = explain(widgets.model, "createWidget.answer.parts[].maker").splitlines()
    assert via_answer[0] == "create_widget.answer.parts.maker: object"  # operationId, [] and all
    assert via_answer[1:] == explain(widgets.model, "Part.maker").splitlines()[1:]


def test_depth_and_recursion_mark_the_cycle_and_end(widgets: cmldyn.Client) -> None:
    deep = explain(widgets.model, "Part", recursive=True)
    assert "spare: Part (recursive: Part)" in deep and "code: string" in deep
    assert "code: string" not in explain(widgets.model, "Part", depth=2)
    assert "code: string" in explain(widgets.model, "Part", depth=3)
    recursive = cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(spec_file("recursive.json")), cache=False)
    for name in recursive.model.schema_names():
        text = explain(recursive.model, name, recursive=True)
        assert len(text.splitlines()) < MAX_LINES * 3
    assert any("(recursive:" in explain(recursive.model, n, recursive=True) for n in recursive.model.schema_names())


def test_alternatives_and_parameters(widgets: cmldyn.Client) -> None:
    shape = explain(widgets.model, "Widget.shape")
    assert "one of: Circle, Square" in shape and "radius: number" in shape and "side: number" in shape
    params = explain(widgets.model, "create_widget.parameters")
    assert "dry: boolean (optional, query)" in params and "Check only" in params and "default: false" in params
    overview = explain(widgets.model, "create_widget")
    assert "POST /widgets" in overview and "explain create_widget.body" in overview


@pytest.mark.parametrize("target, message", [
    ("Widgte", "did you mean 'Widget'"),
    ("Widget.nmae", "did you mean 'name'"),
    ("create_widget.bdy", "did you mean 'body'"),
    ("create_widget.parameters.drry", "did you mean 'dry'"),
])
def test_unknown_names_get_a_did_you_mean(widgets: cmldyn.Client, target: str, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        explain(widgets.model, target)
    code, out, err = cli("explain", target)
    assert code == 2 and out == "" and message in err and len(err.splitlines()) <= 2


def test_kubernetes_size_specs_stay_bounded(tmp_path: Path) -> None:
    specs = trait_specs(tmp_path)
    api = cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(specs["kubernetes-like"]), cache=False)
    versions = explain(api.model, "create_namespaced_custom_resource_definition.body.spec.versions")
    assert "served: boolean (required)" in versions and "items: apiextensions.CustomResourceDefinitionVersion" in versions
    longest = max(len(explain(api.model, n, recursive=True).splitlines()) for n in api.model.schema_names())
    assert longest <= MAX_LINES * 3 + 10  # every field may carry two lines of facts
    props = explain(api.model, "apiextensions.JSONSchemaProps", recursive=True)
    assert "(recursive: apiextensions.JSONSchemaProps)" in props  # dotted schema names are names, not paths


def test_the_cli_and_describe_depth() -> None:
    code, out, _ = cli("explain", "Part", "--depth", "3")
    assert code == 0 and "code: string" in out
    code, shallow, _ = cli("describe", "create_widget", "--depth", "1")
    code2, deep, _ = cli("describe", "create_widget", "--depth", "4")
    assert code == code2 == 0 and "size: integer" not in shallow and "size: integer" in deep
    assert cli("explain", "Part", "--depth", "0")[0] == 2


def test_the_repl_explains(widgets: cmldyn.Client) -> None:
    from cmldyn.repl.commands import Console

    console = Console({"api": widgets})
    shown = console.run(".explain Widget.parts --depth 2")
    assert shown.ok and "maker: object" in shown.text
    assert not console.run(".explain Nope").ok and not console.run(".explain").ok
