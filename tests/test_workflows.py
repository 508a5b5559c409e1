"""The workflow verbs against the simulator: a project's environment changed safely (also by racing writers),
secrets never shown, applications restarted; an application's runtime upgraded in one update, and a failure
named by its step with the workload exit code."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cmldyn.cli import main
from cmldyn.testing import Workspace
from cmldyn.workflows import ProjectEnvironment, parse_dotenv, upgrade, upgrade_plan

from .conftest import ROOT

SECRET = "s3cr3t-value-never-shown"


def cli(cml: Workspace, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--host", cml.url, "--token", cml.token, *words], stdout=out, stderr=err, env={})
    return code, out.getvalue(), err.getvalue()


def test_a_merge_keeps_every_other_key_byte_for_byte(cml: Workspace) -> None:
    project = cml.project("env-keep")
    existing = {f"KEY_{i:02d}": f"value {i} ünïcode \"quoted\" \\ {'x' * i}" for i in range(50)}
    cml.api.update_project({"environment": json.dumps(existing)}, project.id)
    change = cml.api.project_env(project.id).merge({"NEW": "1", "KEY_07": "changed"})
    assert change.added == ["NEW"] and change.changed == ["KEY_07"] and change.attempts == 1
    now = json.loads(cml.api.get_project(project.id).environment)
    assert {k: v for k, v in now.items() if k not in ("NEW", "KEY_07")} == {k: v for k, v in existing.items()
                                                                              if k != "KEY_07"}
    assert now["NEW"] == "1" and now["KEY_07"] == "changed"
    assert str(cml.api.project_env(project.id).unset("NEW", "NOT_THERE")) == "removed NEW"


def test_eight_threads_merging_at_once_keep_all_eight_keys(cml: Workspace) -> None:
    project = cml.project("env-race")
    cml.api.update_project({"environment": json.dumps({"BASE": "kept"})}, project.id)

    def write(i: int) -> int:
        return ProjectEnvironment(cml.api, project.id).set({f"WRITER_{i}": str(i)}).attempts

    with ThreadPoolExecutor(8) as pool:
        attempts = list(pool.map(write, range(8)))
    final = json.loads(cml.api.get_project(project.id).environment)
    assert final == {"BASE": "kept", **{f"WRITER_{i}": str(i) for i in range(8)}}
    assert max(attempts) >= 1


def test_two_processes_racing_both_keep_their_key(cml: Workspace) -> None:
    project = cml.project("env-processes")
    code = ("import sys, cmldyn; api = cmldyn.Client(sys.argv[1], sys.argv[2], cache=False); "
            "print(api.project_env(sys.argv[3]).set({sys.argv[4]: 'yes'}))")
    procs = [subprocess.Popen([sys.executable, "-c", code, cml.url, cml.token, project.id, name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for name in ("FIRST", "SECOND")]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    final = json.loads(cml.api.get_project(project.id).environment)
    assert final == {"FIRST": "yes", "SECOND": "yes"}


def test_a_secret_value_is_never_shown_unmasked(cml: Workspace, tmp_path: Any) -> None:
    project = cml.project("env-secrets")
    code, out, err = cli(cml, "env", "set", project.id, f"DB_PASSWORD={SECRET}", "MODE=fast")
    assert code == 0 and SECRET not in out + err
    env = cml.api.project_env(project.id)
    assert SECRET not in repr(env) and env.masked()["DB_PASSWORD"] == "***" and env["DB_PASSWORD"] == SECRET
    shown = [cli(cml, "env", "get", project.id, *extra) for extra in ([], ["-o", "table"], ["-o", "dotenv"],
                                                                      ["DB_PASSWORD"])]
    assert all(code == 0 and SECRET not in out + err for code, out, err in shown)
    dotenv = shown[2][1]
    assert "# DB_PASSWORD=*** (hidden: --reveal writes it)" in dotenv and "MODE=fast" in dotenv
    (tmp_path / ".env").write_text(dotenv)
    assert parse_dotenv(dotenv) == {"MODE": "fast"}  # the masked form never comes back in
    assert cli(cml, "env", "set", project.id, "--from-file", str(tmp_path / ".env"))[0] == 0
    assert cml.api.project_env(project.id)["DB_PASSWORD"] == SECRET
    refused = cli(cml, "env", "set", project.id, "DB_PASSWORD=***")
    assert refused[0] == 2 and "is how a secret is shown, not its value" in refused[2]
    assert cli(cml, "env", "get", project.id, "DB_PASSWORD", "--reveal")[1] == SECRET + "\n"


def test_restart_apps_restarts_exactly_the_running_ones(cml: Workspace) -> None:
    project = cml.project("env-apps")
    running = cml.application(project, name="serving")
    stopped = cml.application(project, name="idle")
    cml.api.stop_application(project.id, stopped.id)
    cml.advance(5)
    cml.seen.clear()
    code, out, err = cli(cml, "env", "set", project.id, "MODE=slow", "--restart-apps", "--wait-timeout", "30")
    assert code == 0, err
    assert "restarted and running again: serving" in out
    restarts = cml.seen.of("restart_application")
    assert [c.path.rsplit("/", 1)[1] for c in restarts] == [f"{running.id}:restart"]


def test_the_runtime_upgrade_stops_updates_once_restarts_and_checks(cml: Workspace) -> None:
    project = cml.project("apps")
    app = cml.application(project, name="dash")
    plan = upgrade_plan(cml.api, "apps", "dash", to="JupyterLab/Python 3.12/Standard", addons=["spark352-b1-hadoop3"])
    assert plan.runtime_to.endswith("jupyterlab-python3.12-standard:2025.09.1-b5") and len(plan.steps) == 6
    final = upgrade(cml.api, plan, delay=0.05)
    assert final.status == "APPLICATION_RUNNING" and final.runtime_identifier == plan.runtime_to
    updates = cml.seen.of("update_application")
    assert len(updates) == 1 and updates[0].body == {"runtime_identifier": plan.runtime_to,
                                                     "runtime_addon_identifiers": ["spark352-b1-hadoop3"]}
    assert [c.operation for c in cml.seen if c.method == "POST"] == ["stop_application", "restart_application"]
    assert app.id == final.id


def test_an_ambiguous_runtime_lists_the_candidates_and_exits_2(cml: Workspace) -> None:
    cml.application(cml.project("apps"), name="dash")
    code, out, err = cli(cml, "app", "upgrade-runtime", "apps", "dash", "--to", "JupyterLab/Python 3.11")
    assert code == 2 and "matches 2 runtimes" in err and "Nvidia GPU" in err and "Standard" in err


@pytest.mark.parametrize("how, code, said", [
    ("the restarted app fails", 7, "wait until running: application"),
    ("the restart call fails", 1, "restart: HTTP 500"),
])
def test_a_failed_upgrade_names_its_step(cml: Workspace, how: str, code: int, said: str) -> None:
    cml.application(cml.project("apps"), name="dash")
    if how == "the restarted app fails":
        cml.next_outcome("application", "APPLICATION_FAILED")
    else:
        cml.fault(operation="restart_application", status=500)
    got, out, err = cli(cml, "app", "upgrade-runtime", "apps", "dash", "--to", "Workbench/R 4.4/Standard",
                        "--wait-timeout", "60")
    assert got == code and said in err, err
