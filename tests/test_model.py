"""Operation model and naming: the CML table, naming case table, awkward specs."""

from __future__ import annotations

import json
import keyword

import pytest

from cmldyn.docs import render_doc
from cmldyn.model import ServiceModel
from cmldyn.naming import identifier, snake_case
from cmldyn.spec import load_spec

from .conftest import CML_SPEC, FIXTURES, SPECS

CML_OPS = json.loads((FIXTURES / "cases" / "cml_operations.json").read_text())
NAMING = json.loads((FIXTURES / "cases" / "naming.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cml_model() -> ServiceModel:
    return ServiceModel(load_spec(CML_SPEC))


def test_cml_spec_has_every_listed_operation(cml_model: ServiceModel) -> None:
    assert len(cml_model.operations) == len(CML_OPS) == 158


@pytest.mark.parametrize("row", CML_OPS, ids=[r["operation_id"] for r in CML_OPS])
def test_cml_operation_name_and_positional_order(cml_model: ServiceModel, row: dict) -> None:
    op = cml_model.get(row["operation_id"])
    assert op.name == row["name"]
    assert op.method.upper() == row["method"]
    assert op.path == row["path"]
    assert [p.name for p in op.positional] == row["positional"]
    assert cml_model.get(row["name"]) is op


@pytest.mark.parametrize("case", NAMING, ids=[c["id"] for c in NAMING])
def test_naming_case_table(case: dict) -> None:
    name = identifier(snake_case(case["id"]), case.get("reserved", ()))
    assert name == case["name"]
    assert name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")


def test_grpc_gateway_v2_ids_get_the_short_name_and_keep_aliases() -> None:
    model = ServiceModel(load_spec(SPECS / "grpc-gateway-v2.json"))
    assert set(model.names()) == {"list_shelves", "create_shelf", "get_shelf", "update_shelf", "delete_shelf", "archive_shelf"}
    assert model.get("LibraryService_ListShelves").name == "list_shelves"
    assert model.get("library_service_list_shelves").name == "list_shelves"
    assert model.get("listShelves").name == "list_shelves"
    update = model.get("update_shelf")
    assert [p.name for p in update.positional] == ["body", "shelf_name"]
    assert update.path_params[0].body_key == "name"


def test_missing_operation_ids_are_derived_from_method_and_path() -> None:
    model = ServiceModel(load_spec(SPECS / "no-operation-ids.json"))
    assert set(model.names()) == {"get_root", "get_users", "post_users", "get_users_user_id_keys"}
    keys = model.get("get_users_user_id_keys")
    assert keys.params[0].name == "user_id" and keys.params[0].wire == "user-id"


def test_collisions_get_a_suffix_and_a_warning_never_an_overwrite() -> None:
    model = ServiceModel(load_spec(SPECS / "colliding-names.json"), reserved={"call", "raw"})
    ids = {model.get(n).operation_id for n in ("get_thing", "get_thing_2", "get_thing_3")}
    assert ids == {"getThing", "GetThing", "get_thing"}
    assert sum("both map to 'get_thing'" in w for w in model.warnings) == 2
    assert model.get("class").name == "class_"
    assert model.get("call").name == "call_"
    assert model.get("match").name == "match_"
    for name in model.names():
        assert name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)


def test_one_parameter_name_in_path_and_query_stays_two_arguments() -> None:
    model = ServiceModel(load_spec(SPECS / "colliding-names.json"))
    op = model.get("odd_params")
    by_name = {p.name: (p.location, p.wire) for p in op.params}
    assert by_name["id_path"] == ("path", "id")
    assert by_name["id_query"] == ("query", "id")
    assert by_name["page_size"] == ("query", "page-size")
    assert by_name["filter"] == ("query", "$filter")
    assert by_name["from_"] == ("query", "from")


def test_openapi3_parameters_and_bodies() -> None:
    model = ServiceModel(load_spec(SPECS / "petstore-3.0.yaml"))
    assert model.spec.base_path == "/api/v3"
    create = model.get("create_pet")
    assert create.body_param is not None and create.body_param.required
    photo = model.get("put_photo")
    assert photo.body_param is not None and photo.body_param.raw_body
    assert model.get("get_photo").binary_response
    tags = next(p for p in model.get("list_pets").params if p.name == "tags")
    assert tags.collection_format == "csv" and not tags.explode


def test_pagination_is_inferred_from_the_spec(cml_model: ServiceModel) -> None:
    assert cml_model.get("list_projects").page_list_field == "projects"
    assert cml_model.get("list_job_runs").page_list_field == "job_runs"
    assert cml_model.get("list_runtimes").page_list_field == "runtimes"
    assert cml_model.get("list_project_files").page_list_field is None
    assert cml_model.get("get_project").page_list_field is None


def test_doc_lists_method_path_parameters_body_and_response(cml_model: ServiceModel) -> None:
    doc = render_doc(cml_model.get("create_job"))
    assert "POST /api/v2/projects/{project_id}/jobs" in doc
    assert "create_job(body, project_id)" in doc
    assert "Body fields (CreateJobRequest):" in doc
    assert "script: string" in doc
    assert "Returns: Job" in doc


def test_recursive_schema_doc_marks_the_cycle() -> None:
    model = ServiceModel(load_spec(SPECS / "recursive.json"))
    doc = render_doc(model.get("get_node"), width=100)
    assert "children: array[Node] (recursive: Node)" in doc and "parent: Node (recursive: Node)" in doc
