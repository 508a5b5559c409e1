"""AMPs as code: every lint rule against its case (fixtures/amp/lint-cases.yaml), the command's exits and
formats, and plan/apply against the simulator: a realistic multi-task AMP ends with its jobs run, its model
deployed and its application running; a second apply changes nothing; a failing task stops the apply and
says which; a secret value given with --env never shows."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmldyn.amp import RULES, AmpError, amp_apply, amp_plan, lint, read_metadata
from cmldyn.cli import main
from cmldyn.errors import ParamError, WorkloadError
from cmldyn.testing import Workspace

from .conftest import ROOT

AMPS = ROOT / "fixtures" / "amp"
CASES = yaml.safe_load((AMPS / "lint-cases.yaml").read_text(encoding="utf-8"))["cases"]
HEADER = ('name: Case\ndescription: A case of the lint table.\nauthor: cmldyn tests\ndate: "2026-01-02"\n'
          'specification_version: "1.0"\nprototype_version: "1.0"\n')
SECRET = "wh-key-never-shown-4471"


def cli(*words: str, cml: Workspace | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    where = ["--host", cml.url, "--token", cml.token] if cml is not None else []
    code = main([*where, *words], stdout=out, stderr=err, env={})
    return code, out.getvalue(), err.getvalue()


def write_case(tmp_path: Path, case: dict[str, Any]) -> Path:
    path = tmp_path / case.get("file", ".project-metadata.yaml")
    path.write_text(case["metadata"] + (HEADER if case.get("header", True) else ""), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- lint


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}-{i}" for i, c in enumerate(CASES)])
def test_each_rule_finds_exactly_its_case(tmp_path: Path, case: dict[str, Any]) -> None:
    findings = lint(read_metadata(str(write_case(tmp_path, case))))
    assert sorted(f"{f.rule} {f.path or '-'} {f.line}" for f in findings) == sorted(case["expect"])
    for finding in findings:
        assert finding.message and finding.valid, finding  # what is wrong, and what would be valid


def test_every_rule_has_a_case_and_a_title() -> None:
    assert {r.id for r in RULES} == {c["rule"] for c in CASES}
    assert len({r.id for r in RULES}) == len(RULES) >= 31
    assert all(r.title and r.severity in ("error", "warning", "info") for r in RULES)


def test_the_valid_files_give_no_errors() -> None:
    assert lint(read_metadata(str(AMPS / "minimal"))) == []
    realistic = lint(read_metadata(str(AMPS / "churn")))
    assert [f for f in realistic if f.severity == "error"] == []
    assert {f.rule for f in realistic} == {"AMP005", "AMP012", "AMP026", "AMP028"}


def test_lint_exits_0_clean_1_with_findings_2_unusable(tmp_path: Path) -> None:
    code, out, err = cli("amp", "lint", str(AMPS / "minimal"))
    assert (code, out) == (0, "") and "0 errors, 0 warnings, 0 info" in err
    code, out, _ = cli("amp", "lint", str(AMPS / "churn"))
    first = out.splitlines()[0]
    assert code == 1 and first.startswith(f"{AMPS / 'churn' / '.project-metadata.yaml'}:7: warning AMP005 "
                                          "specification_version:") and '(valid: a quoted string' in first
    broken = tmp_path / ".project-metadata.yaml"
    broken.write_text("name: Broken\ntasks:\n  - type: create_job\n   name: mis-indented\n", encoding="utf-8")
    code, out, err = cli("amp", "lint", str(tmp_path))
    assert code == 2 and out == "" and f"{broken}:4:" in err and "not valid YAML" in err and "Traceback" not in err
    code, _, err = cli("amp", "lint", str(tmp_path / "nowhere"))
    assert code == 2 and "cannot read" in err


def test_lint_json_lists_files_and_findings(tmp_path: Path) -> None:
    code, out, _ = cli("amp", "lint", str(AMPS / "churn"), "-o", "json")
    report = json.loads(out)
    assert code == 1 and report["file"].endswith(".project-metadata.yaml")
    assert {"rule", "severity", "path", "line", "message", "valid"} <= set(report["findings"][0])
    code, out, _ = cli("amp", "lint", str(AMPS / "minimal"), str(tmp_path / "missing"), "-o", "json")
    both = json.loads(out)
    assert code == 2 and both[0]["findings"] == [] and "cannot read" in both[1]["error"]


def test_hostile_files_are_refused_with_one_line(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(  # ten times more values per line: 10**8 in all
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
    cases = {"bomb": bomb, "list": "- just\n- a list\n", "binary": "\udcff", "deep": "[" * 5000 + "]" * 5000}
    for name, text in cases.items():
        path = tmp_path / name
        path.mkdir()
        (path / ".project-metadata.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
        with pytest.raises(AmpError) as caught:
            read_metadata(str(path))
        assert "\n" not in caught.value.message, name
        code, _, err = cli("amp", "lint", str(path))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (name, err)


# ---------------------------------------------------------------------------------------------- plan and apply


def test_apply_a_realistic_amp_then_a_second_apply_changes_nothing(cml: Workspace) -> None:
    plan = amp_plan(cml.api, str(AMPS / "churn"), project="amp-churn", env={"WAREHOUSE_API_KEY": SECRET})
    assert [(s.action, s.kind) for s in plan.changes] == [
        ("create", "project"), ("create", "job"), ("run", "job"), ("create", "job"), ("run", "job"),
        ("create", "model"), ("build", "model"), ("deploy", "model"), ("create", "application")]
    assert [s.action for s in plan.steps if s.kind == "session"] == ["skip"]
    assert SECRET not in str(plan) and SECRET not in json.dumps(plan.to_dict())
    result = amp_apply(cml.api, plan, delay=0.02)
    pid = result.project_id
    project = cml.api.get_project(pid)
    env = json.loads(project.environment)
    assert env["WAREHOUSE_API_KEY"] == SECRET and env["DATA_LOCATION"] == "data/churn"
    jobs = {j.name: j for j in cml.api.list_jobs.items(pid)}
    assert set(jobs) == {"Install dependencies", "Train model"}
    for job in jobs.values():
        assert [r.status for r in cml.api.list_job_runs.items(pid, job.id)] == ["ENGINE_SUCCEEDED"]
        assert job.runtime_identifier.endswith("jupyterlab-python3.11-standard:2025.09.1-b5")
    assert jobs["Train model"].arguments == "--estimators 200" and not jobs["Install dependencies"].get("arguments")
    model = next(iter(cml.api.list_models.items(pid)))
    assert env["CHURN_MODEL_ACCESS_KEY"] == model.access_key
    build = next(iter(cml.api.list_model_builds.items(pid, model.id)))
    assert build.status == "built"
    assert [d.status for d in cml.api.list_model_deployments.items(pid, model.id, build.id)] == ["deployed"]
    app = next(iter(cml.api.list_applications.items(pid)))
    assert (app.name, app.subdomain, app.status) == ("Churn explainer", "churn-explainer", "APPLICATION_RUNNING")
    created = cml.seen.of("create_job")
    assert created[0].body["runtime_addon_identifiers"] == ["spark352-b1-hadoop3"] and "kernel" not in created[0].body

    cml.seen.clear()
    again = amp_plan(cml.api, str(AMPS / "churn"), project="amp-churn")
    assert again.changes == [] and str(again).endswith("0 changes: the project is as the file says")
    assert amp_apply(cml.api, again, delay=0.02).done == []
    assert [c for c in cml.seen if c.method != "GET"] == []  # the second apply only read


def test_the_cli_applies_with_demo_and_never_shows_the_secret() -> None:
    code, out, err = cli("--demo", "amp", "apply", str(AMPS / "churn"), "--env", f"WAREHOUSE_API_KEY={SECRET}",
                         "--project", "churn-demo")
    assert code == 0, err
    assert "applied 9 changes in" in out and "to project churn-demo (" in out
    assert "> run job 'Train model' (tasks[3])" in out and "--demo: applying to the built-in simulator" in out
    assert err == ""
    assert SECRET not in out + err
    code, out, _ = cli("--demo", "amp", "plan", str(AMPS / "churn"), "-o", "json")
    plan = json.loads(out)
    assert code == 0 and plan["missing"] == ["WAREHOUSE_API_KEY"] and plan["changes"] == 9


def test_cli_apply_twice_against_one_workspace(cml: Workspace) -> None:
    words = ("amp", "apply", str(AMPS / "minimal"), "--project", "amp-minimal", "--poll", "0.02")
    code, out, err = cli(*words, cml=cml)
    assert code == 0 and "applied 4 changes" in out, err
    code, out, err = cli(*words, cml=cml)
    assert code == 0 and "applied 0 changes" in out and "0 changes: the project is as the file says" in out
    code, out, _ = cli(*words, "-o", "json", cml=cml)
    assert code == 0 and json.loads(out)["changes"] == 0


def test_required_value_missing_changes_nothing(cml: Workspace) -> None:
    code, out, err = cli("amp", "apply", str(AMPS / "churn"), "--project", "amp-missing", cml=cml)
    assert code == 2 and "WAREHOUSE_API_KEY" in err and "--env WAREHOUSE_API_KEY=VALUE" in err
    assert "nothing was changed" in err and [c for c in cml.seen if c.method != "GET"] == []
    code, _, err = cli("amp", "plan", str(AMPS / "churn"), "--env", "NOT_DECLARED=1", cml=cml)
    assert code == 2 and "declares no variable 'NOT_DECLARED'" in err


def test_a_failing_task_stops_the_apply_and_says_which(cml: Workspace, tmp_path: Path) -> None:
    shutil.copy(AMPS / "churn" / ".project-metadata.yaml", tmp_path / ".project-metadata.yaml")
    cml.next_outcome("job_run", "ENGINE_SUCCEEDED")  # the first run (install) succeeds ...
    cml.next_outcome("job_run", "ENGINE_FAILED")     # ... the training run fails
    plan = amp_plan(cml.api, str(tmp_path), project="amp-fails", env={"WAREHOUSE_API_KEY": SECRET})
    with pytest.raises(WorkloadError) as caught:
        amp_apply(cml.api, plan, delay=0.02)
    assert caught.value.message.startswith("tasks[3] run job 'Train model': ")
    assert caught.value.step == "tasks[3] run job 'Train model'"
    pid = cml.api.list_projects.items(search_filter=json.dumps({"name": "amp-fails"})).__next__().id
    assert list(cml.api.list_models.items(pid)) == [] and list(cml.api.list_applications.items(pid)) == []
    # What was done stays done; the next apply carries on from the failed run.
    again = amp_plan(cml.api, str(tmp_path), project="amp-fails")
    assert [(s.index, s.action) for s in again.changes][:2] == [(3, "run"), (5, "create")]
    assert SECRET not in str(caught.value)


def test_the_cli_exits_7_on_a_failed_workload(cml: Workspace) -> None:
    cml.next_outcome("job_run", "ENGINE_FAILED")
    code, out, err = cli("amp", "apply", str(AMPS / "minimal"), "--project", "amp-exit7", "--poll", "0.02", cml=cml)
    assert code == 7 and "tasks[1] run job 'Say hello'" in err and "applied" not in out


def test_an_existing_project_keeps_its_values_and_gets_what_differs(cml: Workspace, tmp_path: Path) -> None:
    project = cml.project("amp-existing")
    cml.api.update_project({"environment": json.dumps({"GREETING": "mine", "OTHER": "kept"})}, project.id)
    plan = amp_plan(cml.api, str(AMPS / "minimal"), project=project.id)
    assert [s.kind for s in plan.changes] == ["job", "job", "application"]  # GREETING is kept: no env step
    amp_apply(cml.api, plan, delay=0.02)
    assert json.loads(cml.api.get_project(project.id).environment) == {"GREETING": "mine", "OTHER": "kept"}
    plan = amp_plan(cml.api, str(AMPS / "minimal"), project="amp-existing", env={"GREETING": "theirs"})
    assert [(s.action, s.kind, s.name) for s in plan.changes] == [("set", "environment", "GREETING")]
    # The file changes a job's script: the job is updated and run again; the application is left alone.
    text = (AMPS / "minimal" / ".project-metadata.yaml").read_text(encoding="utf-8")
    (tmp_path / ".project-metadata.yaml").write_text(text.replace("script: hello.py", "script: hello2.py"),
                                                     encoding="utf-8")
    plan = amp_plan(cml.api, str(tmp_path), project="amp-existing")
    assert [(s.action, s.kind, s.why) for s in plan.changes] == [
        ("update", "job", "differs in script"), ("run", "job", "the job is updated by this apply")]
    amp_apply(cml.api, plan, delay=0.02)
    job = next(iter(cml.api.list_jobs.items(project.id)))
    assert job.script == "hello2.py" and len(list(cml.api.list_job_runs.items(project.id, job.id))) == 2


def test_a_runtime_the_workspace_lacks_is_named(cml: Workspace, tmp_path: Path) -> None:
    text = (AMPS / "minimal" / ".project-metadata.yaml").read_text(encoding="utf-8")
    (tmp_path / ".project-metadata.yaml").write_text(text.replace("Python 3.12", "Python 3.1"), encoding="utf-8")
    with pytest.raises(ParamError) as caught:
        amp_plan(cml.api, str(tmp_path), project="amp-runtime")
    assert "Workbench/Python 3.1/Standard" in caught.value.message  # exact: 3.1 never picks 3.10-3.12
