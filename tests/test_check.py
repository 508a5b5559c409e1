"""`cmldyn check`: the read-only crawl against the simulator (CML's and a generic one), its bounds,
its outputs (table, JSON, JUnit) and the read-only transport under it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.simulator import Simulator

from .conftest import CANARY, SPECS, assert_no_canary


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""), env={})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def test_check_demo_on_the_clean_cml_simulator_finds_nothing_and_says_what_it_reached() -> None:
    code, out, err = run(["check", "--demo", "--rate", "0"])
    assert code == 0, err
    summary = next(line for line in out.splitlines() if line.startswith("reached "))
    reached, total = int(summary.split()[1]), int(summary.split()[3])
    assert total == 69 and reached >= 45  # every GET of the CML spec; the rest say why not
    assert "findings: 0 error, 0 info, 0 advice" in summary
    assert "not reached (" in out and "list_projects" in out and "get_job_run" in out


def test_seeded_drift_is_found_exactly_with_json_and_junit(tmp_path: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        sim.faults.add(path="/runs$", drift="bad-enum,extra-field")
        sim.faults.add(path="^/api/v2/runtimes$", drift="wrong-type")
        junit = tmp_path / "check.xml"
        code, out, err = run(["check", "--host", sim.url, "--token", CANARY, "--rate", "0", "-o", "json",
                              "--junit", str(junit)])
        seeded = {(d.kind, d.where) for d in sim.drifted}
        methods = {s.method for s in sim.seen}
    assert code == 6 and err.startswith("cmldyn: error: ")  # --fail-on error by default
    report = json.loads(out)
    kinds = {"bad-enum": "enum", "extra-field": "unknown", "wrong-type": "type"}
    found = {(d["kind"], d["path"]) for op in report["operations"] for d in op["findings"]}
    assert found == {(kinds[k], where) for k, where in seeded} and len(found) >= 3  # all seeded, nothing else
    assert methods == {"GET"}
    tree = ElementTree.parse(junit)
    cases = tree.getroot().findall("./testsuite/testcase")
    assert len(cases) == report["read_only_operations"] == 69
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"list_job_runs", "list_runtimes"}
    assert CANARY not in junit.read_text()


def test_fail_on_warning_counts_extra_fields(fresh_sim: Simulator) -> None:
    fresh_sim.faults.add(path="^/api/v2/runtimes$", drift="extra-field")
    base = ["check", "--host", fresh_sim.url, "--token", CANARY, "--rate", "0"]
    assert run(base)[0] == 0  # an extra field is information only
    assert run([*base, "--fail-on", "warning"])[0] == 6


def test_the_bounds_stop_the_crawl(fresh_sim: Simulator) -> None:
    code, out, err = run(["check", "--host", fresh_sim.url, "--token", CANARY, "--max-calls", "5", "-o", "json",
                          "--rate", "0"])
    report = json.loads(out)
    assert code == 0 and report["calls"] == 5 and report["stopped"] == "--max-calls 5 reached"
    assert len([s for s in fresh_sim.seen if s.path != "/api/v2/swagger.json"]) == 5


def test_check_on_a_generic_simulator() -> None:
    with Simulator(spec=SPECS / "petstore-3.0.yaml", speed=0) as sim:
        code, out, err = run(["check", "--host", sim.url, "--spec", str(SPECS / "petstore-3.0.yaml"), "-o", "json",
                              "--rate", "0"])
    report = json.loads(out)
    assert code == 0, err
    reached = {op["operation"] for op in report["operations"] if op["calls"]}
    assert reached == {"list_pets", "get_pet"}  # get_pet with ids from list_pets; get_photo is a file


def test_the_transport_of_check_refuses_a_write(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    api.transport.read_only = True
    fresh_sim.forget()
    with pytest.raises(cmldyn.errors.UsageError, match="read-only"):
        api.create_project(name="never")
    with pytest.raises(cmldyn.errors.UsageError, match="read-only"):
        api.raw("POST", "/api/v2/projects", json={"name": "never"})
    assert fresh_sim.seen == []
    assert api.list_projects().projects  # reads still go


def test_the_rate_bound_spaces_the_calls(fresh_sim: Simulator) -> None:
    """--rate 2 waits half a second between calls; the clock and sleep are injected, so no real waiting."""
    from cmldyn.crawl import crawl

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    report = crawl(api, max_calls=4, rate=2.0, clock=lambda: now[0], sleep=sleep)
    assert report.calls == 4 and report.stopped == "--max-calls 4 reached"
    assert slept == [0.5, 0.5, 0.5]
    ticks = iter(range(10_000))  # a clock that moves a second at every look
    bounded = crawl(api, max_calls=50, rate=0, deadline=5.0, clock=lambda: float(next(ticks)))
    assert bounded.stopped == "--deadline 5 s reached" and bounded.calls < 5


def test_a_server_that_refuses_the_key_fails_the_check_with_the_auth_code(sim: Simulator, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    code, out, err = run(["check", "--host", sim.url, "--token", "not-the-key", "--rate", "0", "--max-calls", "20",
                          "--junit", str(report)])
    assert code == 4, err
    assert err.startswith("cmldyn: error: every call was refused (401 on ") and "nothing was checked" in err
    assert "hint: check the API key" in err and "refused (401): not checked" in out
    suite = ElementTree.parse(report).getroot()
    assert int(suite.get("failures", "0")) >= 1
    assert suite.find(".//failure[@type='auth']") is not None


def test_a_crawl_that_reaches_nothing_is_a_failure(tmp_path: Path) -> None:
    from .conftest import free_port

    port = free_port()  # nothing listens: every call fails to connect
    code, _, err = run(["check", "--host", f"http://127.0.0.1:{port}", "--token", CANARY,
                        "--spec", str(SPECS / "petstore-2.0.json"), "--rate", "0", "--max-calls", "5"])
    assert code == 3 and "no call got an answer" in err and "nothing was checked" in err
    writes_only = tmp_path / "writes.json"
    writes_only.write_text(json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/x": {"post": {"operationId": "MakeX", "responses": {"200": {"description": "ok"}}}}}}))
    code, _, err = run(["check", "--host", f"http://127.0.0.1:{port}", "--spec", str(writes_only), "--rate", "0"])
    assert code == 1 and "the crawl reached no operation" in err
