"""The command line in-process through main(argv, stdout, stderr), plus real entry-point runs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from cmldyn.cli import main
from cmldyn.simulator import Simulator

from .conftest import CANARY, CML_SPEC, ROOT, SPECS, assert_no_canary, free_port


def run(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin), env=env if env is not None else {})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("hint: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("cmldyn: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture()
def g(sim: Simulator) -> list[str]:
    return ["--host", sim.url, "--token", CANARY]


def test_done_when_page_size_and_query(g: list[str]) -> None:
    code, out, err = run(g + ["call", "list_projects", "--page-size", "2", "-q", "projects[].name"])
    assert code == 0, err
    names = json.loads(out)
    assert isinstance(names, list) and len(names) == 2


def test_all_follows_every_page(g: list[str], sim: Simulator) -> None:
    code, out, _ = run(g + ["call", "list_runtimes", "--all", "--page-size", "3", "-q", "runtimes[].image_identifier"])
    assert code == 0
    assert len(json.loads(out)) == 16
    code, out, _ = run(g + ["call", "list_projects", "--all", "-q", "length(projects)"])
    assert json.loads(out) == len(sim.workspace.store("projects"))


def test_environment_supplies_host_and_key(sim: Simulator) -> None:
    code, out, err = run(
        ["call", "list_projects", "page_size=1", "-q", "projects[0].name"], env={"CML_HOST": sim.url, "CML_API_KEY": CANARY}
    )
    assert code == 0, err
    assert json.loads(out) == "demo"


def test_cml_session_variables(sim: Simulator) -> None:
    env = {"CDSW_API_URL": sim.url + "/api/v1", "CDSW_APIV2_KEY": CANARY}
    code, out, _ = run(["call", "list_projects", "--page-size=1", "-q", "length(projects)"], env=env)
    assert code == 0 and json.loads(out) == 1


def test_body_from_fields_json_values_file_and_stdin(fresh_sim: Simulator, tmp_path: Any) -> None:
    g = ["--host", fresh_sim.url, "--token", CANARY]
    code, out, err = run(g + ["call", "create_project", "name=from-fields", "template=Python", "shared_memory_limit:=64"])
    assert code == 0, err
    assert json.loads(out)["name"] == "from-fields"
    assert json.loads(fresh_sim.seen[-1].body)["shared_memory_limit"] == 64
    body_file = tmp_path / "p.json"
    body_file.write_text(json.dumps({"name": "from-file"}))
    assert run(g + ["call", "create_project", "--body", f"@{body_file}"])[0] == 0
    code, out, _ = run(g + ["call", "create_project", "--body", "-", "-q", "name"], stdin='{"name": "from-stdin"}')
    assert code == 0 and json.loads(out) == "from-stdin"


def test_path_values_positionally_and_as_options(g: list[str], sim: Simulator) -> None:
    pid = next(p["id"] for p in sim.workspace.store("projects").values() if p["name"] == "demo")
    code, out, _ = run(g + ["call", "list_jobs", pid, "-q", "jobs[].name"])
    assert code == 0 and "nightly-train" in json.loads(out)
    code, out, _ = run(g + ["call", "get_project", "--project-id", pid, "-o", "yaml"])
    assert code == 0 and "name: demo" in out


def test_dry_run_redacts_and_sends_nothing(fresh_sim: Simulator) -> None:
    fresh_sim.forget()
    code, out, _ = run(["--host", fresh_sim.url, "--token", CANARY, "call", "create_project", "name=x", "--dry-run"])
    assert code == 0
    shown = json.loads(out)
    assert shown["method"] == "POST" and shown["url"].endswith("/api/v2/projects")
    assert shown["headers"]["authorization"] == "Bearer ***"
    assert shown["body"] == {"name": "x"}
    assert [s.path for s in fresh_sim.seen] == ["/api/v2/swagger.json"]


@pytest.mark.parametrize(
    "argv,code,message",
    [
        (["call", "list_projectz"], 2, "unknown operation 'list_projectz'; did you mean 'list_projects'"),
        (["call", "list_projects", "-q", "projects[.name"], 2, "invalid JMESPath"),
        (
            ["call", "list_projects", "--page-sise", "2"],
            2,
            "unknown parameter '--page-sise' for list_projects; did you mean --page-size",
        ),
        (["call", "list_projects", "--page-size", "two"], 2, "wrong type for page_size"),
        (["call", "get_project", "no-such-project"], 1, "HTTP 404 for get_project: project not found: no-such-project"),
        (["call", "get_project", ".."], 2, "invalid value for path parameter project_id"),
        (["call", "get_job"], 2, "missing required parameter project_id"),
        (["frobnicate"], 2, "invalid choice"),
        (["call", "list_projects", "-o", "xml"], 2, "invalid choice: 'xml' (choose from 'json', 'yaml', 'table', 'raw')"),
    ],
)
def test_errors_have_codes_and_one_line(g: list[str], argv: list[str], code: int, message: str) -> None:
    got, out, err = run(g + argv)
    assert got == code, err
    assert message in one_error_line(err)


def test_wrong_key_exits_4(sim: Simulator) -> None:
    wrong = "cmlcanary_wrong_key"
    code, _, err = run(["--host", sim.url, "--token", wrong, "call", "list_projects"])
    assert code == 4
    assert "HTTP 401" in one_error_line(err) and wrong not in err


def test_no_key_exits_4_and_no_host_exits_2(sim: Simulator) -> None:
    code, _, err = run(["--host", sim.url, "call", "list_projects"])
    assert code == 4 and "no API key" in one_error_line(err)
    code, _, err = run(["call", "list_projects"])
    assert code == 2 and "no host" in one_error_line(err)


def test_network_error_exits_3() -> None:
    code, _, err = run(["--host", f"http://127.0.0.1:{free_port()}", "--token", CANARY, "call", "list_projects"])
    assert code == 3 and "connection refused" in one_error_line(err)


def test_spec_error_exits_5(tmp_path: Any) -> None:
    bad = tmp_path / "spec.json"
    bad.write_text(
        '{"swagger": "2.0", "paths": {"/x": {"get": {"responses": {"200": {"schema": {"$ref": "http://127.0.0.1:9/x.json"}}}}}}}'
    )
    code, _, err = run(["--spec", str(bad), "ops"])
    assert code == 5 and "external $ref not allowed" in one_error_line(err)


def test_debug_shows_a_traceback_without_the_key(g: list[str]) -> None:
    code, _, err = run(g + ["--debug", "call", "get_project", "nope"])
    assert code == 1 and "Traceback" in err and "cmldyn: error: HTTP 404" in err


def test_ops_and_describe_from_a_local_spec() -> None:
    spec = str(CML_SPEC)
    code, out, _ = run(["--spec", spec, "ops", "job_run"])
    assert code == 0 and out.count("\n") == 4 and "stop_job_run" in out
    code, out, _ = run(["--spec", spec, "ops", "-o", "json"])
    assert len(json.loads(out)) == 158
    code, out, _ = run(["--spec", spec, "describe", "create_job"])
    assert code == 0 and "Body fields (CreateJobRequest):" in out


def test_spec_show_and_validate(g: list[str]) -> None:
    code, out, _ = run(g + ["spec"])
    info = json.loads(out)
    assert code == 0 and info["operations"] == 158 and info["version"] == "26.06.13"
    code, out, _ = run(g + ["spec", "validate"])
    assert code == 0 and isinstance(json.loads(out)["findings"], list)


def test_terminal_controls_in_api_data_are_escaped(fresh_sim: Simulator) -> None:
    g = ["--host", fresh_sim.url, "--token", CANARY]
    evil = "evil\x1b]8;;http://x\x07link\x1b[2J\u202egnp.exe\x9b31m"
    assert run(g + ["call", "create_project", f"name={evil}"])[0] == 0
    for fmt in ("json", "yaml", "table", "raw"):
        code, out, _ = run(
            g + ["call", "list_projects", "--page-size", "50", "-o", fmt] + (["-q", "projects[].name"] if fmt == "raw" else [])
        )
        assert code == 0
        for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert bad not in out, (fmt, bad)
        assert any(shown in out for shown in ("\\x1b", "\\u001b", "\\e"))


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["call", "list_projects", "-q", "length(projects)"], 0),
        (["call", "get_project", "nope"], 1),
        (["call", "nope"], 2),
    ],
)
def test_real_entry_point(sim: Simulator, argv: list[str], expected: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cmldyn", "--host", sim.url, *argv],
        capture_output=True,
        text=True,
        env={"CML_API_KEY": CANARY, "PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]},
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == expected, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    if expected:
        assert len(proc.stderr.strip().splitlines()) in (1, 2)
        assert proc.stderr.startswith("cmldyn: error: ")


def test_broken_pipe_is_quiet(sim: Simulator) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m cmldyn --host {sim.url} call list_runtimes --all -o raw -q 'runtimes[].image_identifier' | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"CML_API_KEY": CANARY, "PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]},
    )
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_token_from_stdin(sim: Simulator) -> None:
    code, out, err = run(
        ["--host", sim.url, "--token-stdin", "call", "list_projects", "-q", "length(projects)"], stdin=CANARY + "\n"
    )
    assert code == 0, err
    assert json.loads(out) >= 6


def test_describe_and_argument_errors_show_the_command_line(g: list[str]) -> None:
    code, out, _ = run(g + ["describe", "create_job_run"])
    assert code == 0 and "Command line: cmldyn call create_job_run PROJECT_ID JOB_ID [--body JSON|@FILE|-" in out
    code, _, err = run(g + ["call", "get_job", "p1"])
    assert code == 2 and "hint: usage: cmldyn call get_job PROJECT_ID JOB_ID" in err
    code, _, err = run(g + ["call", "list_projects", "--page-size", "x"])
    assert "hint: usage: cmldyn call list_projects [--search-filter SEARCH_FILTER]" in err


# ------------------------------------------------------------------ global options, before or after the command

def test_demo_before_or_after_the_command_gives_the_same_answer() -> None:
    before = run(["--demo", "call", "list_projects", "-q", "projects[].name"])
    after = run(["call", "list_projects", "--demo", "-q", "projects[].name"])
    assert before == after
    assert before[0] == 0 and "demo" in json.loads(before[1])


@pytest.mark.parametrize("options", [
    ["--timeout", "5", "--deadline", "30", "--refresh"],
    ["--spec", str(CML_SPEC), "--debug"],
    ["--offline"],
    ["--token-stdin"],
], ids=["times-refresh", "spec-debug", "offline", "token-stdin"])
def test_global_options_work_in_either_place(sim: Simulator, options: list[str]) -> None:
    """Against a server on loopback: the same exit code and output with the options before the
    command, after the operation, and between the call's own words."""
    key = [] if "--token-stdin" in options else ["--token", CANARY]
    stdin = CANARY + "\n" if "--token-stdin" in options else ""
    auth = key or ["--token-stdin"]
    warm = run(["--host", sim.url, *auth, "call", "list_projects"], stdin=stdin)  # fills the cache --offline reads
    assert warm[0] == 0, warm[2]
    words = ["call", "list_projects", "--page-size", "2", "-q", "projects[].name"]
    runs = [
        run(["--host", sim.url, *key, *options, *words], stdin=stdin),
        run([*words, "--host", sim.url, *key, *options], stdin=stdin),
        run(["call", "list_projects", *options, "--page-size", "2", "--host", sim.url, *key, "-q", "projects[].name"],
            stdin=stdin),
    ]
    assert runs[0][0] == 0, runs[0][2]
    assert len(json.loads(runs[0][1])) == 2
    assert runs[1] == runs[0] and runs[2] == runs[0]


