"""Every answer checked against the spec: drift seeded into the simulator is found, through the
client, the REPL (pipe input) and the CLI (--strict, --no-check, spec drift); a conforming
simulator yields no finding."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.simulator import Simulator

from .conftest import CANARY, ROOT, SPECS, assert_no_canary


def found_paths(api: cmldyn.Client) -> set[tuple[str, str]]:
    return {(d.kind, d.path) for d in api.contract.findings}


EXPECTED_KIND = {"extra-field": "unknown", "missing-field": "missing", "wrong-type": "type", "bad-enum": "enum",
                 "undocumented-status": "status"}


@pytest.mark.parametrize("kind", ["extra-field", "wrong-type", "bad-enum", "undocumented-status"])
def test_each_kind_of_drift_seeded_into_the_cml_simulator_is_found(fresh_sim: Simulator, kind: str) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    pid = api.list_projects(search_filter='{"name": "demo"}').projects[0].id
    job = api.list_jobs(pid).jobs[0]
    assert api.contract.findings == []  # the simulator conforms until drift is seeded
    fresh_sim.faults.add(path="/runs$", drift=kind)
    runs = api.list_job_runs(pid, job.id)  # the call still succeeds
    assert runs.job_runs
    seeded = {(EXPECTED_KIND[d.kind], d.where) for d in fresh_sim.drifted}
    assert len(seeded) == 1
    assert found_paths(api) == seeded  # every seeded deviation found, nothing else
    (drift,) = api.contract.findings
    assert drift.operation == "list_job_runs" and drift.severity == ("info" if kind == "extra-field" else "error")
    assert api.contract.to_dict()["counts"][drift.severity] == 1


def test_a_missing_required_field_is_found_where_the_spec_requires_one() -> None:
    with Simulator(spec=SPECS / "petstore-3.0.yaml", speed=0) as sim:
        api = cmldyn.Client(sim.url, None, spec=SPECS / "petstore-3.0.yaml", cache=False)
        sim.faults.add(path="/pets/1$", drift="missing-field,bad-enum")
        api.get_pet("1")
        seeded = {(EXPECTED_KIND[d.kind], d.where) for d in sim.drifted}
        assert seeded == {("missing", "$.id"), ("enum", "$.status")}
        assert found_paths(api) == seeded


def test_an_undocumented_error_status_and_content_type_are_found(echo: Any) -> None:
    """A 418 where the spec documents none, and JSON answered as text/csv."""
    api = cmldyn.Client(echo.url, CANARY, spec=SPECS / "petstore-3.0.yaml", cache=False)
    echo.replies.append((200, {"Content-Type": "text/csv"}, b"a,b\n"))
    api.list_pets()
    kinds = {d.kind for d in api.contract.last}
    assert kinds == {"content-type"}
    public = cmldyn.Client(echo.url, None, spec=SPECS / "security.yaml", cache=False)  # documents only 200
    echo.replies.append((418, {"Content-Type": "application/json"}, b'{"message": "teapot"}'))
    with pytest.raises(cmldyn.ApiError):
        public.public_status()
    (drift,) = public.contract.findings
    assert (drift.kind, drift.status, drift.expected) == ("status", 418, "200")


def test_the_clean_cml_simulator_answers_every_list_without_a_finding(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    called = 0
    for op in api.model.operations.values():
        if op.method == "get" and not op.path_params and not any(p.required for p in op.params):
            try:
                getattr(api, op.name)()
            except cmldyn.ApiError:
                pass
            called += 1
    assert called > 10
    assert [str(d) for d in api.contract.findings if d.severity != "advice"] == []


def test_strict_fails_the_call_and_no_check_turns_checking_off(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False, strict=True)
    fresh_sim.faults.add(path="^/api/v2/runtimes$", drift="undocumented-status")
    with pytest.raises(cmldyn.errors.ContractError) as caught:
        api.list_runtimes()
    assert caught.value.result.runtimes and "status 203 is not documented" in str(caught.value)
    quiet = cmldyn.Client(fresh_sim.url, CANARY, cache=False, check=False)
    quiet.list_runtimes()
    assert quiet.contract.findings == [] and quiet.contract.calls == {}


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""), env=env or {})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def test_the_cli_strict_exit_code_and_the_drift_log(fresh_sim: Simulator, tmp_path: Path) -> None:
    fresh_sim.faults.add(path="^/api/v2/runtimes$", drift="extra-field,undocumented-status")
    base = ["--host", fresh_sim.url, "--token", CANARY]
    code, out, err = run([*base, "call", "list_runtimes", "-q", "length(runtimes)"])
    assert code == 0 and int(out) == 10, err
    # Without --strict the answer is printed and what differs is one note on stderr.
    assert err == ("cmldyn: note: answer differs from the spec in 2 places (1 an extra field); 'cmldyn spec drift' "
                   "lists them, --strict fails the call\n")
    code, out, err = run([*base, "call", "list_projects", "-q", "length(projects)"])
    assert code == 0 and err == ""  # a conforming answer: nothing said
    code, out, err = run([*base, "--strict", "call", "list_runtimes"])
    assert code == 6 and out == "" and err.startswith("cmldyn: error: the answer differs from the spec: list_runtimes")
    code, out, err = run([*base, "--no-check", "--strict", "call", "list_runtimes", "-q", "length(runtimes)"])
    assert code == 0, err
    code, out, err = run([*base, "spec", "drift"])
    rows = json.loads(out)["findings"]
    assert code == 0
    assert {(r["kind"], r["path"]) for r in rows} == {("status", "$"), ("unknown", "$.runtimes[0].cmldyn_sim_extra")}
    assert len(rows) == 4  # two commands met drift, two findings each; --no-check recorded none
    home = Path(os.environ["XDG_CACHE_HOME"])
    logs = list(home.rglob("drift/*.json"))
    assert len(logs) == 1 and oct(logs[0].stat().st_mode & 0o777) == "0o600"
    assert CANARY not in logs[0].read_text()


def test_the_repl_notes_drift_under_the_result_and_lists_it() -> None:
    lines = "\n".join([
        "api.list_projects() | length(projects)",
        "api.list_runtimes() | length(runtimes)",
        ".drift",
    ]) + "\n"
    # The REPL runs on --demo, with drift seeded into its simulator's runtimes as it starts.
    script = (
        "import sys, cmldyn.cli.context as c\n"
        "orig = c.Context.start_demo\n"
        "def start(self):\n"
        "    orig(self)\n"
        "    self.sim.faults.add(path='^/api/v2/runtimes$', drift='wrong-type')\n"
        "c.Context.start_demo = start\n"
        "from cmldyn.cli import main\n"
        "sys.exit(main(['repl', '--demo']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=lines,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    out = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert out[0] == "6"  # the projects: no note under a conforming answer
    assert out[1] == "10" and out[2] == "answer differs from the spec in 1 place: .drift"
    assert any(line.startswith("error   list_runtimes: $.runtimes[0].") for line in out[3:])
    assert out[-1].startswith("1 error, 0 info, 0 advice in 2 answers")


def test_a_write_read_back_reports_the_fields_not_applied(fresh_sim: Simulator) -> None:
    """The CML profile's job PATCH answers 200 without applying timezone (a quirk reported of real
    workspaces); with verify_writes the client reads the job back and says so, and only that."""
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False, verify_writes=True)
    pid = api.list_projects(search_filter='{"name": "demo"}').projects[0].id
    jid = api.list_jobs(pid).jobs[0].id
    fresh_sim.forget()
    answer = api.update_job({"name": "renamed", "timezone": "UTC"}, pid, jid)
    assert answer.name == "renamed"
    (drift,) = api.contract.findings
    assert (drift.kind, drift.path, drift.expected) == ("not-applied", "$.timezone", "'UTC'")
    assert [s.method for s in fresh_sim.seen] == ["PATCH", "GET"]  # the write, then one read back
    created = api.create_project(name="verified", description="read back after create")
    assert created.name == "verified" and api.contract.last == []  # a create read back by its new id
    plain = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    fresh_sim.forget()
    plain.update_job({"timezone": "UTC"}, pid, jid)
    assert [s.method for s in fresh_sim.seen] == ["PATCH"] and plain.contract.findings == []


def test_call_verify_warns_on_stderr_and_still_prints_the_answer(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    pid = api.list_projects(search_filter='{"name": "demo"}').projects[0].id
    jid = api.list_jobs(pid).jobs[0].id
    code, out, err = run(["--host", fresh_sim.url, "--token", CANARY, "call", "update_job", pid, jid,
                          "timezone=UTC", "name=again", "--verify", "-q", "name"])
    assert code == 0 and json.loads(out) == "again"
    assert err.strip() == ("cmldyn: warning: not applied: update_job: $.timezone was sent as 'UTC' but reads back as "
                           "'America/Los_Angeles'")


def test_unread_answers_are_checked_in_time_and_not_lost(fresh_sim: Simulator) -> None:
    """A script that never reads the report: at most 64 answers wait; older ones are checked, not dropped."""
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    fresh_sim.faults.add(path="^/api/v2/runtimes$", drift="extra-field", times=1)
    for _ in range(100):
        api.list_runtimes(page_size=1)
    assert api.contract.calls == {"list_runtimes": 100}
    assert [(d.kind, d.path) for d in api.contract.findings] == [("unknown", "$.runtimes[0].cmldyn_sim_extra")]
