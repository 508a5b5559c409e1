"""Drop-in for cmlapi scripts: the vendor's call shapes, request classes, Cursor, paging, waiters."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import cmldyn
import cmldyn as cmlapi
from cmldyn import errors
from cmldyn.compat.utils import Cursor
from cmldyn.simulator import Simulator

from .conftest import CANARY, CML_SPEC, ROOT


@pytest.fixture()
def client(fresh_sim: Simulator) -> cmldyn.Client:
    return cmlapi.default_client(url=fresh_sim.url, cml_api_key=CANARY)


def demo_id(client: Any) -> str:
    return client.list_projects(search_filter="demo").projects[0].id


def test_module_level_names() -> None:
    assert cmlapi.rest.ApiException is cmlapi.ApiException is errors.ApiError
    assert Cursor is cmldyn.paginate.Cursor
    body = cmlapi.CreateProjectRequest(name="n", description="d", template="Python")
    assert body.to_dict() == {"name": "n", "description": "d", "template": "Python"}
    assert cmlapi.CreateJobRunRequest().to_dict() == {}
    assert cmlapi.CreateModelBuildRequest(file_path="p.py").file_path == "p.py"
    with pytest.raises(errors.ParamError, match="unknown field 'nmae'"):
        cmlapi.CreateProjectRequest(nmae="x")
    assert cmlapi.Project.__name__ == "Project"


def test_manual_configuration(fresh_sim: Simulator) -> None:
    config = cmlapi.Configuration()
    config.host = fresh_sim.url
    api_client = cmlapi.ApiClient(config)
    api_client.set_default_header("authorization", "Bearer " + CANARY)
    client = cmlapi.CMLServiceApi(api_client)
    assert len(client.list_projects().projects) == 6
    assert fresh_sim.seen[-1].authorization == "Bearer " + CANARY


def test_vendor_call_shapes(client: Any, fresh_sim: Simulator) -> None:
    first = client.list_projects(page_size=2)
    second = client.list_projects(page_size=2, page_token=first.next_page_token)
    assert len(second.projects) == 2 and second.projects[0].id != first.projects[0].id
    assert [p.name for p in client.list_projects(search_filter="DSE").projects] == ["DSE-sandbox"]
    assert len(client.list_projects(search_filter=json.dumps({"name": "demo"})).projects) == 1
    pid = demo_id(client)
    assert client.get_project(project_id=pid).name == "demo" and client.get_project(pid).id == pid
    jobs = client.list_jobs(project_id=pid).jobs
    jid = jobs[0].id
    run = client.create_job_run(cmlapi.CreateJobRunRequest(), project_id=pid, job_id=jid)
    stopped = client.stop_job_run(project_id=pid, job_id=jid, run_id=run.id)
    assert stopped.status == "ENGINE_STOPPED"
    latest = client.list_job_runs(pid, jid, sort="-created_at", page_size=1)
    assert len(latest.job_runs) == 1 and latest.job_runs[0].creator.username == "simuser"
    body = cmlapi.CreateProjectRequest(name="shapes", template="Python")
    project = client.create_project(body)
    fresh_sim.clock.step(3)
    assert client.get_project(project.id).creation_status == "success"
    job = client.create_job(cmlapi.CreateJobRequest(name="j", script="a.py"), project_id=project.id)
    model = client.create_model(cmlapi.CreateModelRequest(name="m", description="d"), project.id)
    build = client.create_model_build(cmlapi.CreateModelBuildRequest(file_path="p.py", function_name="f"), project.id, model.id)
    fresh_sim.clock.step(6)
    assert client.get_model_build(project.id, model.id, build.id).status == "built"
    deployment = client.create_model_deployment(
        cmlapi.CreateModelDeploymentRequest(cpu=1, memory=2), project.id, model.id, build.id
    )
    fresh_sim.clock.step(5)
    assert client.get_model_deployment(project.id, model.id, build.id, deployment.id).status == "deployed"
    request = cmlapi.CreateApplicationRequest(name="a", subdomain="shapes-app", script="app.py")
    app = client.create_application(project_id=project.id, body=request)
    assert app.status == "APPLICATION_STARTING"
    client.delete_job(project_id=project.id, job_id=job.id)
    client.delete_project(project_id=project.id)
    with pytest.raises(cmlapi.rest.ApiException) as info:
        client.get_project(project.id)
    assert info.value.status == 404 and info.value.reason == "Not Found" and "project not found" in info.value.body
    assert len(list(Cursor(client.list_runtimes).items())) == 16
    jupyter = list(Cursor(client.list_runtimes, search_filter=json.dumps({"image_identifier": "jupyter"})).items())
    assert jupyter and all("jupyter" in r.image_identifier for r in jupyter)
    assert len(client.list_projects().projects) == 6 and isinstance(client.list_projects().to_dict(), dict)


def test_request_class_body_is_checked_against_the_live_schema(client: Any) -> None:
    class Foreign:
        def to_dict(self) -> dict:
            return {"name": "x", "not_a_field": 1}

    with pytest.raises(errors.ParamError, match="unknown field 'not_a_field' in the body of create_project"):
        client.create_project(Foreign())


def test_pages_and_items_follow_tokens_and_repeat_arguments(fresh_sim: Simulator, client: Any) -> None:
    fresh_sim.forget()
    pages = list(client.list_runtimes.pages(page_size=4, search_filter=json.dumps({"editor": "Workbench"})))
    assert [len(p.runtimes) for p in pages] == [4, 4, 2]  # 10 seeded runtimes have "Workbench" in their editor
    queries = [s.query for s in fresh_sim.seen]
    assert all("page_size=4" in q and "search_filter" in q for q in queries)
    assert "page_token" in queries[1]
    before = len(fresh_sim.seen)
    items = client.list_runtimes.items(page_size=5)
    assert next(items).image_identifier and len(fresh_sim.seen) == before + 1  # lazily: one page so far
    assert len(list(client.list_runtimes.items(page_size=3, max_items=7))) == 7


def test_a_repeated_page_token_is_an_error(echo: Any) -> None:

    api = cmldyn.Client(echo.url, CANARY, spec=CML_SPEC)
    page = json.dumps({"projects": [{"id": "a"}], "next_page_token": "same"}).encode()
    for _ in range(3):
        echo.replies.append((200, {"Content-Type": "application/json"}, page))
    with pytest.raises(errors.PaginationError, match="did not advance.*after 2 pages"):
        list(api.list_projects.items())


def test_wait_for_project_job_run_success(client: Any, fresh_sim: Simulator) -> None:
    step = fresh_sim.clock.step
    project = client.create_project(name="waited", template="Python")
    ready = client.wait(project, sleep=step, delay=1)
    assert ready.creation_status == "success"
    job = client.create_job({"name": "t", "script": "train.py"}, project.id)
    run = client.create_job_run({}, project.id, job.id)
    seen: list[str] = []
    done = client.wait(run, sleep=step, delay=1, progress=seen.append)
    assert done.status == "ENGINE_SUCCEEDED" and seen[0].startswith("status: ENGINE_SCHEDULING")


def test_wait_for_model_build_then_deployment(client: Any, fresh_sim: Simulator) -> None:
    step = fresh_sim.clock.step
    pid = demo_id(client)
    model = client.create_model({"name": "wm"}, pid)
    build = client.wait(
        client.create_model_build({"file_path": "p.py", "function_name": "f"}, pid, model.id), sleep=step, delay=1
    )
    assert build.status == "built"
    deployment = client.create_model_deployment({"cpu": 1, "memory": 2}, pid, model.id, build.id)
    assert client.wait(deployment, sleep=step, delay=1).status == "deployed"
    stopped = client.stop_model_deployment(pid, model.id, build.id, deployment.id)
    assert client.wait(stopped, until="done", sleep=step).status == "stopped"


def test_a_failing_run_ends_the_wait_with_a_waiter_error(client: Any, fresh_sim: Simulator) -> None:
    pid = demo_id(client)
    job = client.create_job({"name": "bad", "script": "fail.py"}, pid)
    run = client.create_job_run({}, pid, job.id)
    with pytest.raises(errors.WaiterError, match="status is ENGINE_FAILED") as info:
        client.wait(run, sleep=fresh_sim.clock.step, delay=1)
    assert info.value.last_result.status == "ENGINE_FAILED"
    assert client.wait(run, until="done", sleep=fresh_sim.clock.step).status == "ENGINE_FAILED"


def test_wait_gives_up_after_attempts_and_on_a_get_operation(client: Any, fresh_sim: Simulator) -> None:
    pid = demo_id(client)
    app = client.create_application({"name": "w", "subdomain": "w-app", "script": "a.py"}, pid)
    with pytest.raises(errors.WaiterError, match="gave up after 2 attempts"):
        client.wait(app, max_attempts=2, sleep=lambda s: None)
    running = client.wait(client.get_application, pid, app.id, sleep=fresh_sim.clock.step, delay=1)
    assert running.status == "APPLICATION_RUNNING"
    with pytest.raises(errors.ParamError, match="no status field"):
        client.wait(client.list_projects)


def test_cli_wait(fresh_sim: Simulator) -> None:
    import io

    from cmldyn.cli import main

    fresh_sim.clock.set_speed(100)
    pid = next(p["id"] for p in fresh_sim.workspace.store("projects").values() if p["name"] == "demo")
    jid = next(iter(fresh_sim.workspace.store("projects/*/jobs", (pid,))))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--host", fresh_sim.url, "--token", CANARY, "call", "create_job_run", pid, jid, "--wait", "-q", "status"],
        stdout=out,
        stderr=err,
        env={},
    )
    assert code == 0, err.getvalue()
    assert json.loads(out.getvalue()) == "ENGINE_SUCCEEDED"
    code = main(["--host", fresh_sim.url, "--token", CANARY, "call", "list_projects", "--wait"], stdout=out, stderr=err, env={})
    assert code == 2 and "nothing to wait for" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    code = main(["--host", fresh_sim.url, "--token", CANARY, "call", "create_job_run", pid, jid, "arguments=--fail", "--wait"],
                stdout=out, stderr=err, env={})
    failed = next(r for r in fresh_sim.workspace.store("projects/*/jobs/*/runs", (pid, jid)).values()
                  if r["status"] == "ENGINE_FAILED")
    assert code == 7 and err.getvalue() == (f"cmldyn: error: job run {failed['id']}: status is ENGINE_FAILED: it will not "
                                            "reach success\n")


def test_a_cmlapi_script_runs_unchanged_but_for_its_import() -> None:
    with Simulator(token=CANARY, speed=200) as sim:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "scripts" / "cmlapi_workflow.py")],
            env={"CML_HOST": sim.url, "CML_API_KEY": CANARY, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "project" in out and "run" in out and "ENGINE_SUCCEEDED" in out
    assert "build built" in out and "deployment deployed" in out and "application running" in out
    assert "missing project: 404" in out and "WORKFLOW OK workflow-demo" in out
    assert CANARY not in out + proc.stderr


def test_progress_printer_writes_a_line_per_status_change() -> None:
    import io

    from cmldyn.output import progress_printer

    stream = io.StringIO()
    show = progress_printer(stream)
    for text in ("status: A (0 s, attempt 1)", "status: A (2 s, attempt 2)", "status: B\x1b[2J (4 s, attempt 3)"):
        show(text)
    assert stream.getvalue().splitlines() == [
        "waiting: status: A (0 s, attempt 1)",
        "waiting: status: B\\x1b[2J (4 s, attempt 3)",
    ]


def test_the_generated_clients_extras(fresh_sim: Simulator) -> None:
    """_request_timeout, async_req, <op>_with_http_info, _preload_content and _return_http_data_only."""
    import cmldyn as cmlapi

    client = cmlapi.Client(fresh_sim.url, CANARY, cache=False)
    assert len(client.list_projects(page_size=2, _request_timeout=5).projects) == 2
    assert client.list_projects(page_size=1, _request_timeout=(3, 10)).projects
    with pytest.raises(cmlapi.ParamError, match="_request_timeout"):
        client.list_projects(_request_timeout="soon")
    data, status, headers = client.list_projects_with_http_info(page_size=1)
    assert status == 200 and headers["content-type"] == "application/json" and len(data.projects) == 1
    data, status, _ = client.list_projects(page_size=1, _return_http_data_only=False)
    assert status == 200 and data.projects
    raw = client.list_projects(page_size=1, _preload_content=False)
    assert raw.status == 200 and json.loads(raw.data)["projects"] and raw.getheader("Content-Type") == "application/json"
    pending = client.list_projects(page_size=3, async_req=True)
    assert len(pending.get(timeout=10).projects) == 3 and pending.ready() and pending.successful()
    failing = client.get_project("no-such-project", async_req=True)
    failing.wait(10)
    assert failing.ready() and not failing.successful()
    with pytest.raises(cmlapi.NotFoundError):
        failing.get()
    client.close()


def test_an_async_call_to_a_stalled_server_times_out_without_hanging(fresh_sim: Simulator) -> None:
    import time

    import cmldyn as cmlapi

    client = cmlapi.Client(fresh_sim.url, CANARY, cache=False)
    fresh_sim.faults.add(path="^/api/v2/runtimes$", latency=3.0, times=1)
    started = time.monotonic()
    pending = client.list_runtimes(async_req=True)
    with pytest.raises(TimeoutError):
        pending.get(timeout=0.2)
    assert time.monotonic() - started < 2 and not pending.ready()
    assert pending.get(timeout=10).runtimes  # it still ends, in its own time
    client.close()


def test_configuration_proxy_carries_every_request() -> None:
    """Configuration.proxy: the spec and the calls go through the proxy (it sees absolute URLs)."""
    import cmldyn as cmlapi

    from .conftest import EchoServer

    spec = CML_SPEC.read_bytes()

    def proxy(record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if record["path"].endswith("/api/v2/swagger.json"):
            return 200, {"Content-Type": "application/json"}, spec
        return 200, {"Content-Type": "application/json"}, b'{"projects": [], "next_page_token": ""}'

    server = EchoServer(respond=proxy)
    try:
        config = cmlapi.Configuration()
        config.host = "http://workspace.invalid"  # never resolved: the proxy is asked instead
        config.proxy = server.url
        client = cmlapi.ApiClient(config)
        client.set_default_header("authorization", "Bearer " + CANARY)
        assert cmlapi.CMLServiceApi(client).list_projects().projects == []
        assert [r["path"] for r in server.requests] == ["http://workspace.invalid/api/v2/swagger.json",
                                                        "http://workspace.invalid/api/v2/projects"]
    finally:
        server.close()