def test_every_global_option_parses_the_same_before_and_after_the_command() -> None:
    from cmldyn.cli.parser import GLOBAL_OPTIONS, build_parser, global_flags

    for option in GLOBAL_OPTIONS:
        words = [option.flag] + (["7" if option.seconds else "v"] if option.metavar else [])
        for command in (["ops"], ["describe", "x"], ["spec", "show"], ["repl"], ["configure"], ["call", "x"]):
            first, _ = build_parser().parse_known_args(words + command)
            last, _ = build_parser().parse_known_args(command + words)
            assert global_flags(first) == global_flags(last), (option.flag, command)
            assert global_flags(first)[option.dest] not in (None, False), (option.flag, command)


def test_a_bad_global_option_value_fails_the_same_in_either_place() -> None:
    before = run(["--timeout", "soon", "call", "list_projects"])
    after = run(["call", "list_projects", "--timeout", "soon"])
    assert before == after
    assert before[0] == 2 and "--timeout takes seconds, got 'soon'" in one_error_line(before[2])


def test_configure_takes_the_host_option(tmp_path: Any) -> None:
    """configure reads the one --host option (it used to declare its own, shadowed by the global one)."""
    config = tmp_path / "config.toml"
    code, out, err = run(["configure", "--config", str(config), "--host", "https://ml-x.example", "--key-env", "MY_KEY"])
    assert code == 0, err
    assert 'host = "https://ml-x.example"' in config.read_text() and 'key_env = "MY_KEY"' in config.read_text()


