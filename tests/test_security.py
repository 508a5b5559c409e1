"""Security schemes from the spec, against a loopback server that accepts only the right credential
on each path (fixtures/specs/security.yaml): an API key in a header, the query or a cookie, HTTP
basic, bearer, two alternatives, and an operation with ``security: []``."""

from __future__ import annotations

import base64
import io
import json
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.cli import main

from .conftest import CANARY, SPECS, EchoServer, assert_no_canary

SPEC = SPECS / "security.yaml"
USER, PASSWORD = "ada", f"pw-{CANARY}"


def judge(record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """200 only when the request carries exactly the credential its path expects; else 401."""
    parts = urlsplit(record["path"])
    query = parse_qs(parts.query)
    headers = {k.lower(): v for k, v in record["headers"].items()}
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    checks = {
        "/header": headers.get("x-api-key") == CANARY,
        "/query": query.get("api_key") == [CANARY],
        "/cookie": headers.get("cookie") == f"session={CANARY}",
        "/basic": headers.get("authorization") == basic,
        "/bearer": headers.get("authorization") == f"Bearer {CANARY}",
        "/either": headers.get("authorization") == basic or headers.get("x-api-key") == CANARY,
        "/public": not ({"authorization", "x-api-key", "cookie"} & set(headers)) and "api_key" not in query,
    }
    ok = checks.get(parts.path, False)
    body = json.dumps({"ok": True} if ok else {"message": f"wrong credential for {record['path']}"}).encode()
    return (200 if ok else 401), {"Content-Type": "application/json"}, body


class Gatekeeper(EchoServer):
    """The echo server, judging every request's credential (what it saw, by path, in ``seen``)."""

    def __init__(self) -> None:
        super().__init__(respond=judge)

    @property
    def seen(self) -> list[dict[str, Any]]:
        return [{"path": urlsplit(r["path"]).path} for r in self.requests]


@pytest.fixture()
def gate() -> Iterator[Gatekeeper]:
    server = Gatekeeper()
    yield server
    server.close()


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""), env=env or {})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("op", ["key_in_header", "key_in_query", "key_in_cookie", "bearer_token", "basic_or_header"])
def test_each_key_like_scheme_sends_the_key_where_the_spec_says(gate: Gatekeeper, op: str) -> None:
    api = cmldyn.Client(gate.url, CANARY, spec=SPEC)
    assert api.call(op).ok is True


def test_basic_takes_the_user_and_password(gate: Gatekeeper) -> None:
    api = cmldyn.Client(gate.url, None, spec=SPEC, user=USER, password=PASSWORD)
    assert api.basic_auth().ok is True
    assert api.basic_or_header().ok is True  # the first alternative the credentials satisfy
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "--user", USER, "call", "basic_auth"],
                         env={"CMLDYN_PASSWORD": PASSWORD})
    assert code == 0 and json.loads(out) == {"ok": True}, err


def test_an_operation_with_no_security_is_called_without_any_credential(gate: Gatekeeper) -> None:
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "call", "public_status"])
    assert code == 0 and json.loads(out) == {"ok": True}, err
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "--token", CANARY, "call", "public_status"])
    assert code == 0, err  # a key given is still not sent where no credential is wanted


def test_a_missing_credential_fails_before_sending_naming_the_scheme_and_the_flag(gate: Gatekeeper) -> None:
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "--token", CANARY, "call", "basic_auth"])
    assert code == 4 and out == ""
    line, hint = err.splitlines()
    assert line == "cmldyn: error: basic_auth needs HTTP basic (user and password) (security scheme 'basic')"
    assert hint.startswith("hint: pass --user NAME")
    code, _, err = run(["--spec", str(SPEC), "--host", gate.url, "call", "key_in_query"])
    assert code == 4 and "needs an API key in the query 'api_key'" in err and "--token" in err
    assert gate.seen == []
    with pytest.raises(errors.CredentialError, match="needs HTTP basic"):
        cmldyn.Client(gate.url, CANARY, spec=SPEC).basic_auth()


def test_a_key_in_the_query_appears_in_no_output(gate: Gatekeeper) -> None:
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "--token", CANARY, "call", "key_in_query", "q=x",
                          "--dry-run"])
    assert code == 0, err
    shown = json.loads(out)
    assert shown["url"] == f"{gate.url}/query?q=x" and shown["headers"] == {"query api_key": "***"}
    assert gate.seen == []  # a dry run sends nothing
    # A server that quotes the URL back in its error: the key is redacted from the message.
    code, out, err = run(["--spec", str(SPEC), "--host", gate.url, "--token", CANARY + "x", "call", "key_in_query"])
    assert code == 4 and "wrong credential for /query?api_key=***" in err
    code, out, err = run(["--debug", "--spec", str(SPEC), "--host", gate.url, "--token", CANARY + "x", "call",
                          "key_in_query"])
    assert code == 4


