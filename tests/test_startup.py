"""What starting costs: `--version`, `--help` and `ops` from the cache import neither requests (nor urllib3)
nor prompt_toolkit nor jmespath, read from sys.modules in a fresh process, so a stray module-level import
fails here; and the package's lazy names still resolve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmldyn.simulator import Simulator

from .conftest import CANARY

HEAVY = ("requests", "urllib3", "prompt_toolkit", "jmespath", "IPython", "mcp")
PROBE = """
import io, json, sys
from cmldyn.cli import main
out = io.StringIO()
try:
    code = main(sys.argv[1:], stdout=out, stderr=io.StringIO())
except SystemExit as done:
    code = done.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.stdin.readline())))
print(json.dumps({"code": code, "heavy": heavy, "out": out.getvalue()[:4000]}))
"""


def probe(*words: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, *words], input=json.dumps(HEAVY) + "\n", capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("words", [["--version"], ["--help"], ["ops", "--help"]])
def test_version_and_help_import_nothing_heavy(words: list[str]) -> None:
    found = probe(*words)
    assert found["heavy"] == [] and found["code"] == 0


def test_ops_from_the_cache_imports_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "HOME": str(tmp_path)}
    with Simulator(token=CANARY, speed=0) as sim:
        first = probe("--host", sim.url, "--token", CANARY, "ops", "job", env=env)  # fetches and caches the spec
        assert first["code"] == 0 and "create_job" in str(first["out"])
    found = probe("--host", sim.url, "--token", CANARY, "--offline", "ops", "job", env=env)
    assert found["code"] == 0 and "create_job" in str(found["out"]) and found["heavy"] == []


def test_the_lazy_names_of_the_package() -> None:
    code = ("import cmldyn, sys; assert 'cmldyn.client' not in sys.modules; "
            "print(cmldyn.Client.__name__, cmldyn.default_client.__name__, cmldyn.rest.ApiException.__name__, "
            "cmldyn.utils.Cursor.__name__, cmldyn.Result.__name__, cmldyn.CMLServiceApi.__name__, "
            "cmldyn.CreateJobRequest.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["Client", "default_client", "ApiError", "Cursor", "Result", "CMLServiceApi",
                                   "CreateJobRequest"], done.stderr


def test_docs_and_signatures_are_made_when_asked_and_read_as_before() -> None:
    import inspect
    import pydoc

    import cmldyn
    from cmldyn.callables import signature
    from cmldyn.docs import render_doc

    api = cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(Path(cmldyn.__file__).parent / "data" /
                                                                  "cml-api-v2.swagger.json"), cache=False)
    built = [getattr(api, name) for name in api.model.operations]
    assert all(fn._doc is None and fn._signature is None for fn in built)  # nothing rendered by building
    fn = api.create_job
    op = api.model.get("create_job")
    assert inspect.signature(fn) == signature(op) and str(inspect.signature(fn)).startswith(
        "(body: 'CreateJobRequest', project_id: 'string', *, name: 'string' = None")
    shown = pydoc.render_doc(fn, renderer=pydoc.plaintext).splitlines()
    assert shown[2] == f"create_job{inspect.signature(fn)}"
    assert [line.strip() for line in shown[3:]] == [line.strip() for line in render_doc(op).splitlines()]
    assert fn.__doc__ == render_doc(op) and fn.__name__ == "create_job" and inspect.isroutine(fn)
    assert hasattr(api.list_projects, "items") and not hasattr(api.get_project, "items")
