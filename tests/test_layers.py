"""Imports point down (ARCHITECTURE.md): read each module's imports with ast and fail on an upward one.

A unit is a module of cmldyn/ or one of its packages (cli, repl, simulator). Every unit is
listed here with what it may import, so a new module has to be placed in the layers on purpose.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cmldyn"
PACKAGES = ("amp", "cli", "compat", "mcp", "repl", "simulator", "testing", "workflows")

# What each unit may import from cmldyn (besides itself), lowest layer first.
ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "errors": set(),
    "naming": set(),
    "jsonvalue": {"errors"},
    "storage": {"errors"},
    "config": {"errors", "storage"},
    "cache": {"errors", "storage"},
    "settings": {"errors", "config"},
    "prescan": {"errors", "jsonvalue"},
    "schema": {"errors", "jsonvalue", "prescan"},
    "validator": {"errors", "schema"},
    "spec": {"errors", "jsonvalue", "prescan", "schema"},
    "security": {"jsonvalue", "prescan"},
    "model": {"errors", "jsonvalue", "naming", "schema", "security", "spec"},
    "docs": {"jsonvalue", "schema", "model"},
    "explain": {"docs", "errors", "model", "schema"},
    "stubs": {"client", "errors", "jsonvalue", "model", "schema"},  # client: its member names; model for types
    "request": {"errors", "jsonvalue", "model", "schema", "validator"},
    "results": {"display", "errors", "jsonvalue", "schema"},
    "display": {"jsonvalue", "output"},
    "classes": {"errors", "jsonvalue", "schema", "spec"},
    "credentials": {"errors", "security"},
    "transport": {"_version", "credentials", "errors", "request", "security", "settings", "wire"},
    "filtering": {"errors", "jsonvalue"},
    "paginate": {"errors", "results"},
    "waiter": {"errors", "results"},
    "output": {"errors", "jsonvalue"},
    "export": {"_version", "errors", "jsonvalue", "storage", "transport", "wire"},  # transport for types
    "wire": {"credentials", "errors", "request", "security"},
    "loader": {"_version", "cache", "errors", "model", "results", "spec", "transport"},
    "contract": {"errors", "jsonvalue", "model", "schema", "validator"},
    "crawl": {"client", "contract", "errors", "jsonvalue", "model", "naming"},  # client only under TYPE_CHECKING
    "callables": {"display", "docs", "model", "paginate", "schema"},
    "extras": {"docs", "errors", "request"},
    "client": {"cache", "callables", "contract", "display", "errors", "export", "extras", "jsonvalue", "loader", "model",
               "paginate", "request", "results", "schema", "classes", "settings", "spec", "transport", "waiter", "workflows"},
    "compat": {"classes", "client", "errors", "paginate", "settings"},
    "livevalues": {"client", "errors", "jsonvalue", "model", "naming", "storage"},  # client, model only under TYPE_CHECKING
    "__init__": {"_version", "classes", "client", "compat", "errors", "results"},
    "repl": {"_version", "client", "contract", "docs", "errors", "explain", "filtering", "jsonvalue", "livevalues",
             "output", "results", "schema", "classes", "settings",
             "storage", "model"},
    "cli": {"_version", "cache", "client", "compat", "config", "contract", "crawl", "credentials", "docs", "errors", "export",
            "explain", "filtering", "stubs",
            "jsonvalue", "livevalues", "loader", "mcp", "model", "output", "paginate", "repl", "schema",
            "settings", "simulator", "spec", "storage", "transport", "workflows", "amp"},
    "simulator": {"errors", "jsonvalue", "naming", "prescan", "schema", "security", "spec", "storage", "validator"},
    "mcp": {"_version", "client", "errors", "filtering", "jsonvalue", "model", "output", "paginate", "schema"},
    "__main__": {"cli"},
    "workflows": {"errors", "jsonvalue"},
    "amp": {"errors", "jsonvalue", "storage", "workflows"},
    "testing": {"client", "compat", "errors", "naming", "results", "settings", "simulator", "transport"},
}
THIRD_PARTY_HOMES = {"IPython": {"display"}, "pandas": {"results"}, "pytest": {"testing"},
                     "prance": {"spec"},
                     "yaml": {"amp", "output", "spec"},
                     "requests": {"transport"}, "urllib3": {"transport"}, "jmespath": {"filtering"},
                     "prompt_toolkit": {"repl"}, "mcp": {"mcp", "cli"}, "mcp_types": {"mcp"}, "anyio": {"mcp"},
                     "uvicorn": {"mcp"}, "jsonschema": {"mcp"}}


def unit_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if rel.parts[0] in PACKAGES else rel.stem


def cmldyn_imports(path: Path, *, runtime_only: bool = False) -> tuple[set[str], set[str]]:
    """(cmldyn units imported, third-party top-level packages imported) by one file."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(n) for n in ast.walk(node))
    ours, theirs = set(), set()
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[: len(parts) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                if node.module is None:
                    ours.update(".".join([*target[1:], alias.name]) for alias in node.names)
                else:
                    ours.add(".".join(target[1:]))
            elif node.module:
                (ours if node.module.startswith("cmldyn") else theirs).add(
                    node.module.removeprefix("cmldyn.").removeprefix("cmldyn")
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                (ours if alias.name.startswith("cmldyn") else theirs).add(
                    alias.name.removeprefix("cmldyn.").removeprefix("cmldyn")
                )
    return {o.split(".")[0] for o in ours if o}, {t.split(".")[0] for t in theirs}


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_placed_in_the_layers() -> None:
    assert {unit_of(p) for p in SOURCES} <= set(ALLOWED), sorted({unit_of(p) for p in SOURCES} - set(ALLOWED))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_only_downwards(path: Path) -> None:
    unit = unit_of(path)
    ours, _ = cmldyn_imports(path)
    assert ours - {unit} <= ALLOWED[unit], f"{unit} imports {sorted(ours - {unit} - ALLOWED[unit])}"


def test_the_allowed_imports_have_no_cycle() -> None:
    """Ignoring imports made only for type checking, the units form a DAG: there is a 'down'."""
    runtime: dict[str, set[str]] = {u: set() for u in ALLOWED}
    for path in SOURCES:
        ours, _ = cmldyn_imports(path, runtime_only=True)
        runtime[unit_of(path)] |= ours - {unit_of(path)}
    done: set[str] = set()

    def visit(unit: str, trail: tuple[str, ...]) -> None:
        assert unit not in trail, " -> ".join((*trail, unit))
        if unit in done:
            return
        for below in runtime.get(unit, ()):
            visit(below, (*trail, unit))
        done.add(unit)

    for unit in runtime:
        visit(unit, ())


def module_graph() -> dict[str, set[str]]:
    """Every module of cmldyn (``cmldyn.cli.call``) and the modules it imports from cmldyn, counting every
    import: at the top, inside functions and under TYPE_CHECKING alike."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p for p in SOURCES}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + (node.module.split(".") if node.module else []))
                elif node.module and node.module.split(".")[0] == "cmldyn":
                    source = node.module
                else:
                    continue
                # `from . import x` names a module; `from .x import y` names x (or x.y when y is a module)
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "cmldyn"]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def test_no_two_modules_import_each_other_even_through_others() -> None:
    """The import graph of modules (not only of the units above) has no circle: within cli/ and the
    simulator too, and counting imports made for type checking or inside functions. A circle is named."""
    graph = module_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[str] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for below in sorted(graph[name]):
            if state.get(below) == 1:
                circles.append(" -> ".join(trail[trail.index(below):] + [below]))
            elif below not in state:
                visit(below, [*trail, below])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_circle_check_sees_a_circle() -> None:
    """The check above is not vacuous: the graph holds the edges it should (parser below main, docs above
    model, the engine below the profiles)."""
    graph = module_graph()
    assert "cmldyn.cli.parser" in graph["cmldyn.cli.main"] and "cmldyn.cli.main" not in graph["cmldyn.cli.parser"]
    assert "cmldyn.model" in graph["cmldyn.docs"] and "cmldyn.docs" not in graph["cmldyn.model"]
    assert "cmldyn.simulator.engine" in graph["cmldyn.simulator.profiles.generic"]
    assert not any(m.startswith("cmldyn.simulator.profiles") for m in graph["cmldyn.simulator.engine"])


def test_simulator_imports_nothing_from_the_client() -> None:
    """Only the document layer is shared: the spec's checks, the schema views and validator, the
    security schemes as plain data, the spelling rules (naming), and what they stand on; never the
    model, requests or transport. A state file needs the errors, the strict JSON reader and masking
    (jsonvalue) and private files (storage): plain helpers, no client among them."""
    shared = {"naming", "spec", "schema", "security", "validator", "errors", "jsonvalue", "storage"}
    for path in (PACKAGE / "simulator").rglob("*.py"):
        ours, _ = cmldyn_imports(path)
        assert ours <= {"simulator"} | shared, (path.name, ours)
    below = set().union(*(ALLOWED[unit] for unit in shared)) | shared
    assert below <= {"naming", "spec", "schema", "security", "validator", "prescan", "jsonvalue", "errors", "storage"}


def test_each_third_party_library_has_one_home() -> None:
    for path in SOURCES:
        if "simulator" in path.parts:
            continue
        _, theirs = cmldyn_imports(path)
        for library, homes in THIRD_PARTY_HOMES.items():
            if library in theirs:
                assert unit_of(path) in homes, f"{path.name} imports {library}"


def test_no_module_reads_another_objects_underscore_attributes() -> None:
    """``x._name`` only on ``self``/``cls`` (or an object of the same class, inside that class):
    nothing outside client.py reaches into a Client, nothing reaches into anything else's privates."""
    own_class = {("classes.py", "type(self)._fields"), ("results.py", "other._data")}
    public = {"os._exit"}  # the standard library's documented name, not an object's private attribute
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                if (path.name, ast.unparse(node)) in own_class or ast.unparse(node) in public:
                    continue
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_call_does_not_import_prompt_toolkit() -> None:
    code = (
        "import sys, cmldyn.cli.parser; cmldyn.cli.parser.build_parser(); "
        "print('prompt_toolkit' in sys.modules, 'cmldyn.simulator' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["False", "False"]


def test_a_get_without_refs_in_its_parameters_never_imports_prance(sim) -> None:  # type: ignore[no-untyped-def]
    """The CLI's hot path: list_projects piped to JSON resolves nothing, so prance stays unloaded."""
    from .conftest import CANARY

    code = (
        "import io, json, sys; from cmldyn.cli import main; out = io.StringIO(); "
        f"rc = main(['--host', {sim.url!r}, '--token', {CANARY!r}, 'call', 'list_projects', '-q', 'projects[0].name'], "
        "stdout=out, env={}); "
        "print(rc, json.loads(out.getvalue()), 'prance' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["0", "demo", "False"], done.stderr


def test_no_source_file_is_over_600_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 600}
    assert long == {}


def test_every_public_module_has_a_sorted_all() -> None:
    """``__all__`` in every public module (not ``_version``, ``__main__``), sorted, naming what exists."""
    import importlib

    missing, unsorted, dangling = [], [], []
    for path in SOURCES:
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if rel.name.startswith("_") and rel.name != "__init__":
            continue
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None)
        if names is None:
            missing.append(name)
            continue
        if list(names) != sorted(names):
            unsorted.append(name)
        dangling += [f"{name}.{n}" for n in names if not hasattr(module, n)]
    assert (missing, unsorted, dangling) == ([], [], [])


def test_a_local_spec_never_imports_the_http_library() -> None:
    """ops and describe from a file (and completion from the cache) send nothing: requests stays unloaded."""
    from .conftest import CML_SPEC

    code = ("import io, sys; from cmldyn.cli import main; out = io.StringIO(); "
            f"rc = main(['--spec', {str(CML_SPEC)!r}, 'describe', 'list_projects'], stdout=out, env={{}}); "
            "print(rc, 'requests' in sys.modules, 'urllib3' in sys.modules, 'Command line:' in out.getvalue())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["0", "False", "False", "True"], done.stderr