def test_a_missing_required_body_field_is_refused_before_sending(echo: Any) -> None:
    """petstore 3.0: NewPet requires name; `call create_pet tag=dog` exits 2 and nothing is sent."""
    spec = str(SPECS / "petstore-3.0.yaml")
    code, out, err = run(["--spec", spec, "--host", echo.url, "--token", CANARY, "call", "create_pet", "tag=dog"])
    assert code == 2 and out == ""
    assert "missing required field body.name in the body of create_pet (NewPet)" in one_error_line(err)
    assert echo.requests == []
    echo.replies.append((201, {"Content-Type": "application/json"}, b'{"id": 1, "name": "rex", "tag": "dog"}'))
    code, out, err = run(["--spec", spec, "--host", echo.url, "--token", CANARY, "call", "create_pet", "name=rex", "tag=dog"])
    assert code == 0, err
    assert json.loads(out) == {"id": 1, "name": "rex", "tag": "dog"}
    assert [r["method"] for r in echo.requests] == ["POST"]
    assert json.loads(echo.requests[0]["body"]) == {"name": "rex", "tag": "dog"}


def test_every_finding_is_named(echo: Any) -> None:
    spec = str(SPECS / "petstore-3.0.yaml")
    code, _, err = run(["--spec", spec, "--host", echo.url, "--token", CANARY, "call", "create_pet",
                        "--body", '{"tag": 5, "colour": "red"}'])
    line = one_error_line(err)
    assert code == 2 and echo.requests == []
    assert "missing required field body.name" in line and "(and 2 more:" in line
    assert "wrong type for body field 'tag' of create_pet: expected string, got int 5" in line
    assert "unknown field 'colour'" in line


