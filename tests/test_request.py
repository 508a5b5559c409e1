"""Request building as a case table, checked against what a real server on loopback received."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

import cmldyn
from cmldyn import errors

from .conftest import CANARY, FIXTURES, SPECS, EchoServer, spec_file

CASES = json.loads((FIXTURES / "cases" / "requests.json").read_text(encoding="utf-8"))
_clients: dict[str, cmldyn.Client] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[EchoServer]:
    srv = EchoServer()
    yield srv
    srv.close()


def client_for(server: EchoServer, spec: str) -> cmldyn.Client:
    key = f"{server.url}:{spec}"
    if key not in _clients:
        _clients[key] = cmldyn.Client(server.url, CANARY, spec=spec_file(spec), retries=1)
    return _clients[key]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_request_case(server: EchoServer, case: dict[str, Any]) -> None:
    api = client_for(server, case["spec"])
    before = len(server.requests)
    call = lambda: api.call(case["op"], *case.get("args", []), **case.get("kwargs", {}))  # noqa: E731
    if "error" in case:
        with pytest.raises(getattr(errors, case["error"]), match=case["match"]):
            call()
        assert len(server.requests) == before, "a request was sent although the arguments were bad"
        return
    result = call()
    seen = server.requests[-1]
    expect = case["expect"]
    assert seen["method"] == expect["method"]
    path = _without_query_key(seen["path"], api)
    assert path == expect["path"]
    assert seen["headers"]["User-Agent"].startswith("cmldyn/")
    if not api.model.schemes:
        assert seen["headers"]["authorization"] == "Bearer " + CANARY
    else:
        assert "authorization" not in {k.lower() for k in seen["headers"]}
    for name, value in expect.get("headers", {}).items():
        assert seen["headers"][name] == value
    if "json" in expect:
        assert json.loads(seen["body"]) == expect["json"]
        assert seen["headers"]["Content-Type"] == "application/json"
    assert _without_query_key(result["path"], api) == expect["path"]  # the echo came back and was decoded


def _without_query_key(path: str, api: cmldyn.Client) -> str:
    """The path as built, the credential taken off: a spec that declares a key in the query
    (petstore-2.0) has it appended by the transport; CML's goes as a bearer header."""
    key = f"api_key={CANARY}"
    if not api.model.schemes:
        return path
    assert path.endswith(("?" + key, "&" + key)), path
    return path[: -len(key) - 1]


def test_multipart_upload_uses_field_names(server: EchoServer) -> None:
    api = client_for(server, "cml-api-v2.swagger.json")
    api.upload_file("p1", file={"notebooks/a.txt": b"hello", "b.csv": b"1,2"})
    seen = server.requests[-1]
    assert seen["path"] == "/api/v2/projects/p1/files"
    assert seen["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert 'name="notebooks/a.txt"' in seen["body"] and "hello" in seen["body"]
    assert 'name="b.csv"' in seen["body"]


def test_required_form_file_is_positional(server: EchoServer, tmp_path: Any) -> None:
    api = client_for(server, "petstore-2.0.json")
    photo = tmp_path / "cat.png"
    photo.write_bytes(b"\x89PNG-bytes")
    api.upload_photo("9", str(photo), caption="a cat")
    seen = server.requests[-1]
    assert _without_query_key(seen["path"], api) == "/v1/pets/9/photo"
    assert 'name="photo"; filename="cat.png"' in seen["body"]
    assert 'name="caption"' in seen["body"] and "a cat" in seen["body"]


def test_openapi3_raw_body_and_binary_response(server: EchoServer) -> None:
    api = cmldyn.Client(server.url, CANARY, spec=SPECS / "petstore-3.0.yaml")
    assert api.base_url == server.url + "/api/v3"
    api.put_photo("5", body=b"\x00\x01binary")
    assert server.requests[-1]["path"] == "/api/v3/pets/5/photo"
    server.replies.append((200, {"Content-Type": "application/octet-stream"}, b"\x00\xffraw"))
    assert api.get_photo("5") == b"\x00\xffraw"


def test_oas3_query_arrays_explode_by_default(server: EchoServer) -> None:
    api = cmldyn.Client(server.url, CANARY, spec=SPECS / "petstore-3.0.yaml")
    api.list_pets(kind=["cat", "dog"], tags=["x", "y"])
    assert server.requests[-1]["path"] == "/api/v3/pets?kind=cat&kind=dog&tags=x%2Cy"


def test_path_and_query_params_named_alike_in_oas3(server: EchoServer) -> None:
    api = cmldyn.Client(server.url, CANARY, spec=SPECS / "petstore-3.0.yaml")
    api.get_pet(pet_id_path="a", pet_id_query="b")
    assert server.requests[-1]["path"] == "/api/v3/pets/a?pet_id=b"


def test_a_prepared_request_sent_twice_goes_to_the_same_url(server: EchoServer) -> None:
    api = client_for(server, "petstore-2.0.json")  # basePath /v1 goes in front of every path
    request = api.prepare("list_pets", limit=1)
    api.send(request)
    api.send(request)
    # The spec's own security (a key in the query) applies to a request sent without its operation, too.
    assert [r["path"] for r in server.requests[-2:]] == [f"/v1/pets?limit=1&api_key={CANARY}"] * 2
    assert request.path == "/pets"


def test_refresh_of_a_client_built_from_a_dict_keeps_its_spec(server: EchoServer) -> None:
    doc = json.loads((SPECS / "petstore-2.0.json").read_text())
    api = cmldyn.client.from_spec(doc, server.url, CANARY)
    assert api.refresh() == ([], [])
    assert "list_pets" in api.model.names()
