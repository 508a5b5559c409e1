"""Imports point down (STYLE.md): read each module's imports with ast and fail on an upward one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cmldyn"

# What each client module may import from cmldyn (besides itself).
ALLOWED = {
    "errors": set(),
    "jsonvalue": {"errors"},
    "_version": set(),
    "spec": {"jsonvalue", "errors"},
    "model": {"errors", "spec"},
    "request": {"jsonvalue", "errors", "model"},
    "schemas": {"jsonvalue", "errors", "model", "spec"},
    "transport": {"errors", "request", "_version"},
    "results": {"jsonvalue", "errors", "model"},
    "filtering": {"jsonvalue", "errors", "results"},
    "paginate": {"errors", "results"},
    "waiter": {"errors", "results"},
    "compat": {"client"},
    "rest": {"errors"},
    "utils": {"paginate"},
    "output": {"jsonvalue", "errors", "results"},
    "client": {"jsonvalue", "_version", "errors", "spec", "model", "request", "transport", "results", "schemas", "paginate", "waiter", "cache"},
    "cache": {"errors", "storage"},
    "storage": {"errors"},
    "config": {"errors", "storage"},
    "__init__": {"_version", "client", "compat", "errors", "rest", "results", "schemas", "utils"},
    "cli": {"_version", "errors", "client", "model", "filtering", "output", "paginate", "simulator", "repl", "cache",
            "config", "transport"},
    "__main__": {"cli"},
}
THIRD_PARTY_HOMES = {"prance": {"spec"}, "requests": {"transport"}, "jmespath": {"filtering"}, "prompt_toolkit": {"repl"}}


def cmldyn_imports(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text())
    ours, theirs = set(), set()
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[: len(parts) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                if node.module is None:
                    for alias in node.names:
                        ours.add(".".join(target[1:] + [alias.name]))
                else:
                    ours.add(".".join(target[1:]))
            elif node.module:
                (ours if node.module.startswith("cmldyn") else theirs).add(node.module.removeprefix("cmldyn.").removeprefix("cmldyn"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                (ours if alias.name.startswith("cmldyn") else theirs).add(alias.name.removeprefix("cmldyn.").removeprefix("cmldyn"))
    return {o for o in ours if o}, {t.split(".")[0] for t in theirs}


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_client_modules_import_only_downwards(module: str) -> None:
    ours, _ = cmldyn_imports(PACKAGE / f"{module}.py")
    top = {o.split(".")[0] for o in ours}
    assert top <= ALLOWED[module] | {module}, f"{module} imports {sorted(top - ALLOWED[module])}"


def test_simulator_imports_nothing_from_the_client() -> None:
    for path in (PACKAGE / "simulator").glob("*.py"):
        ours, _ = cmldyn_imports(path)
        assert all(o.startswith("simulator") for o in ours), (path.name, ours)


def test_nothing_in_the_client_imports_the_simulator_except_the_cli() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "simulator" in path.parts or path.name == "cli.py":
            continue
        ours, _ = cmldyn_imports(path)
        assert not any(o.startswith("simulator") for o in ours), path


def test_each_third_party_library_has_one_home() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "simulator" in path.parts:
            continue
        _, theirs = cmldyn_imports(path)
        module = path.stem if path.parent == PACKAGE else path.parent.name
        for library, homes in THIRD_PARTY_HOMES.items():
            if library in theirs:
                assert module in homes, f"{path.name} imports {library}"


def test_call_does_not_import_prompt_toolkit() -> None:
    import subprocess
    import sys

    code = "import sys, cmldyn.cli; cmldyn.cli.build_parser(); print('prompt_toolkit' in sys.modules, 'cmldyn.simulator' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["False", "False"]


def test_a_get_without_refs_in_its_parameters_never_imports_prance(sim) -> None:  # type: ignore[no-untyped-def]
    """The CLI's hot path: list_projects piped to JSON resolves nothing, so prance stays unloaded."""
    from .conftest import CANARY

    code = ("import io, json, sys; from cmldyn.cli import main; out = io.StringIO(); "
            f"rc = main(['--host', {sim.url!r}, '--token', {CANARY!r}, 'call', 'list_projects', '-q', 'projects[0].name'], stdout=out, env={{}}); "
            "print(rc, json.loads(out.getvalue()), 'prance' in sys.modules)")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["0", "demo", "False"], done.stderr

