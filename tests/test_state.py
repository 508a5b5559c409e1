"""A simulator's state as a file: captured from a server (read-only, redacted, 0600), served back answer for
answer; saved on exit and loaded again; refused when damaged; and the same answers for the same --seed."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn.cli import main
from cmldyn.crawl import crawl
from cmldyn.jsonvalue import mask
from cmldyn.simulator import Simulator
from cmldyn.simulator.state import REDACTED

from .conftest import CANARY, ROOT, free_port

ENV_CANARY = "envcanary-9f1d3b"
FIELD_CANARY = "fieldcanary-77ac20"
COMPUTED = ("next_page_token",)  # what the simulator works out itself, rather than keeps


def normal(value: Any) -> Any:
    """An answer as it is compared: the simulator's own computed fields left out."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items() if k not in COMPUTED}
    if isinstance(value, list):
        return [normal(v) for v in value]
    return value


def test_capture_a_server_then_serve_it_back_answer_for_answer(tmp_path: Path) -> None:
    out_file = tmp_path / "state.json"
    with Simulator(token=CANARY, speed=0) as source:
        api = cmldyn.Client(source.url, CANARY, cache=False)
        pid = api.list_projects(search_filter=json.dumps({"name": "demo"})).projects[0].id
        api.create_job(project_id=pid, name="with-secrets", script="a.py",
                       runtime_identifier=api.list_runtimes(page_size=1).runtimes[0].image_identifier,
                       environment={"DB_PASSWORD": ENV_CANARY, "MODE": "fast"})
        source.workspace.store("projects")[pid]["api_key"] = FIELD_CANARY  # a key-named field the server holds
        source.forget()
        started = time.monotonic()
        out, err = io.StringIO(), io.StringIO()
        code = main(["--host", source.url, "--token", CANARY, "sim", "capture", "--out", str(out_file), "--rate", "0"],
                    stdout=out, stderr=err, env={})
        took = time.monotonic() - started
        assert code == 0, err.getvalue()
        assert {s.method for s in source.seen} == {"GET"}  # the server was only read
        text = out_file.read_text()
        assert ENV_CANARY not in text and FIELD_CANARY not in text and CANARY not in text
        assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
        summary = out.getvalue()
        captured = int(summary.split()[1])
        assert summary.startswith("captured ") and captured >= 20 and "not captured (" in summary
        reads: list[tuple[Any, dict[str, str], Any]] = []
        crawl(api, rate=0, on_answer=lambda op, args, data: reads.append((op, args, data)))
        with Simulator(token=CANARY, speed=0, state=str(out_file)) as copy:
            served = cmldyn.Client(copy.url, CANARY, cache=False)
            differ = []
            for op, args, data in reads:
                again = served.call(op.name, **args)
                theirs = again.to_dict() if hasattr(again, "to_dict") else again
                if normal(theirs) != normal(mask(data, placeholder=REDACTED)):
                    differ.append(op.name)
            assert copy.state_notes == []
    assert len(reads) >= 30 and differ == []
    job = next(j for j in json.loads(text)["collections"] if j["collection"] == "projects/*/jobs")
    env = json.loads(next(o for o in job["objects"].values() if o["name"] == "with-secrets")["environment"])
    assert env == {"DB_PASSWORD": REDACTED, "MODE": REDACTED}  # names kept, values not
    print(f"capture: {captured} objects, {len(reads)} reads compared, {took:.2f} s")


def test_keep_env_keeps_environments_but_never_secret_named_fields(tmp_path: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        pid = next(iter(sim.workspace.store("projects")))
        sim.workspace.store("projects")[pid]["environment"] = json.dumps({"MODE": ENV_CANARY})
        sim.workspace.store("projects")[pid]["token"] = FIELD_CANARY
        sim.save(str(tmp_path / "kept.json"), keep_env=True)
    text = (tmp_path / "kept.json").read_text()
    assert ENV_CANARY in text and FIELD_CANARY not in text


def run_sim(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cmldyn", "sim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def wait_up(proc: subprocess.Popen[str]) -> None:
    line = ""
    deadline = time.monotonic() + 30
    while "stop with Ctrl-C" not in line and time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line or proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]


def test_state_lasts_across_runs_with_save(tmp_path: Path) -> None:
    path = str(tmp_path / "sim-state.json")
    port = str(free_port())
    first = run_sim("--port", port, "--token", CANARY, "--state", path, "--save")
    try:
        wait_up(first)
        api = cmldyn.Client(f"http://127.0.0.1:{port}", CANARY, cache=False)
        api.create_project(name="survives-a-restart", template="blank")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = run_sim("--port", port, "--token", CANARY, "--state", path)
    try:
        wait_up(second)
        api = cmldyn.Client(f"http://127.0.0.1:{port}", CANARY, cache=False)
        assert "survives-a-restart" in [p.name for p in api.list_projects(page_size=50).projects]
    finally:
        second.kill()
        second.communicate(timeout=30)


@pytest.mark.parametrize("damage", ["truncated", "foreign", "not json"])
def test_a_damaged_or_foreign_state_file_is_refused_and_left_alone(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "state.json"
    with Simulator(token=CANARY, speed=0) as sim:
        sim.save(str(path))
    whole = path.read_bytes()
    path.write_bytes({"truncated": whole[: len(whole) // 2], "foreign": b'{"format": "something-else"}',
                      "not json": b"\x00\xffnope"}[damage])
    before = path.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    code = main(["sim", "--state", str(path), "--port", "0"], stdout=out, stderr=err, env={})
    assert code == 5 and err.getvalue().startswith("cmldyn: error: ") and len(err.getvalue().splitlines()) <= 2
    assert path.read_bytes() == before


def test_a_state_from_another_version_of_the_spec_loads_what_fits(tmp_path: Path) -> None:
    with Simulator(token=CANARY, speed=0) as sim:
        state = sim.snapshot()
    state["spec"]["sha256"] = "another version"
    state["collections"].append({"collection": "gadgets/*/widgets", "parents": ["x"], "objects": {"w1": {"id": "w1"}}})
    with Simulator(token=CANARY, speed=0, state=state) as sim:
        notes = sim.state_notes
        assert notes[0].startswith("the state was written for another version of the spec")
        assert "dropped 1 object of gadgets/*/widgets (no such collection in this spec)" in notes
        assert sim.workspace.store("projects")  # what fits is there


def test_the_same_seed_gives_byte_identical_answers() -> None:
    def session() -> list[bytes]:
        import requests

        with Simulator(token=CANARY, speed=0, rng_seed=42, progression="manual") as sim:
            auth = {"authorization": "Bearer " + CANARY}
            answers = [requests.get(sim.url + "/api/v2/projects", headers=auth, timeout=10).content]
            made = requests.post(sim.url + "/api/v2/projects", json={"name": "seeded", "template": "blank"}, headers=auth,
                                 timeout=10)
            answers.append(made.content)
            answers.append(requests.get(sim.url + f"/api/v2/projects/{made.json()['id']}", headers=auth, timeout=10).content)
            answers.append(requests.get(sim.url + "/api/v2/runtimes", headers=auth, timeout=10).content)
        return answers

    first, second = session(), session()
    assert first == second and b"2026-01-01T" in first[0]
    assert session() != [b""] * 4
