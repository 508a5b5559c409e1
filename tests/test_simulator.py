"""The simulator over HTTP with requests directly (not through the client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from cmldyn.simulator import Simulator

from .conftest import CANARY


class Http:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["authorization"] = "Bearer " + sim.token

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.sim.url + path, timeout=10, **kwargs)


@pytest.fixture()
def http(fresh_sim: Simulator) -> Iterator[Http]:
    client = Http(fresh_sim)
    yield client
    client.session.close()


def demo_project(http: Http) -> dict[str, Any]:
    return http("GET", "/api/v2/projects", params={"search_filter": json.dumps({"name": "demo"})}).json()["projects"][0]


def test_curl_quick_start(http: Http) -> None:
    listing = http("GET", "/api/v2/projects")
    assert listing.status_code == 200
    assert len(listing.json()["projects"]) == 6
    demo = http("GET", "/api/v2/projects?searchFilter=demo").json()["projects"]
    assert [p["name"] for p in demo] == ["demo"]
    first = http("GET", "/api/v2/projects?pageSize=2").json()
    assert len(first["projects"]) == 2 and first["next_page_token"]
    second = http("GET", f"/api/v2/projects?pageSize=2&pageToken={first['next_page_token']}").json()
    assert len(second["projects"]) == 2
    assert {p["id"] for p in first["projects"]}.isdisjoint(p["id"] for p in second["projects"])


@pytest.mark.parametrize("header", [None, CANARY, "Basic abc", "bearer " + CANARY])
def test_missing_bearer_prefix(fresh_sim: Simulator, header: str | None) -> None:
    headers = {"authorization": header} if header else {}
    response = requests.get(fresh_sim.url + "/api/v2/projects", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": 'missing "Bearer " prefix in "authorization" header', "code": 16,
                               "message": 'missing "Bearer " prefix in "authorization" header', "details": []}


def test_wrong_key_is_401(fresh_sim: Simulator) -> None:
    response = requests.get(fresh_sim.url + "/api/v2/projects", headers={"authorization": "Bearer nope"}, timeout=10)
    assert response.status_code == 401 and response.json()["code"] == 16


def test_spec_is_served_without_auth_with_etag(fresh_sim: Simulator) -> None:
    first = requests.get(fresh_sim.url + "/api/v2/swagger.json", timeout=10)
    assert first.status_code == 200 and first.json()["swagger"] == "2.0"
    etag = first.headers["ETag"]
    again = requests.get(fresh_sim.url + "/api/v2/swagger.json", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_pages_walk_the_whole_list_in_both_spellings(http: Http) -> None:
    for size_name, token_name in (("page_size", "page_token"), ("pageSize", "pageToken")):
        names: list[str] = []
        params: dict[str, Any] = {size_name: 4}
        while True:
            body = http("GET", "/api/v2/runtimes", params=params).json()
            names += [r["image_identifier"] for r in body["runtimes"]]
            if not body["next_page_token"]:
                break
            params[token_name] = body["next_page_token"]
        assert len(names) == len(set(names)) == 16


def test_default_page_size_is_ten(http: Http) -> None:
    body = http("GET", "/api/v2/runtimes").json()
    assert len(body["runtimes"]) == 10 and body["next_page_token"]


def test_bad_page_token_is_400(http: Http) -> None:
    response = http("GET", "/api/v2/projects", params={"page_token": "garbage!"})
    assert response.status_code == 400 and response.json()["code"] == 3


def test_search_filter_is_case_sensitive_and_dotted(http: Http) -> None:
    def found(wanted: dict[str, Any]) -> list[str]:
        answer = http("GET", "/api/v2/projects", params={"search_filter": json.dumps(wanted)}).json()
        return [p["name"] for p in answer["projects"]]

    assert found({"name": "DS"}) == ["DSE-sandbox"]
    assert found({"name": "dse"}) == []
    assert len(found({"creator.username": "simuser"})) == 6
    runtimes = http(
        "GET", "/api/v2/runtimes", params={"search_filter": json.dumps({"editor": "Jupyter"}), "page_size": 50}
    ).json()["runtimes"]
    assert runtimes and all("Jupyter" in r["editor"] for r in runtimes)


def test_sort_ascending_and_descending(http: Http) -> None:
    names = [p["name"] for p in http("GET", "/api/v2/projects", params={"sort": "name"}).json()["projects"]]
    assert names == sorted(names)
    names = [p["name"] for p in http("GET", "/api/v2/projects", params={"sort": "-name"}).json()["projects"]]
    assert names == sorted(names, reverse=True)


def test_project_lifecycle_and_crud(http: Http, fresh_sim: Simulator) -> None:
    created = http("POST", "/api/v2/projects", json={"name": "new-one", "template": "Python"}).json()
    assert created["creation_status"] == "" and created["creator"]["username"] == "simuser"
    fresh_sim.clock.step(2.5)
    got = http("GET", f"/api/v2/projects/{created['id']}").json()
    assert got["creation_status"] == "success"
    patched = http("PATCH", f"/api/v2/projects/{created['id']}", json={"description": "changed"}).json()
    assert patched["description"] == "changed" and patched["name"] == "new-one"
    assert http("DELETE", f"/api/v2/projects/{created['id']}").status_code == 200
    missing = http("GET", f"/api/v2/projects/{created['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == 5


def test_job_run_lifecycle_success_failure_and_stop(http: Http, fresh_sim: Simulator) -> None:
    pid = demo_project(http)["id"]
    job = http("POST", f"/api/v2/projects/{pid}/jobs", json={"name": "j", "script": "main.py"}).json()
    bad = http("POST", f"/api/v2/projects/{pid}/jobs", json={"name": "f", "script": "fail.py"}).json()
    run = http("POST", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs", json={}).json()
    failing = http("POST", f"/api/v2/projects/{pid}/jobs/{bad['id']}/runs", json={}).json()
    stopped = http("POST", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs", json={}).json()
    assert run["status"] == "ENGINE_SCHEDULING"
    statuses = []
    for _ in range(6):
        fresh_sim.clock.step(1)
        statuses.append(http("GET", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs/{run['id']}").json()["status"])
    assert statuses[0] == "ENGINE_STARTING" and "ENGINE_RUNNING" in statuses and statuses[-1] == "ENGINE_SUCCEEDED"
    assert http("GET", f"/api/v2/projects/{pid}/jobs/{bad['id']}/runs/{failing['id']}").json()["status"] == "ENGINE_FAILED"
    # A run stopped while running stays stopped.
    second = http("POST", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs", json={}).json()
    fresh_sim.clock.step(2)
    answer = http("POST", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs/{second['id']}:stop")
    assert answer.status_code == 200 and answer.json()["status"] == "ENGINE_STOPPED"
    fresh_sim.clock.step(10)
    assert http("GET", f"/api/v2/projects/{pid}/jobs/{job['id']}/runs/{second['id']}").json()["status"] == "ENGINE_STOPPED"
    assert stopped["id"] != second["id"]


def test_model_build_and_deployment_lifecycle(http: Http, fresh_sim: Simulator) -> None:
    pid = demo_project(http)["id"]
    model = http("POST", f"/api/v2/projects/{pid}/models", json={"name": "m", "description": "d"}).json()
    base = f"/api/v2/projects/{pid}/models/{model['id']}/builds"
    build = http("POST", base, json={"file_path": "predict.py", "function_name": "predict"}).json()
    early = http("POST", f"{base}/{build['id']}/deployments", json={"cpu": 1, "memory": 2})
    assert early.status_code == 400  # not built yet
    fresh_sim.clock.step(6)
    assert http("GET", f"{base}/{build['id']}").json()["status"] == "built"
    deployment = http("POST", f"{base}/{build['id']}/deployments", json={"cpu": 1, "memory": 2}).json()
    fresh_sim.clock.step(5)
    dep_url = f"{base}/{build['id']}/deployments/{deployment['id']}"
    assert http("GET", dep_url).json()["status"] == "deployed"
    assert http("POST", dep_url + ":stop").json()["status"] == "stopped"
    assert http("POST", dep_url + ":restart").json()["status"] == "pending"
    fresh_sim.clock.step(5)
    assert http("GET", dep_url).json()["status"] == "deployed"
    failed = http("POST", base, json={"file_path": "fail_predict.py", "function_name": "predict"}).json()
    fresh_sim.clock.step(6)
    assert http("GET", f"{base}/{failed['id']}").json()["status"] == "build failed"


def test_application_lifecycle(http: Http, fresh_sim: Simulator) -> None:
    pid = demo_project(http)["id"]
    app = http(
        "POST", f"/api/v2/projects/{pid}/applications", json={"name": "a", "subdomain": "a-app", "script": "app.py"}
    ).json()
    assert app["status"] == "APPLICATION_STARTING"
    fresh_sim.clock.step(3)
    url = f"/api/v2/projects/{pid}/applications/{app['id']}"
    assert http("GET", url).json()["status"] == "APPLICATION_RUNNING"
    assert http("POST", url + ":stop").json()["status"] == "APPLICATION_STOPPED"
    assert http("POST", url + ":restart").json()["status"] == "APPLICATION_STARTING"
    fresh_sim.clock.step(3)
    assert http("GET", url).json()["status"] == "APPLICATION_RUNNING"


def test_files_list_upload_never_overwrites_download(http: Http) -> None:
    pid = demo_project(http)["id"]
    listing = http("GET", f"/api/v2/projects/{pid}/files/%2F").json()["files"]
    assert {"path": "README.md", "is_dir": False, "file_size": str(len("# demo\n"))} in listing
    for content in (b"one", b"two"):
        response = http("POST", f"/api/v2/projects/{pid}/files", files={"data/a.txt": ("a.txt", content)})
        assert response.status_code == 200
    names = [f["path"] for f in http("GET", f"/api/v2/projects/{pid}/files/data").json()["files"]]
    assert names == ["a(1).txt", "a.txt"]
    assert http("POST", f"/api/v2/projects/{pid}/files/data%2Fa.txt:download").content == b"one"
    assert http("POST", f"/api/v2/projects/{pid}/files/data%2Fa%281%29.txt:download").content == b"two"


def test_validation_names_the_field(http: Http) -> None:
    pid = demo_project(http)["id"]
    cases = [
        (b"{not json", "not valid JSON"),
        (json.dumps({"name": "j"}).encode(), "missing required field: script"),
        (json.dumps({"name": "j", "script": "a.py", "cpu": "lots"}).encode(), "invalid value for field cpu"),
        (json.dumps({"name": "j", "script": "a.py", "bogus": 1}).encode(), 'unknown field "bogus"'),
    ]
    for body, message in cases:
        response = http("POST", f"/api/v2/projects/{pid}/jobs", data=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, body
        assert response.json()["code"] == 3
        assert message in response.json()["message"]
    bad_query = http("GET", "/api/v2/projects", params={"page_size": "x"})
    assert bad_query.status_code == 400 and "page_size" in bad_query.json()["message"]


def test_unknown_ids_are_404_in_cml_shape(http: Http) -> None:
    response = http("GET", "/api/v2/projects/nope/jobs")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "code", "message", "details"}
    assert http("GET", "/api/v2/no/such/route").status_code == 404


def test_validate_key_audiences(http: Http) -> None:
    ok = http("POST", "/api/v2/auth/validate_key", json={"audience": "API"})
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert http("POST", "/api/v2/auth/validate_key", json={"audience": "Application"}).status_code == 403


def test_faults_status_retry_after_and_drop(http: Http, fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/projects$", status=503, times=1, retry_after="2")
    first = http("GET", "/api/v2/projects")
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    assert http("GET", "/api/v2/projects").status_code == 200
    fresh_sim.faults.add(path="^/api/v2/runtimes$", drop=True, times=1)
    with pytest.raises(requests.exceptions.RequestException):
        http("GET", "/api/v2/runtimes").json()


def test_every_operation_answers_a_valid_request_without_5xx(fresh_sim: Simulator) -> None:
    index = fresh_sim.index  # CML's, with the profile's required fields
    http = Http(fresh_sim)
    pid = demo_project(http)["id"]
    failures = []
    for route in index.routes:
        path = route.template
        for name in route.names:
            value = pid if name in ("project_id", "project.id", "experiment.project_id") else "x1"
            path = path.replace("{" + name + "}", value)
        kwargs: dict[str, Any] = {}
        view = index.body_view(route)
        if view is not None:
            body = index.sample(view)
            for field in index.required_fields(view):
                body[field] = body.get(field) or "x"
            kwargs["json"] = body
        if any(p.get("in") == "formData" for p in route.op.get("parameters", [])):
            kwargs["files"] = {"upload.txt": ("upload.txt", b"data")}
        response = http(route.method, path, **kwargs)
        if response.status_code >= 500:
            failures.append((route.operation_id, response.status_code, response.text[:200]))
    assert failures == []
    assert len(index.routes) == 158


def test_cmldyn_sim_command_serves_and_stops_cleanly_on_ctrl_c() -> None:
    import signal
    import subprocess
    import sys

    from .conftest import ROOT

    proc = subprocess.Popen(
        [sys.executable, "-m", "cmldyn", "sim", "--port", "0", "--token", "k-123", "--seed", "empty", "--speed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        url = first.split(" at ")[1].strip()
        key_line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "k-123" in key_line
        answer = requests.get(url + "/api/v2/projects", headers={"authorization": "Bearer k-123"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["projects"] == []
        assert (
            len(
                requests.get(url + "/api/v2/runtimes?page_size=50", headers={"authorization": "Bearer k-123"}, timeout=10).json()[
                    "runtimes"
                ]
            )
            == 16
        )
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_a_fault_can_let_the_first_requests_through(http: Http, fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/runtimes$", status=500, after=2, times=1)
    codes = [http("GET", "/api/v2/runtimes").status_code for _ in range(4)]
    assert codes == [200, 200, 500, 200]


def test_schemathesis_finds_the_simulator_true_to_its_spec(fresh_sim: Simulator, tmp_path: Path) -> None:
    """Schemathesis fuzzes every operation; the simulator answers without 5xx, with documented
    status codes and content types, and with bodies that match the response schemas."""
    import shutil
    import subprocess
    import sys

    tool = Path(sys.executable).parent / "st"
    if not tool.exists() and shutil.which("st") is None:
        pytest.skip("schemathesis is not installed (pip install '.[test]')")
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    # The two download operations declare only application/octet-stream, yet their errors are JSON
    # (as a real workspace's are): the content-type check cannot pass on their 404s, so they are
    # left to test_files_list_upload_never_overwrites_download.
    done = subprocess.run(
        [
            str(tool if tool.exists() else "st"),
            "run",
            fresh_sim.url + "/api/v2/swagger.json",
            "-H",
            f"authorization: Bearer {fresh_sim.token}",
            "--url",
            fresh_sim.url,
            "--checks",
            checks,
            "--exclude-operation-id",
            "DownloadProjectFile",
            "--exclude-operation-id",
            "DownloadDiagnosticsBundle",
            "--max-examples",
            "4",
            "--phases",
            "fuzzing",
            "--workers",
            "1",
            "--seed",
            "7",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # Schemathesis keeps its cache in the working directory: not in the repo
    )
    summary = done.stdout[done.stdout.find("SUMMARY") :]
    # "Schema Error" is Schemathesis failing to generate data for a few operations of the served
    # spec (form uploads, format "boolean"); failures would be the simulator's.
    assert "Failures:" not in summary, done.stdout[-4000:]
    assert "Test cases:" in summary and "generated" in summary


def test_binary_operations_answer_bytes(http: Http) -> None:
    response = http("GET", "/api/v2/diagnostics/download/req-1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream" and response.content
