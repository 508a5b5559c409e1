"""At home in IPython and Jupyter: completion through IPython's own completer, rich display of
results (HTML escaped), the cmlapi-style print, and typed request classes."""

from __future__ import annotations

import html
import inspect
from typing import Any, Iterator

import pytest

import cmldyn
from cmldyn.simulator import Simulator

from .conftest import CANARY


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    yield ip
    InteractiveShell.clear_instance()


def completions(shell: Any, text: str) -> set[str]:
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        return {c.text for c in shell.Completer.completions(text, len(text))}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_ipython_completes_classes_models_keywords_and_keys(shell: Any, sim: Simulator) -> None:
    api = cmldyn.Client(sim.url, CANARY, cache=False)
    shell.user_ns.update(cmldyn=cmldyn, api=api, result=api.list_projects())
    assert any(c.endswith("CreateJobRequest") for c in completions(shell, "cmldyn.CreateJ"))
    assert any(c.endswith("CreateProjectRequest") for c in completions(shell, "api.models.CreateP"))
    assert "script=" in completions(shell, "api.create_job(scr")
    keys = completions(shell, 'result["')
    assert {"projects", "next_page_token"} <= {k.strip('"') for k in keys}


def test_request_classes_are_listed_typed_and_documented(api: cmldyn.Client) -> None:
    assert "CreateJobRequest" in dir(cmldyn) and "CreateJobRequest" in dir(api.models)
    params = inspect.signature(cmldyn.CreateJobRequest).parameters
    assert params["script"].kind is inspect.Parameter.KEYWORD_ONLY and params["script"].default is None
    assert params["script"].annotation is str and params["cpu"].annotation is float
    assert "script (string): Script path" in (cmldyn.CreateJobRequest.__doc__ or "")
    job = cmldyn.CreateJobRequest(name="train", script="train.py")
    assert job.to_dict() == {"name": "train", "script": "train.py"}
    assert "script" in inspect.signature(api.create_job).parameters  # body fields as keywords too


def test_html_of_a_list_answer_is_a_table_of_its_items(fresh_api: cmldyn.Client) -> None:
    fresh_api.create_project(name="<script>alert(1)</script>", template="Python")
    page = fresh_api.list_projects(page_size=5)
    shown = page._repr_html_()
    assert "<script>" not in shown
    assert shown.count("<tr>") == 6  # a header and five items
    head = shown[shown.index("<thead>"):shown.index("</thead>")]
    assert head.index("<th>id</th>") < head.index("<th>name</th>")  # the columns that matter first
    assert "projects: 5 items; more on the next page" in shown
    everything = fresh_api.list_projects(page_size=50, search_filter='{"name": "<script>"}')._repr_html_()
    assert html.escape("<script>alert(1)</script>") in everything and "<script>alert" not in everything


def test_an_object_shows_a_field_table_and_prints_as_a_dict(api: cmldyn.Client) -> None:
    project = api.list_projects(page_size=1).projects[0]
    one = api.get_project(project.id)
    shown = one._repr_html_()
    assert shown.startswith("<div><b>Project</b>") and "<th style='text-align:left'>id</th>" in shown
    assert "{name: Sim User, username: simuser" in shown  # a nested object folded to one line, names first
    printed = str(one)
    assert printed.startswith("{'id': ") and "'name': " in printed and not printed.startswith("Result(")
    assert repr(one).startswith("Project(")
    assert set(one._ipython_key_completions_()) >= {"id", "name", "creator"}


def test_ipython_pretty_prints_the_dict(shell: Any, api: cmldyn.Client) -> None:
    from IPython.lib.pretty import pretty

    one = api.list_projects(page_size=1)
    assert pretty(one) == str(one) and "'projects': [" in pretty(one)


def test_the_quickstart_notebook_runs_in_a_real_kernel(tmp_path: Any) -> None:
    """examples/quickstart.ipynb, executed headless by nbclient in a real ipykernel against the simulator."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from .conftest import ROOT

    notebook = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<table" in t and "demo" in t and "churn-analysis" in t for t in tables)  # the list cell
    texts = [o["data"].get("text/plain", "") for o in outputs if "data" in o]
    assert "'ENGINE_SUCCEEDED'" in texts  # the wait cell ends in a final state
    assert any("0 errors" in t for t in texts)  # the contract report after the calls
    wait_cell = next(c for c in notebook.cells if c.cell_type == "code" and "api.wait" in c.source)
    shown = [o for o in wait_cell.outputs if o.get("output_type") == "display_data"]
    assert len(shown) == 1 and shown[0]["data"]["text/plain"].startswith("status: ENGINE_")  # one updating line
    paging = next(c for c in notebook.cells if c.cell_type == "code" and ".items(" in c.source)
    lines = [o["data"]["text/plain"] for o in paging.outputs if o.get("output_type") == "display_data"]
    assert lines == ["list_runtimes: page 4"]  # 16 runtimes, 4 a page: one line, updated to the last page
    assert "16" in [o["data"]["text/plain"] for o in paging.outputs if o.get("output_type") == "execute_result"]


def test_answers_are_instances_of_classes_named_after_their_schemas(api: cmldyn.Client) -> None:
    listed = api.list_projects(page_size=2)
    one = api.get_project(listed.projects[0].id)
    assert type(one).__name__ == "Project" and type(one) is type(listed.projects[0])  # one class per schema
    assert isinstance(one, cmldyn.Project) and isinstance(one, api.models.Project)  # as with cmlapi's models
    assert not isinstance(listed, cmldyn.Project) and isinstance(listed, cmldyn.ListProjectsResponse)
    assert isinstance(one, cmldyn.Result) and one._status == 200  # still a result
    assert one.to_str() == str(one) and one.to_dict()["id"] == one.id
    assert one == api.get_project(one.id)
    assert not isinstance(cmldyn.CreateProjectRequest(name="x"), cmldyn.Project)


def test_to_pandas_names_the_package_it_needs(api: cmldyn.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    listed = api.list_projects(page_size=3)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as where pandas is not installed
    with pytest.raises(ImportError, match="to_pandas\\(\\) needs pandas, which is not installed: pip install pandas"):
        listed.to_pandas()


def test_to_pandas_makes_a_frame_of_the_items(api: cmldyn.Client) -> None:
    pytest.importorskip("pandas")  # an optional extra: checked where pandas is installed
    frame = api.list_projects(page_size=3).to_pandas()
    assert len(frame) == 3 and {"id", "name", "creator.username"} <= set(frame.columns)
