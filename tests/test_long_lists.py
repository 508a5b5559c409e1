"""Long list answers are checked column by column when every item conforms; the findings are exactly those of
the item-by-item walk, whatever is wrong and wherever: item 417 of 600 with a wrong type is found by its path."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

import cmldyn
from cmldyn import validator
from cmldyn.contract import check_answer

from .conftest import ROOT


@pytest.fixture(scope="module")
def api() -> cmldyn.Client:
    return cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(ROOT / "cmldyn" / "data" / "cml-api-v2.swagger.json"),
                         cache=False)


def project(i: int) -> dict[str, Any]:
    return {"id": f"p{i:04d}", "name": f"project {i}", "description": "", "visibility": "private",
            "owner": {"username": "ada", "name": "Ada", "email": "ada@example.com"},
            "creator": {"username": "ada", "name": "Ada", "email": "ada@example.com"},
            "created_at": f"2026-01-{1 + i % 28:02d}T10:{i % 60:02d}:00.000Z", "updated_at": "2026-02-01T00:00:00Z",
            "creation_status": "success", "default_engine_type": "ml_runtime", "shared_memory_limit": 64,
            "permissions": {"read": True, "write": True, "admin": False}, "environment": "{}"}


def answer(count: int) -> dict[str, Any]:
    return {"projects": [project(i) for i in range(count)], "next_page_token": ""}


def both_ways(op: Any, data: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    fast = check_answer(op, 200, "application/json", data)
    with monkeypatch.context() as patched:
        patched.setattr(validator, "_COLUMN_MIN", 10**9)  # the item-by-item walk only
        slow = check_answer(op, 200, "application/json", data)
    return fast, slow


def test_item_417_of_600_with_a_wrong_type_is_found(api: cmldyn.Client) -> None:
    op = api.model.get("list_projects")
    data = answer(600)
    assert check_answer(op, 200, "application/json", data) == []
    data["projects"][417]["shared_memory_limit"] = "lots"
    found = check_answer(op, 200, "application/json", data)
    assert [(d.kind, d.path) for d in found] == [("type", "$.projects[417].shared_memory_limit")]


SILENT = {2, 9}  # no field of a CML answer is required: a missing one is no finding (the walk agrees)
MUTATIONS = [
    lambda p: p.__setitem__("name", 5),
    lambda p: p.__setitem__("name", None),
    lambda p: p.pop("id"),
    lambda p: p.__setitem__("surprise", 1),
    lambda p: p.__setitem__("created_at", "yesterday"),
    lambda p: p.__setitem__("shared_memory_limit", 2**40),
    lambda p: p.__setitem__("shared_memory_limit", 1.5),
    lambda p: p.__setitem__("shared_memory_limit", True),
    lambda p: p["owner"].__setitem__("username", ["x"]),
    lambda p: p["owner"].pop("email"),
    lambda p: p.__setitem__("permissions", "all"),
    lambda p: p["permissions"].__setitem__("read", "yes"),
    lambda p: p.__setitem__("environment", {"A": "1"}),
    lambda p: p.__setitem__("owner", None),
]


@pytest.mark.parametrize("mutation", range(len(MUTATIONS)))
def test_the_findings_are_those_of_the_item_walk(api: cmldyn.Client, mutation: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    op = api.model.get("list_projects")
    rng = random.Random(mutation)
    base = answer(60)
    for where in (0, 59, rng.randrange(60)):
        data = copy.deepcopy(base)
        MUTATIONS[mutation](data["projects"][where])
        fast, slow = both_ways(op, data, monkeypatch)
        assert fast == slow, (mutation, where)
        assert bool(slow) == (mutation not in SILENT), (mutation, where)  # a finding, but for the silent ones
    data = copy.deepcopy(base)
    for where in rng.sample(range(60), 5):  # several items at once
        MUTATIONS[rng.randrange(len(MUTATIONS))](data["projects"][where])
    fast, slow = both_ways(op, data, monkeypatch)
    assert fast == slow and json.dumps(data)  # the answer itself was not changed by checking it
