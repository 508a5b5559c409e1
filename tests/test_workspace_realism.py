"""Where the CML profile follows what real workspaces were recorded doing, through the client: status words in a
job-run filter, the observability role, the files root, validate_key's words, names that differ from slugs."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cmldyn
from cmldyn.simulator import Simulator

from .conftest import CANARY


def demo(api: cmldyn.Client) -> str:
    return api.list_projects(search_filter=json.dumps({"name": "demo"})).projects[0].id


@pytest.mark.parametrize("word, status", [("succeeded", "ENGINE_SUCCEEDED"), ("failed", "ENGINE_FAILED"),
                                          ("ENGINE_SUCCEEDED", "ENGINE_SUCCEEDED")])
def test_job_run_filters_take_the_status_words_the_spec_documents(fresh_sim: Simulator, fresh_api: cmldyn.Client,
                                                                  word: str, status: str) -> None:
    pid = demo(fresh_api)
    fresh_sim.clock.step(60)
    found = [r.status for job in fresh_api.list_jobs(pid).jobs
             for r in fresh_api.list_job_runs(pid, job.id, search_filter=json.dumps({"status": word})).job_runs]
    assert found and set(found) == {status}


def test_workload_executions_need_the_observability_role(fresh_sim: Simulator, fresh_api: cmldyn.Client) -> None:
    with pytest.raises(cmldyn.AuthError) as refused:
        fresh_api.list_workload_executions()
    assert refused.value.status == 403 and refused.value.code == 7
    assert refused.value.server_message == "User is not an observability machine user"
    machine = cmldyn.Client(fresh_sim.url, fresh_sim.keys["observability-bot"])
    assert machine.list_workload_executions() is not None
    assert machine.validate_api_key(audience="API").username == "observability-bot"


@pytest.mark.parametrize("raw", ["/files/", "/files/.", "/files/%2F"])
def test_the_files_root_lists_for_an_empty_path_a_dot_and_a_slash(fresh_sim: Simulator, fresh_api: cmldyn.Client,
                                                                 raw: str) -> None:
    pid = demo(fresh_api)
    answer: Any = fresh_api.raw("GET", f"/api/v2/projects/{pid}{raw}")
    assert {f["path"] for f in answer["files"]} == {"README.md", "analysis.py"}
    assert {f.path for f in fresh_api.list_project_files(pid, "/").files} == {"README.md", "analysis.py"}
    with pytest.raises(cmldyn.ParamError) as refused:
        fresh_api.list_project_files(pid, "")
    assert refused.value.hint == "to name the root of a file tree, pass '/'"


def test_validate_key_says_what_a_workspace_says(api: cmldyn.Client) -> None:
    assert api.validate_api_key(audience="API").message == "API key is valid for the given audience"


def test_a_name_and_its_slug_differ_in_case(api: cmldyn.Client) -> None:
    dse = next(p for p in api.list_projects().projects if p.name == "DSE-sandbox")
    assert dse.slug == "dse-sandbox" and dse.owner.name == "DSE" and dse.owner.username == "dse"
    assert api.list_projects(search_filter=json.dumps({"name": "dse"})).projects == []  # case-sensitive, as live


def test_the_simulator_knows_its_users_keys() -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        assert sim.keys == {"simuser": CANARY, "observability-bot": CANARY + "-observability"}
