"""Runs last in the fault suite: the canary key must appear nowhere, and every file cmldyn writes
for itself must be private, under umask 022 and 000."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cmldyn.simulator import Simulator

from ..conftest import CANARY, ROOT
from .dashboard import DASHBOARD

# Files a test writes the key into on purpose: the credential store (a profile) and test inputs.
CREDENTIAL_STORES = {"config.toml", ".netrc"}


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_files_are_private_under_any_umask(tmp_path: Path, umask: int) -> None:
    home = tmp_path / "home"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT), "CML_API_KEY": CANARY}
    with Simulator(token=CANARY, speed=0) as sim:
        def run(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "cmldyn", "--host", sim.url, *argv], input=stdin, capture_output=True,
                                  text=True, timeout=60, cwd=ROOT, env=env, preexec_fn=lambda: os.umask(umask))

        assert run("call", "list_projects").returncode == 0  # spec cache
        assert run("--profile", "p", "configure", stdin=CANARY + "\n").returncode == 0  # config
        assert run("repl", stdin="1 + 1\n").returncode == 0
    written = [p for p in home.rglob("*")]
    assert any(p.name == "config.toml" for p in written) and any(p.suffix == ".spec" for p in written)
    for path in written:
        mode = stat.S_IMODE(path.lstat().st_mode)
        DASHBOARD.permission_checks += 1
        private = (mode & 0o077) == 0 and path.lstat().st_uid == os.getuid()
        if not private:
            DASHBOARD.permission_violations += 1
        assert private, (path, oct(mode))


def test_the_canary_appears_nowhere(tmp_path_factory: pytest.TempPathFactory) -> None:
    hits = [text[:80] for text in DASHBOARD.texts if CANARY in text]
    base = tmp_path_factory.getbasetemp()
    for path in base.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name not in CREDENTIAL_STORES:
            try:
                if CANARY.encode() in path.read_bytes():
                    hits.append(str(path))
            except OSError:
                continue
    DASHBOARD.canary_hits = len(hits)
    assert hits == []


def test_spec_load_figures_and_dependency_floors(tmp_path: Path) -> None:
    """Figures for the dashboard (speed is judged by benchmarks/, not asserted here)."""
    import json
    import re
    import time
    from importlib.metadata import version

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    import cmldyn

    from ..conftest import large_spec

    body = json.dumps(large_spec(1000)).encode()
    path = tmp_path / "large.json"
    path.write_bytes(body)
    started = time.perf_counter()
    api = cmldyn.Client("http://127.0.0.1:9", CANARY, spec=str(path))
    findings = api.spec_warnings
    cold = time.perf_counter() - started
    from ..conftest import EchoServer

    server = EchoServer()
    server.spec_bytes = body
    try:
        cache = str(tmp_path / "cache")
        cmldyn.Client(server.url, CANARY, spec=server.url + "/spec.json", cache=cache)
        started = time.perf_counter()
        warm_api = cmldyn.Client(server.url, CANARY, spec=server.url + "/spec.json", cache=cache)
        warm = time.perf_counter() - started
    finally:
        server.close()
    DASHBOARD.spec_load = (cold, warm, len(api.operations))
    assert len(api.operations) == len(warm_api.operations) == 1000 and isinstance(findings, list)
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    below = 0
    checked = 0
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.\-]+)>=([\d.]+)(;.*)?$", requirement)
        assert match, requirement
        if match.group(3) and "3.11" in match.group(3):
            continue
        checked += 1
        have = tuple(int(p) for p in re.findall(r"\d+", version(match.group(1)))[:3])
        want = tuple(int(p) for p in match.group(2).split("."))
        below += have < want
    DASHBOARD.floors = (below, checked)
    assert below == 0