def test_cml_still_sends_the_key_as_bearer(sim: Any) -> None:
    """CML's served spec declares one apiKey scheme whose name is prose, applied nowhere: Bearer it is."""
    api = cmldyn.Client(sim.url, CANARY)
    assert api.model.schemes == {} and api.model.declares_security
    assert api.auth_for(api.operation("list_projects")) is True
    assert api.list_projects(page_size=1).projects
    code, _, err = run(["--host", sim.url, "call", "list_projects"])
    assert code == 4 and "no API key" in err


def test_the_repl_starts_without_a_key_for_a_spec_that_says_how_keys_travel(gate: Gatekeeper) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--spec", str(SPEC), "--host", gate.url, "repl"], stdout=out, stderr=err,
                stdin=io.StringIO("api.public_status()\napi.key_in_header()\n"), env={})
    assert code == 1, err.getvalue()  # the second statement needs a key: one error line, the REPL went on
    assert '"ok": true' in out.getvalue()
    assert "key_in_header needs an API key in the header 'X-API-Key'" in out.getvalue()
    assert [s["path"] for s in gate.seen] == ["/public"]


def test_a_profile_gives_each_scheme_its_own_key(tmp_path: Any) -> None:
    """[profiles.X.schemes.NAME] holds a key for one scheme (the same three ways as the profile's key),
    and ``user`` the user for HTTP basic; each goes only where its scheme says, and to no other host."""
    import os

    from cmldyn.config import default_config_path, load_profiles
    from cmldyn.storage import write_private

    header_key, query_key = f"H-{CANARY}", f"Q-{CANARY}"

    def per_scheme(record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(record["path"])
        headers = {k.lower(): v for k, v in record["headers"].items()}
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        ok = {"/header": headers.get("x-api-key") == header_key,
              "/query": parse_qs(parts.query).get("api_key") == [query_key],
              "/basic": headers.get("authorization") == basic,
              "/bearer": headers.get("authorization") == f"Bearer {CANARY}"}.get(parts.path, False)
        return (200 if ok else 401), {"Content-Type": "application/json"}, b'{"ok": true}' if ok else b"{}"

    server = EchoServer(respond=per_scheme)
    try:
        path = default_config_path()
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_private(path, (
            f'[profiles.pets]\nhost = "{server.url}"\nkey_env = "MAIN_KEY"\nuser = "{USER}"\nspec = "{SPEC}"\n'
            f'[profiles.pets.schemes.headerKey]\nkey_env = "HEADER_KEY"\n'
            f'[profiles.pets.schemes.queryKey]\nkey = "{query_key}"\n').encode())
        assert load_profiles(path)["pets"].schemes["queryKey"] == {"key": query_key}
        env = {"MAIN_KEY": CANARY, "HEADER_KEY": header_key, "CMLDYN_PASSWORD": PASSWORD}
        for op in ("key_in_header", "key_in_query", "basic_auth", "bearer_token"):
            code, out, err = run(["--profile", "pets", "call", op], env=env)
            assert code == 0 and json.loads(out) == {"ok": True}, (op, err)
            assert header_key not in out + err and query_key not in out + err
        # A --dry-run shows where each key goes, never the key.
        code, out, _ = run(["--profile", "pets", "call", "key_in_query", "--dry-run"], env=env)
        assert code == 0 and query_key not in out and "***" in out
        # Another host (from the environment) gets none of the profile's keys.
        other = EchoServer(respond=per_scheme)
        try:
            code, _, err = run(["call", "key_in_header", "--spec", str(SPEC)], env={**env, "CML_HOST": other.url})
            assert code == 4 and "x-api-key" in err.lower()
            assert other.requests == []
        finally:
            other.close()
    finally:
        server.close()


def test_raw_calls_follow_the_specs_own_security(echo: Any) -> None:
    """A call outside the spec sends the key the way the spec's top-level security says (petstore 2.0:
    in the query), not as bearer; with no usable scheme (CML's spec) it is a bearer header."""
    pets = cmldyn.Client(echo.url, CANARY, spec=SPECS / "petstore-2.0.json", cache=False)
    seen = pets.raw("GET", "/v1/not-in-the-spec")
    assert parse_qs(urlsplit(seen["path"]).query)["api_key"] == [CANARY]
    assert "authorization" not in {k.lower() for k in seen["headers"]}
    from .conftest import CML_SPEC

    cml = cmldyn.Client(echo.url, CANARY, spec=CML_SPEC, cache=False)
    assert {k.lower(): v for k, v in cml.raw("GET", "/api/v1/projects")["headers"].items()}["authorization"] == \
        f"Bearer {CANARY}"


def test_spec_diff_needs_no_key_for_a_spec_served_without_one() -> None:
    from cmldyn.simulator import Simulator

    with Simulator(spec=SPECS / "petstore-3.0.yaml", speed=0) as sim:
        code, out, err = run(["--host", sim.url, "call", "list_pets", "-q", "length(@)"])
        assert code == 0, err  # caches the spec served at /api/v2/swagger.json
        code, out, err = run(["--host", sim.url, "spec", "diff"])
        assert code == 0, err
        assert json.loads(out)["added"] == [] and json.loads(out)["removed"] == []
