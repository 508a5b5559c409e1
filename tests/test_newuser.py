"""What a first-time user meets: the server down with the spec cached, help that gives defaults,
https to a plain-HTTP port, cut table cells, Ctrl-C during --wait, configure checking the key,
a dict given where JSON text is wanted."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cmldyn
from cmldyn.cli.main import main
from cmldyn.cli.parser import build_parser
from cmldyn.errors import ParamError, TransportError
from cmldyn.output import cut, render_table
from cmldyn.simulator import Simulator

from .conftest import CANARY, ROOT, assert_no_canary


def run(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin), env=env if env is not None else {})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def test_server_down_with_the_spec_cached_works_from_the_cache() -> None:
    sim = Simulator(token=CANARY, seed="demo", speed=0).start()
    url = sim.url
    env = {"CML_API_KEY": CANARY}
    assert run(["--host", url, "ops", "project"], env=env)[0] == 0  # caches the spec
    sim.stop()
    code, out, err = run(["--host", url, "ops", "project"], env=env)
    assert code == 0 and "list_projects" in out
    warning = [line for line in err.splitlines() if line]
    assert len(warning) == 1 and "cannot reach the server" in warning[0] and "--offline" in warning[0]
    code, out, err = run(["--host", url, "describe", "get_project"], env=env)
    assert code == 0 and "project_id" in out
    code, out, err = run(["--host", url, "call", "list_projects"], env=env)
    assert code == 3 and "--offline" in err and "Traceback" not in err
    repl = subprocess.run([sys.executable, "-m", "cmldyn", "--host", url, "repl"], input="len(api.operations)\n",
                          env={**os.environ, "CML_API_KEY": CANARY}, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert repl.stdout.strip() == "158" and "cannot reach the server" in repl.stderr
    assert_no_canary(repl.stdout, repl.stderr)


def test_with_nothing_cached_the_hint_names_offline() -> None:
    sim = Simulator(token=CANARY, seed="demo", speed=0).start()
    url = sim.url
    sim.stop()
    code, _, err = run(["--host", url, "ops"], env={"CML_API_KEY": CANARY})
    assert code == 3 and "--offline" in err


@pytest.mark.parametrize("command", ["repl", "sim"])
def test_repl_and_sim_help_give_every_option_a_default(command: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    actions = [a for a in sub.choices[command]._actions if a.option_strings and "-h" not in a.option_strings]
    assert len(actions) >= 8
    for action in actions:
        assert "default" in (action.help or ""), (action.option_strings, action.help)
    done = subprocess.run([sys.executable, "-m", "cmldyn", command, "--help"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.count("default") >= len(actions)


def test_https_to_a_plain_http_port_says_so(sim: Simulator) -> None:
    plain = sim.url.replace("http://", "https://")
    with pytest.raises(TransportError) as caught:
        cmldyn.Client(plain, CANARY, retries=1)
    assert "answered plain HTTP" in caught.value.message and "http://" in caught.value.message
    assert "--ca-cert" not in (caught.value.hint or "")


def test_cells_are_cut_at_a_word_and_never_to_a_shared_prefix() -> None:
    assert cut("List jobs of a project, with filters and sorting and paging", 30) == "List jobs of a project, with…"
    assert cut("short", 30) == "short"
    rows = [{"path": "/api/v2/projects/abc/jobs/runs/" + "x" * 30 + suffix} for suffix in ("first", "second")]
    table = render_table(rows).splitlines()
    assert table[1] != table[2] and "first" in table[1] and "second" in table[2]
    assert table[1].startswith("/api/v2/project") and "…" in table[1]  # an identifier keeps its start and its end


@pytest.mark.parametrize("columns", [60, 100, 200])
def test_a_table_fits_the_terminal_and_says_what_it_left_out_and_that_more_pages_exist(sim: Simulator,
                                                                                         columns: int) -> None:
    from cmldyn.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(columns))
        code = main(["--host", sim.url, "--token", CANARY, "call", "list_runtimes", "--page-size", "3", "-o", "table"],
                    stdout=out, stderr=err, env={})
    assert code == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    table = [line for line in lines if not line.startswith("(")]
    assert len(table) == 4 and all(len(line) <= columns for line in table), lines
    assert table[0].startswith("IMAGE_IDENTIFIER") and table[1].startswith("docker.")  # the start of an image id
    assert re.search(r"python3\.\d+-standard:\S+$|python3\.\d+-standard:\S+\s", table[1])  # ... and its end
    notes = [line for line in lines if line.startswith("(")]
    assert notes[-1].startswith("(3 shown; more pages: --all gathers them, --page-token ") and "TOKEN" not in notes[-1]
    if columns < 200:
        assert notes[0].startswith("(") and "not shown" in notes[0] and "-o json shows them" in notes[0]


def test_ctrl_c_during_wait_says_what_goes_on_and_how_to_wait_again(tmp_path: Path, fresh_sim: Simulator) -> None:
    """The simulator's clock is frozen, so the run never ends: Ctrl-C once the run is started."""
    api = cmldyn.Client(fresh_sim.url, CANARY)
    project = next(p for p in api.list_projects().projects if p.name == "demo").id
    job = api.list_jobs(project).jobs[0].id
    fresh_sim.forget()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CML_API_KEY": CANARY}
    proc = subprocess.Popen([sys.executable, "-m", "cmldyn", "--host", fresh_sim.url, "call", "create_job_run", project,
                             job, "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    end = time.monotonic() + 60
    while not any(s.method == "POST" for s in fresh_sim.seen) and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.5)  # in the waiter's sleep between polls
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopped waiting" in err and f"cmldyn call get_job_run {project} {job} " in err and "--wait" in err
    assert "Traceback" not in err
    assert_no_canary(out, err)


def test_configure_checks_the_key_with_the_server(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(tmp_path / "config.toml"))
    code, out, err = run(["configure", "--host", sim.url], stdin=CANARY + "\n")
    assert code == 0 and "key checked: valid" in out, err
    code, out, err = run(["--profile", "other", "configure", "--host", sim.url], stdin="not-the-key-0000\n")
    assert code == 0 and "did not accept the key" in out and "HTTP 401" in out


def test_a_dict_for_a_json_text_parameter_hints_json_dumps(api: cmldyn.Client) -> None:
    with pytest.raises(ParamError) as caught:
        api.list_projects(search_filter={"name": "demo"})
    assert "json.dumps" in (caught.value.hint or "")


@pytest.mark.parametrize("name, text, message, hint", [
    ("bad.yaml", "openapi: 3.0.0\ninfo:\n  title: x\n   version: 1\npaths: {}\n",
     "spec file {path} is not valid YAML at line 4, column 11: mapping values are not allowed in this context", None),
    ("saved.html", "<!doctype html><html><body>Swagger UI</body></html>",
     "spec file {path} is not JSON (text/html): an HTML page, not a spec",
     "save the spec itself"),
    ("empty.json", '{"swagger": "2.0"}', "{path} declares no operations (its 'paths' is empty or missing)",
     "give the API's full spec"),
])
def test_a_spec_file_that_cannot_serve_says_why_and_exits_5(tmp_path: Path, name: str, text: str, message: str,
                                                           hint: str | None) -> None:
    path = tmp_path / name
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--spec", str(path), "ops"], stdout=out, stderr=err, env={}) == 5
    lines = err.getvalue().splitlines()
    assert lines[0] == "cmldyn: error: " + message.format(path=path), lines
    assert out.getvalue() == ""
    if hint:
        assert lines[1].startswith("hint: " + hint) and "host" not in lines[1]
