"""Nothing typed ends the REPL: hostile lines, generated lines, JMESPath past its bounds, ``.save``
onto what it must not touch. Each line runs against the shared simulator through the real client;
the CLI's ``-q`` with the same expressions exits 2."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cmldyn
from cmldyn.cli import main
from cmldyn.filtering import MAX_LENGTH, MAX_NESTING, compile_expression
from cmldyn.repl.commands import Console
from cmldyn.repl.session import make_namespace, run_lines

from .conftest import CANARY, ROOT, assert_no_canary

DEEP = "x = []\nfor i in range(5000):\n    x = [x]\n"

# JMESPath that used to blow the stack or the memory of the process.
BOMBS = {
    "parens": "(" * 5000,
    "or-chain": "a || " * 1000 + "a",
    "nested-filters": "a[?" * 2000 + "b" + "]" * 2000,
    "pipe-chain-1MB": "a | " * 250_000 + "a",
    "huge-index": "projects[" + "9" * 10_000 + "]",
    "long-number": "projects[" + "9" * 4400 + "]",
    "minus-signs": "-" * 200_000,
    "nots": "!" * 3000 + "a",
}

# Each used to end the session ("cmldyn: error: unexpected X" and exit); now one error, and on.
HOSTILE = {
    "api-rebound": "api = 5\n.ops job\n.help list_projects\n.drift",
    "repr-raises": "class R:\n    def __repr__(self):\n        raise ValueError('no repr')\n\nR()",
    "str-raises": "class E(Exception):\n    def __str__(self):\n        raise ValueError('no str')\n\nraise E()",
    "not-utf8": "\udcff\udcfe print(1)",
    **{f"jmespath-{name}": f"api.list_projects() | {text}" for name, text in BOMBS.items()},
    "deep-value-filtered": DEEP + "\nx | [0]",
    "deep-value-shown": DEEP + "\nx",
    "save-nul": ".save a\x00b",
}


@pytest.fixture()
def console(api: cmldyn.Client) -> Console:
    return Console(make_namespace(api), secrets=(CANARY,), refresh=api.refresh)


def run(console: Console, text: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run_lines(console, io.StringIO(text + "\nprint('still here')\n"), out)
    return code, out.getvalue()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_line_is_one_error_and_the_next_line_runs(console: Console, name: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, text = run(console, HOSTILE[name])
    lines = text.splitlines()
    assert lines[-1] == "still here", text[-500:]
    errors = [line for line in lines if line.startswith("error:")]
    if name == "api-rebound":  # dot commands go on with the session's client, and say so
        assert code == 0 and "list_job_runs" in text and "`api` holds int now" in text
    else:
        assert code == 1 and len(errors) == 1, text[-500:]
    assert "Traceback" not in text
    assert_no_canary(text)


@pytest.mark.parametrize("name, expected", [
    ("repr-raises", "error: cannot show the value: ValueError: no repr"),
    ("str-raises", "error: E: (its message cannot be shown: str() raised ValueError)"),
    ("not-utf8", "error: the line is not valid UTF-8 (byte 0xff at column 1); nothing was run"),
    ("jmespath-parens", "error: JMESPath expression nested too deeply (more than 100 levels)"),
    ("jmespath-pipe-chain-1MB", "error: JMESPath expression too long: 1,000,001 characters (the limit is 10,000)"),
    ("jmespath-huge-index", "error: JMESPath expression too long"),
    ("jmespath-long-number", "error: a number in the JMESPath expression is too large"),
    ("deep-value-filtered", "error: the value is too deeply nested to filter"),
    ("save-nul", "error: not saved: a file name cannot hold a NUL character (a\\x00b)"),
])
def test_the_error_says_what_went_wrong(console: Console, name: str, expected: str) -> None:
    _, text = run(console, HOSTILE[name])
    assert any(line.startswith(expected) for line in text.splitlines()), text[-400:]


def test_invalid_utf8_on_a_real_pipe() -> None:
    done = subprocess.run([sys.executable, "-m", "cmldyn", "repl", "--demo"], input=b"\xff\xfe print(1)\nprint(6*7)\n",
                          capture_output=True, timeout=60, cwd=ROOT)
    assert done.stdout.decode().splitlines()[-1] == "42", done.stderr
    assert b"not valid UTF-8 (byte 0xff" in done.stdout and b"Traceback" not in done.stderr


@pytest.mark.parametrize("name", list(BOMBS))
def test_the_cli_exits_2_on_the_same_expressions(sim: Any, name: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--host", sim.url, "--token", CANARY, "call", "list_projects", "-q", BOMBS[name]],
                stdout=out, stderr=err, env={})
    assert code == 2, err.getvalue()[-300:]
    first = err.getvalue().splitlines()[0]
    assert first.startswith("cmldyn: error: ") and "unexpected" not in first
    assert out.getvalue() == "" and len(first) < 400


def test_the_bounds_are_where_the_expression_enters() -> None:
    compile_expression("a" * MAX_LENGTH)
    compile_expression("(" * MAX_NESTING + "a" + ")" * MAX_NESTING)
    with pytest.raises(cmldyn.FilterError, match="too long"):
        compile_expression("a" * (MAX_LENGTH + 1))
    with pytest.raises(cmldyn.FilterError, match="nested too deeply"):
        compile_expression("(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1))


# Lines made of the REPL's own pieces: calls, filters (good and broken), dot commands, Python, junk.
_WORD = st.sampled_from(["api", "_", "projects", "name", "id", "x", "[0]", "[]", "|", "||", "&&", "?", "(", ")", "[",
                         "]", "{", "}", ".", ",", "'", '"', "`", "@", "!", "==", "-", "*", "9" * 30, "\\", "\x1b", "\x00",
                         "\udcff", "é", "\u202e", " "])
_JUNK = st.lists(_WORD, max_size=25).map("".join)
_LINES = st.one_of(
    _JUNK,
    _JUNK.map(lambda s: f"api.list_projects(page_size=2) | {s}"),
    _JUNK.map(lambda s: f"_ | {s}"),
    st.tuples(st.sampled_from([".ops", ".help", ".output", ".drift", ".tb", ".save", ".save!", ".nope", "."]), _JUNK)
    .map(lambda t: f"{t[0]} {t[1]}"),
    _JUNK.map(lambda s: f"api.get_project({s!r})"),
    st.text(max_size=40).filter(lambda s: "exit" not in s and "quit" not in s and "help" not in s),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=_LINES)
def test_no_generated_line_ends_the_repl(console: Console, line: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = console.run(line)
    assert not outcome.exit
    assert console.run("6 * 7").text == "42"


def test_yaml_shows_a_lone_value_without_an_end_marker(console: Console) -> None:
    console.run(".output yaml")
    assert console.run("'some text' | length(@)").text == "9"
    assert console.run("'text'").text == "'text'"


def test_bare_help_with_piped_input_says_how_to_ask(console: Console) -> None:
    outcome = console.run("help()")
    assert outcome.ok and "help(api.create_job)" in outcome.text


# ---------------------------------------------------------------- .save


def test_save_writes_a_new_private_file_and_names_the_python_to_run_it(console: Console, tmp_path: Path) -> None:
    console.run("api.list_projects(page_size=1) | projects[0].name")
    target = tmp_path / "session.py"
    outcome = console.run(f".save {target}")
    assert outcome.ok, outcome.text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sys.executable in outcome.text and "replay.filtered" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["session.py"]  # no temporary file left


def test_save_refuses_an_existing_file_unless_asked(console: Console, tmp_path: Path) -> None:
    target = tmp_path / "mine.py"
    target.write_text("precious\n")
    refused = console.run(f".save {target}")
    assert not refused.ok and "already exists; .save! FILE replaces it" in refused.text
    assert target.read_text() == "precious\n"
    replaced = console.run(f".save! {target}")
    assert replaced.ok and "replay.connect" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", [".save", ".save!"])
def test_save_never_follows_a_symbolic_link(console: Console, tmp_path: Path, command: str) -> None:
    target = tmp_path / "target.txt"
    target.write_text("untouched\n")
    link = tmp_path / "link.py"
    os.symlink(target, link)
    outcome = console.run(f"{command} {link}")
    assert not outcome.ok and "symbolic link" in outcome.text
    assert target.read_text() == "untouched\n" and link.is_symlink()
    dangling = tmp_path / "dangling.py"
    os.symlink(tmp_path / "nowhere.txt", dangling)
    assert not console.run(f"{command} {dangling}").ok
    assert not (tmp_path / "nowhere.txt").exists()
