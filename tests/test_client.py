"""The client against the simulator: call shapes, results, errors, docs, escape hatch."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.simulator import Simulator

from .conftest import CANARY, CML_SPEC, SPECS, EchoServer, assert_no_canary


def test_every_cml_operation_is_an_attribute_with_help(api: cmldyn.Client) -> None:
    assert len(api.operations) == 158
    for info in api.operations:
        fn = getattr(api, info.name)
        assert fn.__name__ == info.name
        assert info.path in fn.__doc__
        assert str(inspect.signature(fn)).startswith("(")
    assert "list_projects" in dir(api)
    assert str(inspect.signature(api.create_job_run)).startswith(
        "(body: 'CreateJobRunRequest', project_id: 'string', job_id: 'string'"
    )


def test_list_and_attribute_access(api: cmldyn.Client) -> None:
    resp = api.list_projects(page_size=2)
    assert len(resp.projects) == 2
    assert resp.next_page_token
    project = resp.projects[0]
    assert project.creator.username == "simuser"
    assert project["name"] == project.name
    assert project.to_dict()["id"] == project.id
    assert resp._status == 200
    assert "projects" in dir(resp)


def test_absent_schema_fields_read_as_none(api: cmldyn.Client) -> None:
    last = api.list_projects(page_size=100)
    assert last.next_page_token in ("", None)
    with pytest.raises(AttributeError, match="no field 'nonsense'"):
        last.nonsense  # noqa: B018


def test_search_filter_shapes(api: cmldyn.Client) -> None:
    assert [p.name for p in api.list_projects(search_filter="demo").projects] == ["demo"]
    assert [p.name for p in api.list_projects(search_filter=json.dumps({"name": "forecast"})).projects] == ["forecasting"]


def test_get_by_position_and_keyword(api: cmldyn.Client) -> None:
    pid = api.list_projects(search_filter="demo").projects[0].id
    assert api.get_project(pid).id == pid
    assert api.get_project(project_id=pid).id == pid
    assert api.call("GetProject", pid).id == pid


def test_errors_carry_status_and_server_message(api: cmldyn.Client) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.get_project("no-such-id")
    error = info.value
    assert error.status == 404 and error.code == 5
    assert error.server_message == "project not found: no-such-id"
    assert "HTTP 404 for get_project: project not found: no-such-id" == str(error)
    assert isinstance(error, cmldyn.ApiException)
    assert_no_canary(str(error), repr(error), error.body)


def test_wrong_key_is_an_auth_error_without_the_key(sim: Simulator) -> None:
    wrong = "cmlcanary_wrong_" + CANARY[-8:]
    client = cmldyn.Client(sim.url, wrong)
    with pytest.raises(errors.AuthError) as info:
        client.list_projects()
    assert info.value.status == 401
    assert wrong not in str(info.value) and wrong not in repr(info.value.__dict__)


def test_key_with_bearer_prefix_and_newline_works(sim: Simulator) -> None:
    client = cmldyn.Client(sim.url, f"Bearer {CANARY}\n")
    assert client.list_projects(page_size=1).projects


@pytest.mark.parametrize("bad", ["abc def", "ключ", "a\x00b"])
def test_key_with_invalid_characters_is_refused_without_echo(sim: Simulator, bad: str) -> None:
    with pytest.raises(errors.CredentialError, match="API key contains invalid characters") as info:
        cmldyn.Client(sim.url, bad)
    assert bad not in str(info.value)


def test_netrc_does_not_replace_the_bearer_key(fresh_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    cmldyn.Client(fresh_sim.url, CANARY).list_projects()
    assert fresh_sim.seen[-1].authorization == "Bearer " + CANARY


def test_missing_arguments_send_nothing(fresh_sim: Simulator) -> None:
    client = cmldyn.Client(fresh_sim.url, CANARY)
    fresh_sim.forget()
    with pytest.raises(errors.ParamError, match="missing required parameter job_id"):
        client.get_job("p")
    with pytest.raises(errors.ParamError, match="did you mean 'page_size'"):
        client.list_projects(pagesize=3)
    assert fresh_sim.seen == []


def test_unknown_operation_is_an_attribute_error(api: cmldyn.Client) -> None:
    assert not hasattr(api, "list_projectz")
    with pytest.raises(errors.OperationError, match="did you mean 'list_projects'"):
        api.list_projectz  # noqa: B018


def test_create_update_delete_through_the_client(fresh_api: cmldyn.Client, fresh_sim: Simulator) -> None:
    body = fresh_api.models.CreateProjectRequest(name="client-made", description="d", template="Python")
    project = fresh_api.create_project(body)
    assert project.name == "client-made"
    fresh_sim.clock.step(3)
    assert fresh_api.get_project(project.id).creation_status == "success"
    updated = fresh_api.update_project({"description": "new"}, project.id)
    assert updated.description == "new"
    again = fresh_api.get_project(project.id)
    again_dict = again.to_dict()
    again_dict["description"] = "via result"
    assert fresh_api.update_project(again_dict).description == "via result"
    fresh_api.delete_project(project_id=project.id)
    with pytest.raises(errors.NotFoundError):
        fresh_api.get_project(project.id)


def test_upload_and_download_files(fresh_api: cmldyn.Client) -> None:
    pid = fresh_api.list_projects(search_filter="demo").projects[0].id
    fresh_api.upload_file(pid, file={"reports/out.txt": b"report body"})
    listing = fresh_api.list_project_files(pid, "reports")
    assert [f.path for f in listing.files] == ["out.txt"]
    assert listing.files[0].file_size == "11"
    assert fresh_api.download_project_file(pid, "reports/out.txt") == b"report body"


def test_raw_escape_hatch(api: cmldyn.Client) -> None:
    spec = api.raw("GET", "/api/v2/swagger.json")
    assert spec.swagger == "2.0"
    listing = api.raw("GET", "/api/v2/projects", params={"page_size": 1})
    assert len(listing.projects) == 1
    with pytest.raises(errors.NotFoundError):
        api.raw("GET", "/api/v1/projects")


def test_html_login_page_is_a_clear_error(echo: EchoServer) -> None:
    client = cmldyn.Client(echo.url, CANARY, spec=CML_SPEC)
    echo.replies.append((200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>Sign in with SSO</html>"))
    with pytest.raises(errors.ResponseError, match="expected JSON but got text/html.*login or SSO page"):
        client.list_projects()


@pytest.mark.parametrize(
    "payload,message",
    [
        (b'{"name": "\xff"}', "not valid UTF-8 at byte 10"),
        (b'{"n": NaN}', "not JSON"),
        (b"[" * 100000 + b"]" * 100000, "too deeply nested"),
        (b'{"n": ' + b"9" * 5000 + b"}", "number too large"),
    ],
)
def test_bad_bodies_are_response_errors(echo: EchoServer, payload: bytes, message: str) -> None:
    client = cmldyn.Client(echo.url, CANARY, spec=CML_SPEC)
    echo.replies.append((200, {"Content-Type": "application/json"}, payload))
    with pytest.raises(errors.ResponseError, match=message):
        client.list_projects()


def test_short_error_body_shape(echo: EchoServer) -> None:
    client = cmldyn.Client(echo.url, CANARY, spec=CML_SPEC)
    echo.replies.append(
        (403, {"Content-Type": "application/json"}, b'{"code":7,"message":"User is not an observability machine user"}')
    )
    with pytest.raises(errors.AuthError) as info:
        client.list_workload_executions()
    assert info.value.code == 7
    assert str(info.value) == "HTTP 403 for list_workload_executions: User is not an observability machine user"


def test_default_client_inside_and_outside_a_session(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="outside a CML session"):
        cmldyn.default_client()
    monkeypatch.setenv("CDSW_API_URL", sim.url + "/api/v1")
    monkeypatch.setenv("CDSW_APIV2_KEY", CANARY)
    client = cmldyn.default_client()
    assert client.host == sim.url
    assert client.list_projects(page_size=1).projects
    explicit = cmldyn.default_client(url=sim.url, cml_api_key=CANARY)
    assert explicit.get_project(client.list_projects(search_filter="demo").projects[0].id).name == "demo"


def test_host_without_scheme_defaults_to_https() -> None:
    client = cmldyn.Client("ml-1234.example.invalid", "k", spec=SPECS / "petstore-2.0.json")
    assert client.base_url == "https://ml-1234.example.invalid/v1"


def test_refresh_reports_added_and_removed(tmp_path: Path, echo: EchoServer) -> None:
    spec_file = tmp_path / "spec.json"
    doc = json.loads((SPECS / "petstore-2.0.json").read_text())
    spec_file.write_text(json.dumps(doc))
    client = cmldyn.Client(echo.url, CANARY, spec=str(spec_file))
    doc["paths"]["/toys"] = {"get": {"operationId": "listToys", "responses": {"200": {"description": "ok"}}}}
    del doc["paths"]["/pets/{petId}/photo"]
    spec_file.write_text(json.dumps(doc))
    added, removed = client.refresh()
    assert added == ["list_toys"] and removed == ["upload_photo"]
    client.list_toys()
    # petstore-2.0 declares its key in the query (security: key_in_query): it goes there, not as bearer
    assert echo.requests[-1]["path"] == f"/v1/toys?api_key={CANARY}"
    assert "Authorization" not in echo.requests[-1]["headers"]


def test_client_is_usable_from_many_threads(sim: Simulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client = cmldyn.Client(sim.url, CANARY)
    ids = [p.id for p in client.list_projects(page_size=100).projects]

    def fetch(i: int) -> bool:
        pid = ids[i % len(ids)]
        return client.get_project(pid).id == pid

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(400)))
    assert all(results) and len(results) == 400


def test_no_proxy_or_env_lookups_reach_the_calls(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", os.devnull)
    client = cmldyn.Client(sim.url, CANARY)
    assert client.list_projects(page_size=1).projects


# ------------------------------------------------------------------ answers by media type

@pytest.fixture()
def media_api(echo: EchoServer) -> cmldyn.Client:
    return cmldyn.Client(echo.url, CANARY, spec=SPECS / "media-types.yaml", retries=1)


@pytest.mark.parametrize("op, content_type, body, expected", [
    ("get_zen", "text/plain; charset=utf-8", "Keep it logically awesome.".encode(), "Keep it logically awesome."),
    ("render_markdown", "text/html; charset=utf-8", b"<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>"),
    ("get_octocat", "application/octocat-stream", b"\x89OCTO\x00\x01", b"\x89OCTO\x00\x01"),
    ("get_zen", "text/plain; charset=latin-1", "caf\xe9".encode("latin-1"), "caf\xe9"),
    ("delete_nothing", "application/json", b"", None),
], ids=["text-plain", "text-html-declared", "vendor-binary", "charset", "empty"])
def test_answers_follow_their_media_type(media_api: cmldyn.Client, echo: EchoServer, op: str, content_type: str,
                                         body: bytes, expected: Any) -> None:
    echo.replies.append((200 if body else 204, {"Content-Type": content_type}, body))
    assert media_api.call(op) == expected


def test_json_mislabelled_as_text_is_read_as_json_where_the_spec_promises_json(media_api: cmldyn.Client,
                                                                               echo: EchoServer) -> None:
    echo.replies.append((200, {"Content-Type": "text/plain"}, b'{"name": "gizmo"}'))
    thing = media_api.get_thing()
    assert thing.name == "gizmo" and thing._status == 200


def test_html_where_json_is_promised_is_still_a_login_page_error(media_api: cmldyn.Client, echo: EchoServer) -> None:
    echo.replies.append((200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>Sign in</html>"))
    with pytest.raises(errors.ResponseError, match="expected JSON but got text/html.*login or SSO page"):
        media_api.get_thing()


def test_no_content_type_follows_the_spec(media_api: cmldyn.Client, echo: EchoServer) -> None:
    echo.replies.append((200, {}, b"just words"))
    assert media_api.get_zen() == "just words"
    echo.replies.append((200, {}, b'{"name": "n"}'))
    assert media_api.get_thing().name == "n"
