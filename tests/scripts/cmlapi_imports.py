"""An unmodified cmlapi script: every import form real scripts use, for `cmldyn run` (tests/test_testing.py)."""

import os
import sys

import cmlapi
import cmlapi.models
from cmlapi.api.cml_service_api import CMLServiceApi
from cmlapi.api_client import ApiClient
from cmlapi.configuration import Configuration
from cmlapi.models import CreateProjectRequest
from cmlapi.models.create_job_request import CreateJobRequest
from cmlapi.rest import ApiException
from cmlapi.utils import Cursor

print("argv:", " ".join(sys.argv[1:]), "name:", __name__)
client = cmlapi.default_client()  # no arguments: the session's variables say where
runtimes = list(Cursor(client.list_runtimes, page_size=3).items())
config = Configuration()
config.host = os.environ["CDSW_API_URL"].replace("/api/v1", "")
api_client = ApiClient(config)
api_client.set_default_header("authorization", "Bearer " + os.environ["CDSW_APIV2_KEY"])
service = CMLServiceApi(api_client)
project = service.create_project(CreateProjectRequest(name="from-a-script", template="blank"))
job = service.create_job(CreateJobRequest(name="j", script="a.py", runtime_identifier=runtimes[0].image_identifier),
                         project.id)
same = cmlapi.models is sys.modules["cmlapi.models"]
print("runtimes:", len(runtimes), "project:", project.name, "job:", job.name, "models:", same)
try:
    service.get_project("no-such-project")
except ApiException as error:
    print("ApiException:", error.status)
if "--crash" in sys.argv:
    raise LookupError("the script's own failure")
sys.exit(int(sys.argv[1]) if sys.argv[1:] and sys.argv[1].isdigit() else 0)
