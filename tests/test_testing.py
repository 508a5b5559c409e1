"""cmlapi code, unmodified: `cmldyn run`, the `cml` fixture and `simulate()` (cmldyn.testing), the example
package in examples/job_automation run as its users would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from unittest import mock

import pytest

import cmldyn
from cmldyn.testing import Workspace, simulate

from .conftest import ROOT, SPECS, assert_no_canary
from .helpers import RawServer

pytest_plugins = ["pytester"]
SESSION = ("CML_HOST", "CML_API_KEY", "CDSW_API_URL", "CDSW_DOMAIN", "CDSW_APIV2_KEY", "CDSW_PROJECT_ID",
           "CMLDYN_ONLY_ORIGIN")


def run(*args: str, cwd: Any = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SESSION}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


# ------------------------------------------------------------------ cmldyn run


def test_cmldyn_run_takes_every_import_form_and_keeps_argv_and_the_exit_code() -> None:
    done = run("-m", "cmldyn", "run", "--demo", "tests/scripts/cmlapi_imports.py", "7", "--flag")
    assert done.returncode == 7, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "argv: 7 --flag name: __main__"
    count, rest = lines[1].removeprefix("runtimes: ").split(" ", 1)
    assert int(count) > 3  # Cursor went past the first page of 3
    assert rest == "project: from-a-script job: j models: True" and lines[2] == "ApiException: 404"


def test_a_failing_script_prints_its_own_traceback() -> None:
    done = run("-m", "cmldyn", "--demo", "run", "tests/scripts/cmlapi_imports.py", "--crash")
    assert done.returncode == 1
    err = done.stderr.splitlines()
    assert err[0] == "Traceback (most recent call last):" and err[-1] == "LookupError: the script's own failure"
    assert 'File "tests/scripts/cmlapi_imports.py"' in err[1]  # its own frames only: not runpy's, not cmldyn's
    assert "cmldyn: error" not in done.stderr and "runpy" not in done.stderr


def test_run_as_a_module_and_without_a_workspace(tmp_path: Any) -> None:
    (tmp_path / "tool.py").write_text("import sys, cmlapi\nprint(sys.argv[1:], cmlapi.default_client().host)\n")
    done = run("-m", "cmldyn", "--demo", "run", "-m", "tool", "a", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("['a'] http://127.0.0.1:"), done.stderr
    nowhere = run("-m", "cmldyn", "run", "tool.py", cwd=tmp_path)
    assert nowhere.returncode == 2 and nowhere.stderr.startswith("cmldyn: error: run needs a workspace")


def test_import_cmldyn_alone_does_not_make_cmlapi_importable() -> None:
    done = run("-c", "import cmldyn, importlib.util; print(importlib.util.find_spec('cmlapi'))")
    assert done.stdout.strip() == "None", done.stderr


# ------------------------------------------------------------------ the cml fixture


def test_the_fixture_controls_and_the_journal(cml: Workspace) -> None:
    project = cml.project("journal")
    assert isinstance(project, cmldyn.Project) and project.creation_status == "success"
    assert len(cml.seen) == 0  # factories leave no trace
    job = cml.job(project, name="nightly")
    cml.next_outcome("job_run", "ENGINE_FAILED")
    run_ = cml.api.create_job_run({}, project.id, job.id)
    cml.advance(30)
    assert cml.api.get_job_run(project.id, job.id, run_.id).status == "ENGINE_FAILED"
    assert [(c.method, c.operation) for c in cml.seen] == [("POST", "create_job_run"), ("GET", "get_job_run")]
    assert cml.seen.of("CreateJobRun")[0].path == f"/api/v2/projects/{project.id}/jobs/{job.id}/runs"
    with pytest.raises(cmldyn.ParamError, match="ENGINE_FAILD"):
        cml.next_outcome("job_run", "ENGINE_FAILD")


@pytest.mark.cml(seed="empty", progression="manual", project=None)
def test_the_marker_configures_the_state(cml: Workspace) -> None:
    assert cml.api.list_projects().projects == []
    app = cml.application(cml.project("apps"))
    assert app.status == "APPLICATION_RUNNING"


@pytest.mark.cml(spec=str(SPECS / "petstore-3.0.yaml"), seed="empty")
def test_the_fixture_serves_any_spec(cml: Workspace) -> None:
    assert cml.api.list_pets() == [] and cml.api.create_pet(name="rex").name == "rex"
    assert [c.operation for c in cml.seen] == ["list_pets", "create_pet"]
    with pytest.raises(cmldyn.ParamError, match="the factories make CML's objects"):
        cml.project("x")


def test_the_wrong_argument_order_fails_where_a_mock_would_pass(cml: Workspace) -> None:
    import cmlapi

    project = cml.project("order")
    body = cmlapi.CreateJobRequest(name="j", script="a.py")
    with pytest.raises(cmldyn.ParamError, match="body"):
        cmlapi.default_client().create_job(project.id, body)  # reversed: (body, project_id) is right
    fake = mock.MagicMock()
    fake.create_job(project.id, body)  # the same mistake: a mock says nothing
    assert cml.seen.of("create_job") == []  # and nothing was sent


def test_a_client_for_another_host_is_refused_and_sends_nothing(cml: Workspace) -> None:
    elsewhere = RawServer(lambda conn: None)
    try:
        with pytest.raises(cmldyn.TransportError, match="only its simulator"):
            cmldyn.Client(elsewhere.url, "real-key")
        assert elsewhere.connections == 0
    finally:
        elsewhere.close()


def test_simulate_restores_the_environment_even_when_the_code_fails() -> None:
    before = {name: os.environ.get(name) for name in SESSION}
    with pytest.raises(ZeroDivisionError):
        with simulate(seed="empty", project=None) as cml:
            assert os.environ["CML_HOST"] == cml.url
            raise ZeroDivisionError("the code under test failed")
    assert {name: os.environ.get(name) for name in SESSION} == before

    @simulate(seed="demo", project="demo")
    def decorated() -> str:
        return os.environ["CDSW_PROJECT_ID"]

    assert decorated() and os.environ.get("CDSW_PROJECT_ID") == before["CDSW_PROJECT_ID"]


def test_the_plugin_restores_the_environment_after_a_failing_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="""
        import os

        def test_fails(cml):
            assert os.environ["CML_HOST"] == cml.url
            raise AssertionError("on purpose")

        def test_after(cml):
            assert os.environ["CML_HOST"] == cml.url

        def test_without_the_fixture():
            assert "CMLDYN_ONLY_ORIGIN" not in os.environ and "CML_HOST" not in os.environ
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)


# ------------------------------------------------------------------ the example package, as its users run it


def test_the_example_package_passes_as_its_users_run_it() -> None:
    done = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/job_automation")
    assert done.returncode == 0 and "5 passed" in done.stdout, done.stdout[-2000:]
    assert_no_canary(done.stdout)


def test_without_the_plugin_there_is_no_cml_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="def test_it(cml):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:cmldyn")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'cml' not found*"])


def test_the_readme_test_example_is_the_example_package() -> None:
    """The README's "Testing your automation" shows the two files as they are (the suite runs them above)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Testing your automation"):]
    section = section[:section.index("\n## ", 10)]
    blocks = [b.strip() for b in section.split("```python\n")[1:]]
    shown = [b[:b.index("```")].strip() for b in blocks]
    for name in ("nightly.py", "test_nightly.py"):
        source = (ROOT / "examples" / "job_automation" / name).read_text().strip()
        assert source in shown, name
