"""A corpus of hostile specs, each loaded by `cmldyn --spec FILE ops` in a child process under an
audit hook (file opens, socket connects) and an address-space limit: every one must end with
exit 5 within 2 s and 200 MB, with no connect and no open but the spec file itself. The fan-out
bomb is hostile only to a tool that inlines references: it must load, and building and describing
every operation of it must fit the same bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import FIXTURES, ROOT
from .dashboard import DASHBOARD

CORPUS = sorted(p.name for p in (FIXTURES / "hostile").iterdir())

CHILD = r"""
import io, json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
import cmldyn.cli, cmldyn.spec, cmldyn.output, cmldyn.model, difflib, yaml
from cmldyn.docs import render_doc
from prance.util import resolver
path = sys.argv[1]
roots = tuple({sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(cmldyn.__file__))})
opens, connects = [], [0]
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        name = os.fsdecode(args[0])
        if name != path and not name.startswith(roots):
            opens.append(name)
    elif event == "socket.connect":
        connects[0] += 1
sys.addaudithook(hook)
out, err = io.StringIO(), io.StringIO()
started = time.perf_counter()
code = cmldyn.cli.main(["--spec", path, "ops"], stdout=out, stderr=err,
                       env={"CML_HOST": "http://127.0.0.1:9", "CML_API_KEY": "k"})
if code == 0:  # a spec that loads: build every operation's callable and describe every operation too
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=path)
    for info in api.operations:
        getattr(api, info.name)
        render_doc(api.operation(info.name))
took = time.perf_counter() - started
found = list(opens)
# VmHWM, not ru_maxrss: the latter can carry the parent's peak across fork and exec.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"code": int(code), "seconds": took, "opens": found, "connects": connects[0], "stderr": err.getvalue(),
                  "maxrss_kb": peak}))
"""


def load_in_child(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# Specs that are hostile only to a tool that inlines references: as a graph they are small, and load.
LOADS = {"fanout-bomb.json"}


def check(name: str, path: Path) -> None:
    result = load_in_child(path)
    DASHBOARD.hostile.append((name, result["code"], result["seconds"], result["maxrss_kb"]))
    DASHBOARD.hostile_opens += len(result["opens"])
    DASHBOARD.hostile_connects += result["connects"]
    if name in LOADS:
        assert result["code"] == 0 and result["stderr"] == "", result
    else:
        assert result["code"] == 5, result
        assert result["stderr"].startswith("cmldyn: error: ") and "Traceback" not in result["stderr"]
    assert result["opens"] == [] and result["connects"] == 0, result
    assert result["seconds"] < 2.0, result
    assert result["maxrss_kb"] < 200 * 1024, result


@pytest.mark.parametrize("name", CORPUS)
def test_hostile_spec_is_contained(name: str) -> None:
    check(name, FIXTURES / "hostile" / name)


def test_a_50_mb_spec_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    filler = {"swagger": "2.0", "info": {"title": "huge", "version": "1"}, "paths": {}, "x-filler": "y" * (50 * 2**20)}
    path.write_text(json.dumps(filler))
    check("50 MB spec", path)


def test_a_spec_with_too_many_nodes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        '{"swagger": "2.0", "info": {"title": "many", "version": "1"}, "paths": {}, "x-many": ['
        + ",".join(["[]"] * 1_200_000)
        + "]}"
    )
    check("1.2 M nodes", path)


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 12
