"""The simulator is true to every spec it serves: `cmldyn check` finds no error in what it answers, for every
spec in fixtures/specs and the generated trait specs, nor in what it answers to a few creates; and each
schema feature is honoured (a case table). What a spec asks that cannot be honoured is said at start-up."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.simulator import Simulator
from cmldyn.simulator.samples import Sampler
from cmldyn.spec import load_spec
from cmldyn.validator import RESPONSE_RULES, check

from .conftest import CANARY, SPECS, trait_specs

FIXTURES = sorted(p.name for p in SPECS.iterdir())


@pytest.fixture(scope="module")
def traits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return trait_specs(tmp_path_factory.mktemp("traits"))


def crawl(sim: Simulator, spec: Path) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    main(["--host", sim.url, "--token", CANARY, "--spec", str(spec), "check", "--rate", "0", "--max-calls", "150",
          "-o", "json"], stdout=out, stderr=err, env={})
    return json.loads(out.getvalue()) if out.getvalue() else {"counts": {"error": 0}, "operations": [], "error": err.getvalue()}


def creates(sim: Simulator, spec: Path, most: int = 5) -> tuple[int, list[str]]:
    """A few creates through the client with bodies made for them: how many were made, and the findings in
    what the simulator answered, as text."""
    api = cmldyn.Client(sim.url, CANARY, spec=spec, cache=False)
    sampler = Sampler(random.Random(3), lambda: "2026-01-01T00:00:00Z")
    made = 0
    for route in sim.index.routes:
        if made >= most or route.method != "POST" or "{" in route.template or sim.index.body_view(route) is None:
            continue
        body = sampler.value(sim.index.body_view(route), "body")
        op = next(o for o in api.model.operations.values()  # the client's name for it (ids may be derived)
                  if o.method.upper() == route.method and api.spec.base_path + o.path == route.template)
        try:
            api.call(op, body=body)
        except cmldyn.ApiError:
            continue  # refused (a body the sampler made that the server's own rules turn down): not an answer to check
        made += 1
    return made, [str(d) for d in api.contract.findings if d.severity == "error"]


@pytest.mark.parametrize("name", FIXTURES + ["kubernetes-like", "stripe-like"])
def test_check_finds_no_error_in_what_the_simulator_answers(name: str, traits: dict[str, Path]) -> None:
    spec = traits[name] if name in traits else SPECS / name
    with Simulator(spec=spec, token=CANARY, speed=0) as sim:
        report = crawl(sim, spec)
        errors = [(o["operation"], f["path"], f["expected"], f["given"]) for o in report["operations"]
                  for f in o["findings"] if f["severity"] == "error"]
        assert report["counts"]["error"] == 0, errors[:5]
        made, findings = creates(sim, spec)
        assert findings == []
        creatable = any(r.method == "POST" and "{" not in r.template and sim.index.body_view(r) is not None
                        for r in sim.index.routes)
        assert made >= 1 or not creatable  # where the spec has a create, one went through


def test_the_canonical_pet_store_gets_integer_ids_that_count_up() -> None:
    spec = SPECS / "petstore-canonical.yaml"
    with Simulator(spec=spec, token=CANARY, speed=0) as sim:
        api = cmldyn.Client(sim.url, CANARY, spec=spec, cache=False)
        ids = [p.id for p in api.list_pets()]
        assert ids == [1, 2, 3]
        api.create_pets(id=99, name="rex")
        assert api.show_pet_by_id("99").name == "rex" and api.show_pet_by_id(99).id == 99
        assert api.show_pet_by_id("099").id == 99  # an integer id in the path is matched as a number


def values(schema_name: str, count: int = 25) -> list[Any]:
    spec = load_spec(SPECS / "schema-features.yaml")
    schema = spec.graph.named(schema_name)
    sampler = Sampler(random.Random(11), lambda: "2026-01-01T00:00:00Z")
    return [sampler.value(schema, schema_name.lower()) for _ in range(count)]


@pytest.mark.parametrize("schema, field, holds", [
    ("Widget", "id", lambda v: isinstance(v, int) and v >= 1),                   # integer, minimum
    ("Widget", "size", lambda v: v in ("S", "M", "L")),                          # enum
    ("Widget", "name", lambda v: 3 <= len(v) <= 12),                             # minLength, maxLength
    ("Widget", "weight", lambda v: 0.5 <= v <= 2.5),                             # number bounds
    ("Widget", "count", lambda v: 10 <= v <= 20),                                # integer bounds
    ("Widget", "ratio", lambda v: 0 < v <= 1),                                   # exclusiveMinimum (3.0)
    ("Widget", "tags", lambda v: 1 <= len(v) <= 3 and all(len(t) <= 5 for t in v)),  # item counts, lengths
    ("Widget", "created", lambda v: v.startswith("2026-")),                     # date-time
    ("Order", "id", lambda v: len(v) == 36 and v.count("-") == 4),               # uuid
    ("Order", "item", lambda v: v.get("kind") in ("book", "film")),              # oneOf: one branch
    ("Account", "code", lambda v: v.startswith("AC-") and v[3:].isdigit() and len(v) == 9),  # pattern
    ("Account", "balance", lambda v: -1000 <= v <= 1000),
])
def test_each_schema_feature_is_honoured(schema: str, field: str, holds: Any) -> None:
    spec = load_spec(SPECS / "schema-features.yaml")
    for value in values(schema):
        assert field in value and holds(value[field]), (field, value)
        assert [str(f) for f in check(spec.graph.named(schema), value, rules=RESPONSE_RULES) if f.severity == "error"] == []


def test_additional_properties_false_and_nullable_are_honoured() -> None:
    for order in values("Order"):
        assert set(order) <= {"id", "item", "note"}
        assert set(order["item"]) in ({"kind", "isbn"}, {"kind", "minutes"})


def test_what_cannot_be_honoured_is_said_once_at_start_and_the_simulator_serves_on() -> None:
    spec = {"openapi": "3.0.0", "info": {"title": "contradictions", "version": "1"}, "paths": {
        "/things": {"get": {"operationId": "listThings", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Missing"}}}}}}}},
        "/dogs": {"get": {"operationId": "listDogs", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Dog"}}}}}}}}},
        "components": {"schemas": {"Dog": {"type": "object", "required": ["age"], "properties": {
            "age": {"type": "integer", "minimum": 0, "example": -5},
            "code": {"type": "string", "pattern": "(?<=x)y"}}}}}}
    with Simulator(spec=spec, token=CANARY, speed=0) as sim:
        notes = sim.notes
        assert any("unresolvable $ref '#/components/schemas/Missing'" in n for n in notes)
        assert any(n.endswith("its example -5 breaks its own schema; not used") for n in notes)
        assert any("no string matching its pattern '(?<=x)y' could be made" in n for n in notes)
        dogs = cmldyn.Client(sim.url, CANARY, spec=spec, cache=False).list_dogs()
        assert dogs and all(d.age >= 0 for d in dogs)  # the example that breaks the schema is not used
