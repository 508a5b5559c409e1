"""The words after ``cmldyn call OPERATION`` as a case table (fixtures/cases/callwords.json):
words in, keyword arguments or an error out. Plain data: the parser never sees the network."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cmldyn import errors
from cmldyn.cli.callwords import parse_call_words
from cmldyn.model import ServiceModel
from cmldyn.spec import load_spec

from .conftest import CML_SPEC, FIXTURES

CASES = json.loads((FIXTURES / "cases" / "callwords.json").read_text())
MODEL = ServiceModel(load_spec(CML_SPEC))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_call_words(case: dict[str, Any]) -> None:
    op = MODEL.get(case["op"])
    stdin = io.StringIO(case.get("stdin", ""))
    if "error" in case:
        with pytest.raises(getattr(errors, case["error"]), match=case["match"]):
            parse_call_words(op, case["words"], stdin)
        return
    assert parse_call_words(op, case["words"], stdin) == case["kwargs"]