def test_call_op_help_documents_every_cml_operation() -> None:
    """`cmldyn call OP --help` shows the operation's documentation and command line, exit 0, for all 158."""
    from cmldyn.spec import load_spec

    from .conftest import CML_SPEC

    ids = [op["operationId"] for item in load_spec(CML_SPEC).raw["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op]
    assert len(ids) == 158
    for operation_id in ids:
        code, out, err = run(["--spec", str(CML_SPEC), "call", operation_id, "--help"])
        assert code == 0 and err == "", (operation_id, err)
        assert f"operationId: {operation_id}" in out and "Command line: cmldyn call " in out
    code, out, _ = run(["help", "create_job", "--spec", str(CML_SPEC)])
    assert code == 0 and "Command line: cmldyn call create_job PROJECT_ID" in out
    code, out, _ = run(["call", "--help"])
    assert code == 0 and out.startswith("usage: cmldyn call")
    code, _, err = run(["call"])
    assert code == 2 and "call needs an OPERATION" in err


def test_demo_runs_leave_no_spec_in_the_cache() -> None:
    """Each --demo run serves its spec on a random port; caching it would pile up a file per run."""
    import os
    from pathlib import Path

    for _ in range(2):
        code, out, err = run(["--demo", "call", "list_projects", "-q", "length(projects)"])
        assert code == 0 and out.strip() == "6", err
    cache = Path(os.environ["XDG_CACHE_HOME"])
    assert [p for p in cache.rglob("*") if p.is_file() and "specs" in p.parts] == []
