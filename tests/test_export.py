"""A call as curl, and every exchange as HAR 1.2: the printed command, run by a real shell against the
simulator, sends what the call sends and gets the same answer; the key is a variable, never inline; a HAR
file from a REPL session holds every call, parses as HAR 1.2, and never the key."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.simulator import Simulator

from .conftest import CANARY, spec_file

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def run_shell(command: str, **env: str) -> tuple[int, str]:
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ.get("PATH", ""), **env})
    return done.returncode, done.stdout


def last_seen(sim: Simulator) -> tuple[str, str, str, Any]:
    seen = sim.seen[-1]
    return seen.method, seen.path, seen.query, json.loads(seen.body) if seen.body else None


@pytest.mark.parametrize("operation, args, kwargs", [
    ("list_projects", (), {"search_filter": json.dumps({"name": "de mo"}), "page_size": 3}),
    ("create_project", ({"name": "it's \"quoted\" $HOME `x` ! ünï", "template": "local"},), {}),
    ("get_project", ("a b/ü?#%x",), {}),
    ("update_project", ({"description": "line one\nline two\\"},), {"project_id": "PROJECT"}),
])
def test_the_printed_command_sends_the_same_request_and_gets_the_same_answer(
        fresh_sim: Simulator, operation: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    if kwargs.get("project_id") == "PROJECT":
        kwargs = {"project_id": api.list_projects().projects[0].id}
    command = api.curl(operation, *args, **kwargs)
    assert CANARY not in command and '"${CML_API_KEY}"' not in command and "${CML_API_KEY}" in command
    code, out = run_shell(command, CML_API_KEY=CANARY)
    assert code == 0
    by_curl = last_seen(fresh_sim)
    got = json.loads(out)
    if operation == "create_project":  # names are unique: the call makes it again once curl's is gone
        api.delete_project(got["id"])
    try:
        answer: Any = getattr(api, operation)(*args, **kwargs).to_dict()
    except cmldyn.ApiError as error:
        answer = error.result
    assert last_seen(fresh_sim) == by_curl  # method, path, query and body, as the server received them
    if operation == "create_project":  # the same project but for what makes it new
        assert {k: v for k, v in got.items() if k not in ("id", "slug", "created_at", "updated_at")} == \
               {k: v for k, v in answer.items() if k not in ("id", "slug", "created_at", "updated_at")}
    elif operation == "update_project":
        assert {k: v for k, v in got.items() if k != "updated_at"} == {k: v for k, v in answer.items() if k != "updated_at"}
    else:
        assert got == answer


def test_without_the_variable_the_server_refuses_and_reveal_writes_the_key(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, cache=False)
    command = api.curl("list_projects")
    code, out = run_shell(command)  # CML_API_KEY unset
    assert code == 0 and json.loads(out)["code"] == 16  # CML's "unauthenticated": no key was sent
    revealed = api.curl("list_projects", reveal=True)
    assert CANARY in revealed and json.loads(run_shell(revealed)[1])["projects"]


def test_other_security_schemes_are_variables_too(tmp_path: Path) -> None:
    with Simulator(token=CANARY, spec=str(spec_file("security.yaml")), speed=0) as sim:
        api = cmldyn.Client(sim.url, CANARY, spec=str(spec_file("security.yaml")), user="ada", password=CANARY,
                            cache=False)
        for operation, where in (("key_in_query", "api_key=${CML_API_KEY}"), ("key_in_header", "${CML_API_KEY}"),
                                 ("basic_auth", "-u \"ada:${CMLDYN_PASSWORD}\"")):
            command = api.curl(operation)
            assert where in command and CANARY not in command, command  # the key and the password alike
            code, out = run_shell(command, CML_API_KEY=CANARY, CMLDYN_PASSWORD=CANARY)
            assert code == 0 and json.loads(out) == getattr(api, operation)().to_dict(), (operation, out)


def test_call_curl_prints_and_sends_nothing(fresh_sim: Simulator) -> None:
    out, err = io.StringIO(), io.StringIO()
    before = len(fresh_sim.seen)
    code = main(["--host", fresh_sim.url, "--token", CANARY, "call", "create_project", "name=by-curl", "--curl"],
                stdout=out, stderr=err, env={})
    assert code == 0 and out.getvalue().startswith("curl -sS -X POST ") and CANARY not in out.getvalue() + err.getvalue()
    assert [s for s in list(fresh_sim.seen)[before:] if s.method != "GET"] == []
    assert run_shell(out.getvalue(), CML_API_KEY=CANARY)[0] == 0
    assert any(p["name"] == "by-curl" for p in cmldyn.Client(fresh_sim.url, CANARY).list_projects().to_dict()["projects"])
    code = main(["--host", fresh_sim.url, "--token", CANARY, "call", "list_projects", "--reveal"],
                stdout=io.StringIO(), stderr=err, env={})
    assert code == 2 and "--reveal goes with --curl" in err.getvalue()


# ---------------------------------------------------------------------------------------------- HAR

HAR_REQUEST = {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"}
HAR_RESPONSE = {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize",
                "bodySize"}


def check_har(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The parts of HAR 1.2 every reader relies on, with their types."""
    log = document["log"]
    assert log["version"] == "1.2" and {"name", "version"} <= set(log["creator"]) and isinstance(log["pages"], list)
    for entry in log["entries"]:
        assert isinstance(entry["startedDateTime"], str) and entry["startedDateTime"].endswith("Z")
        assert isinstance(entry["time"], (int, float)) and entry["time"] >= 0
        assert HAR_REQUEST <= set(entry["request"]) and HAR_RESPONSE <= set(entry["response"])
        assert {"size", "mimeType"} <= set(entry["response"]["content"]) and isinstance(entry["cache"], dict)
        assert {"send", "wait", "receive"} <= set(entry["timings"])
        for header in entry["request"]["headers"] + entry["response"]["headers"]:
            assert set(header) == {"name", "value"} and isinstance(header["value"], str)
        if "postData" in entry["request"]:
            assert {"mimeType", "text"} <= set(entry["request"]["postData"])
    entries: list[dict[str, Any]] = log["entries"]
    return entries


