"""Typed stubs from the spec: mypy --strict (and pyright, where it runs) finds nothing wrong in realistic
scripts and reports each planted mistake, for the CML spec and a non-CML one; a changed spec makes the stubs
stale for --check and for one warning."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmldyn.cli import main

from .conftest import ROOT, spec_file

SCRIPTS = ROOT / "fixtures" / "stub-scripts"
CML_SPEC = str(ROOT / "cmldyn" / "data" / "cml-api-v2.swagger.json")
PETS = str(spec_file("petstore-3.0.yaml"))


def make_stubs(spec: str, where: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--spec", spec, "stubs", "--out", str(where / "typings")], stdout=out, stderr=err, env={})
    assert code == 0, err.getvalue()
    return out.getvalue()


def mypy(where: Path, *scripts: str) -> list[str]:
    for script in scripts:
        shutil.copy(SCRIPTS / script, where / script)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary",
                           "--cache-dir", os.devnull, *scripts], cwd=where, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MYPYPATH": str(where / "typings")})
    return done.stdout.splitlines()


def marks(script: str) -> set[tuple[int, str]]:
    lines = (SCRIPTS / script).read_text(encoding="utf-8").splitlines()
    return {(n, m.group(1)) for n, line in enumerate(lines, start=1) if (m := re.search(r"# error: ([\w-]+)", line))}


def reported(lines: list[str], script: str) -> set[tuple[int, str]]:
    found = set()
    for line in lines:
        m = re.match(rf"{re.escape(script)}:(\d+): error: .*\[([\w-]+)\]$", line)
        if m:
            found.add((int(m.group(1)), m.group(2)))
    return found


@pytest.fixture(scope="module")
def cml_stubs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("cml-stubs")
    said = make_stubs(CML_SPEC, where)
    assert "158 operations" in said and "pyright and Pylance read ./typings" in said
    return where


def test_realistic_cml_scripts_check_clean_and_each_mistake_is_reported(cml_stubs: Path) -> None:
    lines = mypy(cml_stubs, "cml_good.py", "cml_bad.py", "cml_reveal.py")
    assert [line for line in lines if line.startswith("cml_good.py")] == []
    assert reported(lines, "cml_bad.py") == marks("cml_bad.py") and len(marks("cml_bad.py")) == 4
    assert any("did you mean \"page_size\"" in line for line in lines)
    revealed = [line.split('Revealed type is "', 1)[1].rstrip('"') for line in lines
                if line.startswith("cml_reveal.py") and "Revealed type" in line]
    assert revealed[0] in ("str", "builtins.str")  # how mypy spells it differs between versions
    assert revealed[1] == "typing.Iterator[cmldyn._workspace.Job]"
    assert revealed[2].startswith("Literal['APPLICATION_UNKNOWN'") and "'APPLICATION_RUNNING'" in revealed[2]
    assert revealed[3] in ("float", "builtins.float")


def test_a_non_cml_spec_too(tmp_path: Path) -> None:
    make_stubs(PETS, tmp_path)
    lines = mypy(tmp_path, "pets_good.py", "pets_bad.py")
    assert [line for line in lines if line.startswith("pets_good.py")] == []
    assert reported(lines, "pets_bad.py") == marks("pets_bad.py") and len(marks("pets_bad.py")) == 4


def test_a_changed_spec_makes_the_stubs_stale_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_stubs(PETS, tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["--spec", PETS, "stubs", "--check"], stdout=io.StringIO(), stderr=io.StringIO(), env={}) == 0
    changed = tmp_path / "pets-v2.yaml"
    changed.write_text(Path(PETS).read_text(encoding="utf-8").replace("List pets", "List every pet"), encoding="utf-8")
    err = io.StringIO()
    assert main(["--spec", str(changed), "stubs", "--check"], stdout=io.StringIO(), stderr=err, env={}) == 1
    assert "stale" in err.getvalue()
    warned = []
    for _ in range(2):
        err = io.StringIO()
        assert main(["--spec", str(changed), "ops"], stdout=io.StringIO(), stderr=err, env={}) == 0
        warned.append("made from another spec" in err.getvalue())
    assert warned == [True, False]  # once per change
    make_stubs(str(changed), tmp_path)
    assert main(["--spec", str(changed), "stubs", "--check"], stdout=io.StringIO(), stderr=io.StringIO(), env={}) == 0
    (tmp_path / "typings" / "cmldyn" / "_workspace.pyi").unlink()
    err = io.StringIO()
    assert main(["--spec", PETS, "stubs", "--check"], stdout=io.StringIO(), stderr=err, env={}) == 1
    assert "no stubs" in err.getvalue()


def _pyright() -> list[str] | None:
    found = shutil.which("pyright") or str(Path(sys.executable).with_name("pyright"))
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [found] if done.returncode == 0 else None


def test_pyright_agrees(cml_stubs: Path) -> None:
    pyright = _pyright()
    if pyright is None:
        pytest.skip("pyright cannot run here (it needs node and the npm registry)")
    for script in ("cml_good.py", "cml_bad.py"):
        shutil.copy(SCRIPTS / script, cml_stubs / script)
    done = subprocess.run([*pyright, "cml_good.py", "cml_bad.py"], cwd=cml_stubs, capture_output=True, text=True,
                          timeout=300)
    errors = [line for line in done.stdout.splitlines() if " - error: " in line]
    assert not [e for e in errors if "cml_good.py" in e]
    lines = {int(m.group(1)) for e in errors if (m := re.search(r"cml_bad\.py:(\d+):", e))}
    assert lines == {n for n, _ in marks("cml_bad.py")}
