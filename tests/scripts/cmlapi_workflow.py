"""A script in the style of the vendor's cmlapi examples. Only the import line differs:
it used to read `import cmlapi` and `from cmlapi.utils import Cursor`."""

import json
import os
import time

import cmldyn as cmlapi

Cursor = cmlapi.utils.Cursor  # where `from cmlapi.utils import Cursor` finds it

HOST = os.environ["CML_HOST"]
KEY = os.environ["CML_API_KEY"]

# Manual setup, as the usage docs show it.
config = cmlapi.Configuration()
config.host = HOST
api_client = cmlapi.ApiClient(config)
api_client.set_default_header("authorization", "Bearer " + KEY)
client = cmlapi.CMLServiceApi(api_client)
print("projects visible:", len(client.list_projects(page_size=100).projects))

# The short way.
client = cmlapi.default_client(url=HOST, cml_api_key=KEY)

runtimes = list(Cursor(client.list_runtimes, search_filter=json.dumps({"kernel": "Python 3.11"})).items())
runtime = runtimes[0].image_identifier
print("runtimes with Python 3.11:", len(runtimes))

body = cmlapi.CreateProjectRequest(name="workflow-demo", description="made by a cmlapi script", template="Python")
project = client.create_project(body)
while client.get_project(project.id).creation_status != "success":
    time.sleep(0.05)
print("project", project.id, "ready")

job_body = cmlapi.CreateJobRequest(name="train", script="train.py", runtime_identifier=runtime, cpu=1, memory=2)
job = client.create_job(job_body, project_id=project.id)
run = client.create_job_run(cmlapi.CreateJobRunRequest(), project_id=project.id, job_id=job.id)
while run.status not in ("ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_STOPPED", "ENGINE_TIMEDOUT"):
    time.sleep(0.05)
    run = client.get_job_run(project.id, job.id, run.id)
latest = client.list_job_runs(project.id, job.id, sort="-created_at", page_size=1).job_runs[0]
print("run", latest.id, run.status)

model_body = cmlapi.CreateModelRequest(project_id=project.id, name="churn", description="predicts churn")
model = client.create_model(model_body, project.id)
build_body = cmlapi.CreateModelBuildRequest(project_id=project.id, model_id=model.id, file_path="predict.py",
                                            function_name="predict", runtime_identifier=runtime)
build = client.create_model_build(build_body, project.id, model.id)
while build.status not in ["built", "build failed"]:
    time.sleep(0.05)
    build = client.get_model_build(project.id, model.id, build.id)
print("build", build.status)

deployment_body = cmlapi.CreateModelDeploymentRequest(
    project_id=project.id, model_id=model.id, build_id=build.id, cpu=1, memory=2
)
deployment = client.create_model_deployment(deployment_body, project.id, model.id, build.id)
while deployment.status not in ["stopped", "failed", "deployed"]:
    time.sleep(0.05)
    deployment = client.get_model_deployment(project.id, model.id, build.id, deployment.id)
print("deployment", deployment.status)

request = cmlapi.CreateApplicationRequest(
    name="dashboard", subdomain="workflow-dash", script="app.py", runtime_identifier=runtime
)
app = client.create_application(project_id=project.id, body=request)
while client.get_application(project.id, app.id).status != "APPLICATION_RUNNING":
    time.sleep(0.05)
print("application running at", app.subdomain)

try:
    client.get_project(project_id="no-such-project")
except cmlapi.rest.ApiException as error:
    print("missing project:", error.status)

client.delete_job(project_id=project.id, job_id=job.id)
print("WORKFLOW OK", project.to_dict()["name"])