def test_a_repl_session_as_har(fresh_sim: Simulator, tmp_path: Path) -> None:
    from cmldyn.repl.commands import Console
    from cmldyn.repl.session import make_namespace, run_lines

    console = Console(make_namespace(cmldyn.Client(fresh_sim.url, CANARY, cache=False)), secrets=(CANARY,))
    before = len(fresh_sim.seen)
    lines = ["api.list_projects(page_size=2)",
             "p = api.create_project({'name': 'har-proj', 'template': 'local'})",
             "api.update_project({'environment': '{\"DB_PASSWORD\": \"pw-in-env-1\"}'}, p.id)",
             "api.get_project('no-such-project')",
             ".curl", f".har {tmp_path / 'session.har'}", f".har {tmp_path / 'session.har'}"]
    out = io.StringIO()
    run_lines(console, io.StringIO("\n".join(lines) + "\n"), out)
    printed = out.getvalue()
    assert "curl -sS" in printed and "/api/v2/projects/no-such-project" in printed
    assert "wrote 4 requests" in printed and "already exists" in printed  # .har! replaces
    path = tmp_path / "session.har"
    text = path.read_text(encoding="utf-8")
    assert CANARY not in text and "pw-in-env-1" not in text and stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = check_har(json.loads(text))
    sent = list(fresh_sim.seen)[before:]
    assert [(e["request"]["method"], e["request"]["url"].split("/api/v2")[1]) for e in entries] == \
           [(s.method, s.path.split("/api/v2")[1] + (f"?{s.query}" if s.query else "")) for s in sent]
    assert [e["response"]["status"] for e in entries] == [200, 200, 200, 404]
    assert json.loads(entries[1]["request"]["postData"]["text"])["name"] == "har-proj"
    assert dict((h["name"].lower(), h["value"]) for h in entries[0]["request"]["headers"])["authorization"] == "***"


def test_har_on_any_command_even_a_failing_one(fresh_sim: Simulator, tmp_path: Path) -> None:
    har = tmp_path / "run.har"
    err = io.StringIO()
    code = main(["--host", fresh_sim.url, "--token", CANARY, "--har", str(har), "call", "get_project", "missing"],
                stdout=io.StringIO(), stderr=err, env={})
    assert code == 1 and len(err.getvalue().splitlines()) <= 2
    entries = check_har(json.loads(har.read_text(encoding="utf-8")))
    assert [e["response"]["status"] for e in entries] == [404] and CANARY not in har.read_text(encoding="utf-8")
    code = main(["--host", fresh_sim.url, "--token", CANARY, "--har", str(tmp_path / "no" / "dir.har"), "call",
                 "list_projects"], stdout=io.StringIO(), stderr=err, env={})
    assert code == 0 and "--har" in err.getvalue() and "not written" in err.getvalue()


def test_bodies_are_bounded_and_masked_before_the_cut() -> None:
    from cmldyn.export import HarRecorder
    from cmldyn.wire import Exchange

    recorder = HarRecorder(max_body=100, max_entries=3)
    big = json.dumps({"password": "pw-secret-2", "api_key": "k-secret-3", "items": ["x" * 50] * 10}).encode()
    for _ in range(5):
        recorder.add(Exchange(0.0, "GET", "http://h/x", [], None, 200, "OK", [("Content-Type", "application/json")],
                              big, 0.01))
    document = recorder.document()
    entries = document["log"]["entries"]
    assert len(entries) == 3 and recorder.dropped == 2 and "dropped" in document["log"]["comment"]
    content = entries[0]["response"]["content"]
    assert len(content["text"]) == 100 and "cut at 100" in content["comment"] and content["size"] == len(big)
    assert "pw-secret-2" not in json.dumps(document) and "k-secret-3" not in json.dumps(document)
    assert content["text"].startswith('{"password": "***", "api_key": "***"')  # masked whole, then cut
