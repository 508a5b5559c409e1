"""The simulator for any spec: the petstore 2.0 and 3.0 fixtures and the grpc-gateway style one,
driven through cmldyn (and, for what cmldyn refuses to send, through plain requests)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

import cmldyn
from cmldyn.cli import main
from cmldyn.simulator import Simulator

from .conftest import CANARY, ROOT, SPECS, assert_no_canary, free_port


@pytest.fixture()
def petstore3() -> Iterator[Simulator]:
    with Simulator(spec=SPECS / "petstore-3.0.yaml", token=CANARY, speed=0) as server:
        yield server


def client(sim: Simulator, spec: str) -> cmldyn.Client:
    return cmldyn.Client(sim.url, sim.token, spec=SPECS / spec, cache=False)


# Each fixture's round trip in its own words: (create, list names, get, update, delete).
Steps = tuple[Callable[..., Any], ...]


def _petstore3(api: cmldyn.Client) -> Steps:
    return (lambda: api.create_pet(name="bramble", tag="dog"), lambda: [p.name for p in api.list_pets()],
            lambda ident: api.get_pet(str(ident)), lambda ident: api.update_pet({"tag": "cat"}, str(ident)),
            lambda ident: api.delete_pet(str(ident)))


def _petstore2(api: cmldyn.Client) -> Steps:
    return (lambda: api.create_pet(name="bramble", tag="dog"), lambda: [p.name for p in api.list_pets()],
            lambda ident: api.show_pet_by_id(str(ident)),
            lambda ident: api.update_pet({"name": "bramble", "tag": "cat"}, str(ident)),
            lambda ident: api.delete_pet(str(ident)))


def _grpc(api: cmldyn.Client) -> Steps:
    return (lambda: api.create_shelf(name="bramble", theme="dog"),
            lambda: [s.name for s in api.list_shelves(page_size=50).shelves],
            lambda ident: api.get_shelf(ident), lambda ident: api.update_shelf({"name": ident, "theme": "cat"}),
            lambda ident: api.delete_shelf(ident))


@pytest.mark.parametrize("spec, steps, key", [
    ("petstore-3.0.yaml", _petstore3, "id"),
    ("petstore-2.0.json", _petstore2, "id"),
    ("grpc-gateway-v2.json", _grpc, "name"),
])
def test_create_list_get_update_delete_then_404(spec: str, steps: Callable[[cmldyn.Client], Steps], key: str) -> None:
    with Simulator(spec=SPECS / spec, token=CANARY, speed=0) as sim:
        api = client(sim, spec)
        create, names, get, update, delete = steps(api)
        created = create()
        ident = created[key]
        assert created.name == "bramble"
        assert "bramble" in names()
        assert get(ident).to_dict() == created.to_dict()
        updated = update(ident)
        got = get(ident)
        field = "theme" if spec.startswith("grpc") else "tag"
        assert updated[field] == "cat" and got[field] == "cat" and got.name == "bramble"
        delete(ident)
        with pytest.raises(cmldyn.NotFoundError):
            get(ident)
        assert "bramble" not in names()


@pytest.mark.parametrize("spec, path, shape", [
    ("petstore-3.0.yaml", "/api/v3/pets", {"status": 400}),  # Problem: status and title
    ("petstore-2.0.json", "/v1/pets", {"code": 400}),  # Error: code and message
    ("grpc-gateway-v2.json", "/v1/shelves", {"code": 3}),  # rpcStatus: the grpc code
])
def test_a_request_missing_a_required_field_is_a_400_in_the_specs_error_shape(spec: str, path: str,
                                                                               shape: dict[str, Any]) -> None:
    with Simulator(spec=SPECS / spec, token=CANARY, speed=0) as sim:
        params = {"api_key": CANARY} if spec == "petstore-2.0.json" else {}
        body: Any = {"tag": "no name"} if "pets" in path else {"theme": 5}
        answer = requests.post(sim.url + path, json=body, params=params, timeout=10)
        assert answer.status_code == 400
        found = answer.json()
        assert {k: found[k] for k in shape} == shape
        text = " ".join(str(found.get(k, "")) for k in ("detail", "message"))
        assert "name" in text or "theme" in text
        if spec == "petstore-3.0.yaml":
            assert answer.headers["Content-Type"] == "application/problem+json"


def test_the_specs_security_is_enforced(petstore3: Simulator) -> None:
    with Simulator(spec=SPECS / "petstore-2.0.json", token=CANARY, speed=0) as sim:
        refused = requests.get(sim.url + "/v1/pets", timeout=10)
        assert refused.status_code == 401 and "api_key" in refused.json()["message"]
        assert requests.get(sim.url + "/v1/pets", params={"api_key": "wrong"}, timeout=10).status_code == 401
        assert len(client(sim, "petstore-2.0.json").list_pets()) == 3  # the key goes in the query, as declared
    # No security declared: nothing asked for.
    assert requests.get(petstore3.url + "/api/v3/pets", timeout=10).status_code == 200


def test_security_schemes_of_every_kind_are_checked() -> None:
    with Simulator(spec=SPECS / "security.yaml", token=CANARY, speed=0) as sim:
        url = sim.url
        assert requests.get(url + "/header", headers={"X-API-Key": CANARY}, timeout=10).status_code == 200
        assert requests.get(url + "/header", headers={"X-API-Key": "x"}, timeout=10).status_code == 401
        assert requests.get(url + "/cookie", cookies={"session": CANARY}, timeout=10).status_code == 200
        assert requests.get(url + "/basic", auth=("anyone", CANARY), timeout=10).status_code == 200
        assert requests.get(url + "/basic", auth=("anyone", "x"), timeout=10).status_code == 401
        assert requests.get(url + "/bearer", headers={"Authorization": "Bearer " + CANARY}, timeout=10).status_code == 200
        assert requests.get(url + "/public", timeout=10).status_code == 200
        # Through cmldyn: each scheme as the spec says, for every operation.
        api = cmldyn.Client(url, CANARY, spec=SPECS / "security.yaml", cache=False, user="sim", password=CANARY)
        for name in ("key_in_header", "key_in_query", "key_in_cookie", "basic_auth", "bearer_token", "public_status"):
            getattr(api, name)()


@pytest.mark.parametrize("progression, after_create, after_step", [
    ("manual", "pending", "available"),
    ("immediate", "available", "available"),
])
def test_an_enum_status_moves_through_its_values(progression: str, after_create: str, after_step: str) -> None:
    with Simulator(spec=SPECS / "petstore-3.0.yaml", progression=progression) as sim:
        api = client(sim, "petstore-3.0.yaml")
        pet = api.create_pet(name="rex")
        assert pet.status == after_create
        sim.clock.step(5)
        assert api.get_pet(str(pet.id)).status == after_step


def test_with_progression_time_the_status_moves_with_the_clock() -> None:
    with Simulator(spec=SPECS / "grpc-gateway-v2.json", progression="time", speed=40) as sim:
        api = client(sim, "grpc-gateway-v2.json")
        shelf = api.create_shelf(name="fiction")
        assert shelf.state == "CREATING"  # STATE_UNSPECIFIED is skipped, ARCHIVED is no step forward
        deadline = time.monotonic() + 5
        while api.get_shelf("fiction").state != "ACTIVE":
            assert time.monotonic() < deadline, "the status never moved"
            time.sleep(0.02)
        assert api.archive_shelf("fiction").state == "ARCHIVED"  # a custom verb named like a status value


def test_lists_page_in_the_specs_own_style() -> None:
    with Simulator(spec=SPECS / "grpc-gateway-v2.json", token=CANARY, speed=0, seed="empty") as sim:
        api = client(sim, "grpc-gateway-v2.json")
        for n in range(5):
            api.create_shelf(name=f"s{n}")
        first = api.list_shelves(page_size=2)
        assert [s.name for s in first.shelves] == ["s0", "s1"] and first.nextPageToken
        second = api.list_shelves(page_size=2, page_token=first.nextPageToken)
        assert [s.name for s in second.shelves] == ["s2", "s3"]
        assert api.list_shelves(page_size=2, page_token=second.nextPageToken).nextPageToken == ""
    with Simulator(spec=SPECS / "petstore-3.0.yaml", speed=0) as sim:
        assert len(client(sim, "petstore-3.0.yaml").list_pets(limit=2)) == 2


def test_answers_are_shaped_by_field_name_and_seeded() -> None:
    def seeded() -> list[dict[str, Any]]:
        with Simulator(spec=SPECS / "petstore-3.0.yaml", speed=0) as sim:
            return requests.get(sim.url + "/api/v3/pets", timeout=10).json()

    first = seeded()
    assert first == seeded()  # deterministic
    assert len(first) == 3 and all(isinstance(p["id"], int) and p["name"] and p["status"] == "available" for p in first)


def test_the_global_spec_option_before_sim_is_the_spec_it_serves(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cmldyn", "--spec", str(SPECS / "grpc-gateway-v2.json"), "sim",
                             "--port", str(port), "--seed", "empty"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    try:
        assert "library/v1/library.proto simulator" in proc.stdout.readline()  # type: ignore[union-attr]
        assert requests.get(f"http://127.0.0.1:{port}/v1/shelves", timeout=10).json()["shelves"] == []
        served = requests.get(f"http://127.0.0.1:{port}/api/v2/swagger.json", timeout=10).json()
        assert served["info"]["title"] == "library/v1/library.proto"
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def test_demo_with_a_spec_in_the_cli_and_the_repl() -> None:
    spec = str(SPECS / "petstore-2.0.json")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--spec", spec, "--demo", "call", "create_pet", "name=rex"], stdout=out, stderr=err, env={}) == 0, err.getvalue()
    lines = "api.create_pet(name='rex')\napi.list_pets() | [].name\n"
    done = subprocess.run([sys.executable, "-m", "cmldyn", "repl", "--spec", str(SPECS / "petstore-3.0.yaml"), "--demo"],
                          input=lines, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "CML_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    assert '"rex"' in done.stdout.split("[", 1)[-1]


def test_the_query_key_of_the_demo_appears_nowhere() -> None:
    spec = str(SPECS / "petstore-2.0.json")
    with Simulator(spec=SPECS / "petstore-2.0.json", token=CANARY, speed=0) as sim:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--spec", spec, "--host", sim.url, "--token", CANARY, "--debug", "call", "show_pet_by_id", "999"],
                    stdout=out, stderr=err, env={})
        assert code == 1
        assert_no_canary(out.getvalue(), err.getvalue())
        assert "not found" in err.getvalue()


@pytest.mark.parametrize("spec", ["petstore-2.0.json", "petstore-3.0.yaml", "grpc-gateway-v2.json"])
def test_schemathesis_finds_the_generic_simulator_true_to_each_spec(spec: str, tmp_path: Path) -> None:
    """No 5xx, documented statuses and content types, answers that match their schemas."""
    import shutil

    tool = Path(sys.executable).parent / "st"
    if not tool.exists() and shutil.which("st") is None:
        pytest.skip("schemathesis is not installed (pip install '.[test]')")
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    with Simulator(spec=SPECS / spec, token=CANARY, speed=0) as sim:
        base = sim.url + sim.index.base_path
        if spec == "petstore-2.0.json":  # its key goes in the query, as the spec declares
            (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"query.api_key" = "{CANARY}"\n')
        done = subprocess.run(
            [str(tool if tool.exists() else "st"), "run", sim.url + "/openapi.json", "--url", base,
             "--checks", checks, "--max-examples", "20", "--phases", "examples,fuzzing,stateful", "--workers", "1",
             "--seed", "7", "--no-color"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    summary = done.stdout[done.stdout.find("SUMMARY"):]
    assert "Failures:" not in summary, done.stdout[-4000:]
    assert "Test cases:" in summary and "generated" in summary, done.stdout[-3000:]


@pytest.mark.parametrize("spec, example", [
    ("petstore-3.0.yaml", b"api.list_pets() | [].name"),
    ("grpc-gateway-v2.json", b"api.list_shelves() | shelves[].name"),
])
def test_repl_demo_of_any_spec_starts_with_a_banner_in_its_own_words(spec: str, example: bytes, tmp_path: Path) -> None:
    """In a real terminal: `cmldyn repl --spec FILE --demo` names the API's own first call, and it runs."""
    from .helpers import Terminal

    term = Terminal(["repl", "--spec", str(SPECS / spec), "--demo"], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                    str(ROOT))
    try:
        assert term.wait_for(b">>>"), term.screen[-500:]
        assert b"Try: " + example in term.screen
        term.type(example)
        time.sleep(0.2)
        term.clear()
        term.type(b"\r")
        assert term.wait_for(b'"', 15), term.screen[-300:]  # the names of the seeded objects, as JSON strings
        assert b"Error" not in term.screen
        term.after(b'"')
        assert term.leave(pause=0.3) == 0, term.screen[-300:]
    finally:
        term.close()
