"""Tests of nightly.py against cmldyn's simulator: the `cml` fixture comes with `pip install cmldyn`.

Run them with: python -m pytest examples/job_automation
"""

import nightly
import pytest
from cmlapi.rest import ApiException  # the module under test imports cmlapi: so can its tests


def test_a_run_that_succeeds(cml):
    project = cml.project("ml-team")  # put straight into the state: no request in the journal
    assert nightly.run_job(project.id, "train", poll=0.05) == "ENGINE_SUCCEEDED"
    made = cml.seen.of("create_job")
    assert len(made) == 1 and made[0].body["script"] == "train.py"
    assert len(cml.seen.of("create_job_run")) == 1


def test_a_run_that_fails(cml):
    project = cml.project("ml-team")
    cml.job(project, name="train")  # the job exists already: it is reused, not made again
    cml.next_outcome("job_run", "ENGINE_FAILED")
    assert nightly.run_job(project.id, "train", poll=0.05) == "ENGINE_FAILED"
    assert cml.seen.of("create_job") == []


def test_a_run_that_cannot_start(cml):
    project = cml.project("ml-team")
    cml.fault(operation="create_job_run", status=500)  # the next start is refused
    with pytest.raises(RuntimeError, match="could not start train: HTTP 500"):
        nightly.run_job(project.id, "train", poll=0.05)
    assert cml.seen.of("list_job_runs") == []  # it never polled


@pytest.mark.cml(progression="manual")
def test_the_run_moves_only_when_the_test_says(cml):
    project = cml.project("ml-team")
    job = cml.job(project, name="train")
    run = cml.api.create_job_run({}, project.id, job.id)
    assert cml.api.get_job_run(project.id, job.id, run.id).status == "ENGINE_SCHEDULING"
    cml.advance(10)
    assert cml.api.get_job_run(project.id, job.id, run.id).status == "ENGINE_SUCCEEDED"


def test_the_session_variables_point_at_the_simulator(cml):
    import os

    assert os.environ["CDSW_API_URL"] == cml.url + "/api/v1" and os.environ["CDSW_APIV2_KEY"] == cml.token
    with pytest.raises(ApiException):
        nightly.cmlapi.default_client().get_project("no-such-project")
