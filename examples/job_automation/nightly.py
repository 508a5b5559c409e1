"""Run a project's training job and wait for how it ends: automation as CML users write it with cmlapi.

Nothing here knows about cmldyn: it imports cmlapi, finds its workspace the way code inside a CML session
does (``cmlapi.default_client()``), and polls the newest run. ``test_nightly.py`` tests it against
cmldyn's simulator, with no workspace and no change to this file.
"""

import json
import time

import cmlapi
from cmlapi.rest import ApiException

FINAL = ("ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_STOPPED", "ENGINE_TIMEDOUT")


def ensure_job(client, project_id, name, script="train.py"):
    """The job named ``name`` in the project, made on first use with the newest Python runtime."""
    found = client.list_jobs(project_id, search_filter=json.dumps({"name": name})).jobs
    if found:
        return found[0]
    runtime = client.list_runtimes(search_filter=json.dumps({"kernel": "Python"}), page_size=1).runtimes[0]
    body = cmlapi.CreateJobRequest(name=name, script=script, runtime_identifier=runtime.image_identifier)
    return client.create_job(body, project_id)


def run_job(project_id, name, *, poll=2.0, timeout=3600.0):
    """Start a run of the job and return the status it ends in (ENGINE_SUCCEEDED, ENGINE_FAILED ...)."""
    client = cmlapi.default_client()
    job = ensure_job(client, project_id, name)
    try:
        client.create_job_run(cmlapi.CreateJobRunRequest(), project_id, job.id)
    except ApiException as error:
        raise RuntimeError(f"could not start {name}: HTTP {error.status}") from error
    deadline = time.monotonic() + timeout
    while True:
        newest = client.list_job_runs(project_id, job.id, sort="-created_at", page_size=1).job_runs[0]
        if newest.status in FINAL:
            return newest.status
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} is still {newest.status} after {timeout:.0f} s")
        time.sleep(poll)
