"""The REPL: evaluation and dot commands as plain functions, the completer on its own,
the prompt through prompt_toolkit's pipe input, and once in a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import cmldyn
from cmldyn.repl.commands import Console, split_filter
from cmldyn.repl.completion import Suggester
from cmldyn.repl.session import PrivateHistory, make_namespace, run_lines, run_prompt

from .conftest import CANARY, ROOT, SPECS, assert_no_canary
from .helpers import Terminal


@pytest.fixture()
def console(api: cmldyn.Client) -> Console:
    return Console(make_namespace(api), secrets=(CANARY,), refresh=api.refresh)


def names(found: list[Any]) -> list[str]:
    return [s.text for s in found]


@pytest.mark.parametrize("source,expected", [
    ("api.list_projects() | projects[].name", ("api.list_projects()", "projects[].name")),
    ("_ | projects[?name=='a|b'].id", ("_", "projects[?name=='a|b'].id")),
    ("f(a | b)", None),
    ("x || y", None),
    ("x |= 3", None),
    ("a | b | c", ("a", "b | c")),
])
def test_split_filter(source: str, expected: tuple[str, str] | None) -> None:
    assert split_filter(source) == expected


def test_python_like_python_i(console: Console) -> None:
    assert console.run("x = 40 + 2").ok
    assert console.run("x").text == "42"
    assert console.run("_ + 1").text == "43"
    block = console.run("total = 0\nfor i in range(4):\n    total += i\n")
    assert block.ok
    assert console.run("total").text == "6"
    assert console.run("import json").ok
    printed = console.run("print('hello')")
    assert printed.text == "hello"
    assert console.run("1 | 2").text == "3"


def test_jmespath_filter_and_last_result(console: Console) -> None:
    out = console.run("api.list_projects() | projects[].name")
    assert out.ok and '"demo"' in out.text
    ids = console.run("_ | projects[?name=='demo'].id")
    assert ids.ok and re.search(r'"[a-z0-9]{4}-', ids.text)


def test_bad_jmespath_shows_a_caret_and_keeps_the_last_result(console: Console) -> None:
    console.run("api.list_projects()")
    kept = console.namespace["_"]
    bad = console.run("_ | projects[.name")
    assert not bad.ok
    lines = bad.text.splitlines()
    assert lines[0].startswith("error: invalid JMESPath at column 10")
    assert lines[2].index("^") == 9
    assert console.namespace["_"] is kept
    assert console.run("_ | projects[0].name").text == '"demo"'


def test_errors_are_one_line_and_the_console_goes_on(console: Console) -> None:
    out = console.run("api.get_project('nope')")
    assert not out.ok and out.text == "error: HTTP 404 for get_project: project not found: nope"
    out = console.run("1/0")
    assert out.text == "error: ZeroDivisionError: division by zero"
    out = console.run("api.list_projects(pagesize=1)")
    assert "did you mean 'page_size'" in out.text and out.text.count("\n") <= 1
    assert console.run("1 +").text.startswith("SyntaxError")
    assert console.run("len(api.list_projects(page_size=3).projects)").text == "3"


def test_request_classes_are_in_scope(console: Console) -> None:
    out = console.run("CreateProjectRequest(name='x', template='Python')")
    assert out.text == "CreateProjectRequest(name='x', template='Python')"
    bad = console.run("CreateProjectRequest(nmae='x')")
    assert "unknown field 'nmae'" in bad.text and "did you mean 'name'" in bad.text


def test_dot_commands(console: Console, tmp_path: Path) -> None:
    ops = console.run(".ops job_run")
    assert ops.text.count("\n") == 3 and "stop_job_run" in ops.text
    assert "Body fields (CreateJobRequest):" in console.run(".help create_job").text
    assert "Fields:" in console.run(".help CreateJobRequest").text
    assert console.run(".output yaml").text == "output: yaml"
    assert console.run("api.list_projects(page_size=1) | projects[0]").text.startswith("id:")
    assert not console.run(".output xml").ok
    assert console.run(".refresh").text.startswith("spec refreshed: 158 operations")
    assert not console.run(".nope").ok
    assert console.run(".exit").exit


def test_save_writes_a_runnable_private_script(console: Console, tmp_path: Path, sim: Any) -> None:
    console.run("projects = api.list_projects(page_size=2)")
    console.run("names = [p.name for p in projects.projects]")
    console.run("api.list_projects() | projects[].name")
    console.run("1/0")
    target = tmp_path / "session.py"
    assert console.run(f".save {target}").text.startswith(f"saved 3 statements to {target}")
    text = target.read_text()
    assert CANARY not in text and "1/0" not in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    proc = subprocess.run(
        [sys.executable, str(target)],
        env={"CML_HOST": sim.url, "CML_API_KEY": CANARY, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo" in proc.stdout


def test_key_never_shown(console: Console) -> None:
    console.namespace["secret"] = CANARY
    for line in ("secret", "print(secret)", "api.transport.token", "raise ValueError(secret)"):
        assert_no_canary(console.run(line).text)


# ------------------------------------------------------------------ completion


@pytest.fixture()
def suggest(console: Console) -> Any:
    suggester = Suggester(lambda: console.namespace, lambda: console.last_operation)
    return suggester.suggest


def test_complete_operations_after_api_dot(suggest: Any) -> None:
    found = suggest("api.list_proj")
    assert names(found)[0] == "list_project_collaborators"  # by name (the exact name would come first)
    assert {"list_project_files", "list_project_collaborators"} <= set(names(found))
    entry = next(s for s in found if s.text == "list_projects")
    assert entry.start == -len("list_proj") and "projects" in entry.meta.lower()


def test_complete_parameters_then_enum_values(suggest: Any, console: Console, echo: Any) -> None:
    found = suggest("api.list_projects(page")
    assert {"page_size=", "page_token="} <= set(names(found))
    assert "integer(int32)" in next(s for s in found if s.text == "page_size=").meta
    required = suggest("api.create_job_run(")
    assert names(required)[:3] == ["body=", "job_id=", "project_id="]
    assert "required" in required[0].meta
    assert "page_token=" not in names(suggest("api.list_projects(page_token='x', page"))
    pets = cmldyn.Client(echo.url, CANARY, spec=SPECS / "petstore-2.0.json")
    console.namespace["pets"] = pets
    console.namespace["api"], saved = pets, console.namespace["api"]
    try:
        assert names(suggest("api.list_pets(limit=3, status=")) == ['"available"', '"pending"', '"sold"']
        assert names(suggest("api.list_pets(status='so")) == ["'sold'"]
    finally:
        console.namespace["api"] = saved


def test_complete_request_class_fields_and_enums(suggest: Any) -> None:
    assert "template=" in names(suggest("CreateProjectRequest(name='x', te"))
    assert names(suggest("UpdateRuntimeStatusRequest(status=")) == ['"ENABLED"', '"DISABLED"', '"DEPRECATED"']
    assert "name=" in names(suggest("api.create_project(na"))


def test_complete_result_fields_after_the_pipe(suggest: Any, console: Console) -> None:
    assert "projects" in names(suggest("api.list_projects() | pro"))
    assert "next_page_token" in names(suggest("api.list_projects() | "))
    assert "name" in names(suggest("api.list_projects() | projects[].na"))
    assert "username" in names(suggest("api.list_projects() | projects[].creator.user"))
    assert "name" in names(suggest("api.list_projects() | projects[?na"))
    assert "status" in names(suggest("api.list_job_runs('p', 'j') | job_runs[].sta"))
    console.run("api.list_runtimes()")
    assert "image_identifier" in names(suggest("_ | runtimes[].image"))


def test_complete_names_attributes_and_dot_commands(suggest: Any, console: Console) -> None:
    assert "CreateProjectRequest" in names(suggest("CreateProj"))
    assert "print" in names(suggest("pri"))
    console.run("p = api.list_projects(page_size=1).projects[0]")
    assert "creator" in names(suggest("p.cre"))
    assert "username" in names(suggest("p.creator.use"))
    assert names(suggest(".he")) == [".help"]
    assert "list_projects" in names(suggest(".help list_pro"))


def test_completion_never_calls_the_api(suggest: Any, fresh_sim: Any) -> None:
    ns_api = cmldyn.Client(fresh_sim.url, CANARY)
    console = Console(make_namespace(ns_api))
    suggester = Suggester(lambda: console.namespace)
    fresh_sim.forget()
    for text in ("api.list_projects().pro", "api.list_projects() | pro", "api.get_project('x').", "api.list_projects(page"):
        suggester.suggest(text)
    assert fresh_sim.seen == []


# ------------------------------------------------------------------ prompt layer


@pytest.fixture()
def pipe() -> Iterator[Any]:
    with create_pipe_input() as inp:
        with create_app_session(input=inp, output=DummyOutput()):
            yield inp


def test_prompt_runs_lines_and_leaves_on_ctrl_d(pipe: Any, console: Console, tmp_path: Path) -> None:
    pipe.send_text("api.list_projects() | projects[].name\r")
    pipe.send_text("for i in range(2):\r    print(i * 10)\r\r")
    pipe.send_text("x = 5\r")
    pipe.send_text("x * 2\r")
    pipe.send_text("\x04")
    out = io.StringIO()
    code = run_prompt(console, out, str(tmp_path / "history"), io.StringIO())
    assert code == 0
    text = out.getvalue()
    assert '"demo"' in text
    assert "0\n10" in text
    assert "\n10\n" in text.replace('"', "") or text.rstrip().endswith("10")


def test_prompt_dot_exit_and_errors_keep_going(pipe: Any, console: Console, tmp_path: Path) -> None:
    pipe.send_text("api.get_project('nope')\r")
    pipe.send_text("1 + 1\r")
    pipe.send_text(".exit\r")
    out = io.StringIO()
    assert run_prompt(console, out, str(tmp_path / "history"), io.StringIO()) == 0
    assert "error: HTTP 404" in out.getvalue() and "\n2\n" in out.getvalue()


def test_history_is_private_and_skips_secrets(pipe: Any, console: Console, tmp_path: Path) -> None:
    history = tmp_path / "data" / "history"
    old = os.umask(0)
    try:
        pipe.send_text("1 + 1\r")
        pipe.send_text(f"key = '{CANARY}'\r")
        pipe.send_text("headers = {'authorization': 'Bearer abc'}\r")
        pipe.send_text(" 2 + 2\r")
        pipe.send_text("3 + 3\r")
        pipe.send_text("\x04")
        from cmldyn.repl.session import open_history

        hist = open_history(str(history), (CANARY,), io.StringIO())
        assert isinstance(hist, PrivateHistory)
        run_prompt(console, io.StringIO(), str(history), io.StringIO())
    finally:
        os.umask(old)
    text = history.read_text()
    assert "+1 + 1" in text and "+3 + 3" in text
    assert CANARY not in text and "Bearer" not in text and "2 + 2" not in text
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700


def test_history_symlink_is_not_followed(pipe: Any, console: Console, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    link_dir = tmp_path / "d"
    link_dir.mkdir(mode=0o700)
    (link_dir / "history").symlink_to(target)
    pipe.send_text("1 + 1\r\x04")
    err = io.StringIO()
    run_prompt(console, io.StringIO(), str(link_dir / "history"), err)
    assert target.read_text() == ""
    assert "history not saved" in err.getvalue()


def test_lines_from_a_pipe(console: Console) -> None:
    source = "api.list_projects() | projects[].name\nfor i in range(2):\n    print(i)\n\nlen(_)\n"
    out = io.StringIO()
    assert run_lines(console, io.StringIO(source), out) == 0
    assert '"demo"' in out.getvalue() and "0\n1" in out.getvalue()
    assert run_lines(console, io.StringIO("api.get_project('nope')\n1\n"), io.StringIO()) == 1


def test_repl_demo_from_a_pipe_subprocess() -> None:
    def repl_demo(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cmldyn", "repl", "--demo"], input=text, capture_output=True,
                              text=True, timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]})

    good = repl_demo("api.list_projects() | projects[].name\n")
    assert good.returncode == 0, good.stderr
    assert '"demo"' in good.stdout
    bad = repl_demo("api.get_project('x')\n")
    assert bad.returncode == 1 and "HTTP 404" in bad.stdout


def test_real_terminal_tab_completion_and_ctrl_d(tmp_path: Path) -> None:
    """In a pty: type a partial parameter name, Tab, run a filtered call; bare help() talks to the terminal;
    hostile lines (bytes that are not UTF-8, `api` rebound, a JMESPath nested too deeply) each cost one
    line; leave with Ctrl-D."""
    term = Terminal(["repl", "--demo"], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, str(ROOT))
    try:
        assert term.wait_for(b">>>")
        term.tab(b"api.list_projects(page_s")
        assert term.wait_for(b"page_size=", 10)
        term.clear()
        term.type(b"2) | projects[].name\r")
        assert term.answered(b'"demo"')
        term.type(b"help()\r")
        assert term.answered(b"help> ", 10), term.screen[-300:]  # its prompt shows, not swallowed
        term.type(b"quit\r")
        for line, answer in ((b"\xff\xfe print(1)\r", b"not valid UTF-8"), (b"api = 5\r.ops job\r", b"list_job_runs"),
                             (b"_ | " + b"!" * 150 + b"a\r", b"nested too deeply"), (b"6*7\r", b"42")):
            term.clear()
            term.type(line)
            assert term.answered(answer, 10), term.screen[-300:]
        assert term.leave() == 0, term.screen[-300:]
    finally:
        term.close()


def test_the_key_is_asked_for_without_echo_when_none_is_given(tmp_path: Path, sim: Any) -> None:
    term = Terminal(["repl", "--host", sim.url], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, str(ROOT))
    try:
        assert term.wait_for(b"(not shown)", 30)
        term.clear()
        term.type(CANARY.encode() + b"\r")
        assert term.wait_for(b">>>", 30), term.screen[-300:]
        assert CANARY.encode() not in term.screen
        assert b"****" not in term.screen  # nothing echoed per character: the key's length does not show
        assert term.wait_for(b"key checked: valid for ", 10)  # checked once at the start, in the background
        term.clear()
        term.type(b"api.list_projects(page_size=1) | projects[0].name\r")
        assert term.answered(b'"demo"')
        assert term.leave() == 0
    finally:
        term.close()


@pytest.mark.parametrize("spec, example", [
    ("cml-api-v2.swagger.json", "api.list_projects() | projects[].name"),
    ("petstore-2.0.json", "api.list_pets() | [].name"),
    ("grpc-gateway-v2.json", "api.list_shelves() | shelves[].name"),
])
def test_the_banner_suggests_a_call_in_the_specs_own_words(spec: str, example: str) -> None:
    from cmldyn.repl.session import banner

    from .conftest import spec_file

    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=spec_file(spec))
    text = banner(api, 0.05)
    assert f"Try: {example}" in text and f"{len(api.operations)} operations" in text


def test_no_host_offers_the_demo_for_any_spec() -> None:
    """The built-in simulator serves any spec, so the hint names --demo for CML's and for others."""
    from cmldyn.cli import main

    err = io.StringIO()
    assert main(["call", "list_projects"], stdout=io.StringIO(), stderr=err, env={}) == 2
    assert "or try --demo" in err.getvalue()
    err = io.StringIO()
    assert main(["--spec", str(SPECS / "petstore-2.0.json"), "call", "list_pets"], stdout=io.StringIO(), stderr=err,
                env={}) == 2
    assert "no host" in err.getvalue() and "or try --demo" in err.getvalue()
    out = io.StringIO()
    assert main(["--spec", str(SPECS / "petstore-2.0.json"), "--demo", "call", "list_pets", "-q", "length(@)"],
                stdout=out, stderr=io.StringIO(), env={}) == 0
    assert int(out.getvalue()) > 0


def test_a_wrong_key_is_said_at_the_start_with_one_request(fresh_sim: Any) -> None:
    from cmldyn.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--host", fresh_sim.url, "--token", "not-the-key-at-all", "repl"], stdout=out, stderr=err,
                stdin=io.StringIO("6*7\n"), env={})
    assert code == 0 and out.getvalue() == "42\n"
    assert err.getvalue().startswith(f"cmldyn: warning: {fresh_sim.url} did not accept the key (HTTP 401")
    assert err.getvalue().count("\n") == 1 and "calls will fail until you start again with another key" in err.getvalue()
    assert [s.path for s in fresh_sim.seen if "validate_key" in s.path] == ["/api/v2/auth/validate_key"]
