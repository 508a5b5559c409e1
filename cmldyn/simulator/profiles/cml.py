"""The CML profile: what a CML workspace does that no spec says.

Registered explicitly over the engine (profiles/__init__.py names it; nothing is found by
method name): CML's lifecycles, its hand-written operations (files, collaborators, key
validation, and the job PATCH that answers 200 without applying ``timezone``, a quirk reported of
real workspaces, so that read-after-write checks can be tested), its seed data, its list language
(listing.py), the required fields its served spec leaves to prose, the grpc-gateway error shape
and its bearer check.

Documented lifecycles (simulated seconds; ``Simulator.clock`` can step them):
- project ``creation_status``: "" -> "success" after 2 s;
- job run: ENGINE_SCHEDULING -> ENGINE_STARTING (1 s) -> ENGINE_RUNNING (2 s) -> ENGINE_SUCCEEDED (5 s),
  or ENGINE_FAILED when the job's script or the run's arguments contain "fail"; ``:stop`` -> ENGINE_STOPPED;
- model build: "pending" -> "building" (1 s) -> "built" (5 s), or "build failed" when file_path contains "fail";
- model deployment: "pending" -> "deploying" (1 s) -> "deployed" (4 s); ``:stop`` -> "stopped"; ``:restart`` starts over;
- application: APPLICATION_STARTING -> APPLICATION_RUNNING (3 s); ``:stop`` -> APPLICATION_STOPPED; ``:restart`` starts over.

Seed data: the runtimes and add-ons every workspace has (demo or empty) and, for ``demo``,
projects (one named ``demo``) with jobs and runs in several statuses, a model with a built
build and a deployed deployment, a running application and a collaborator, all made through
the engine's own create path so they look like created ones.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from ...schema import Schema
from ..listing import paginate
from ..routes import GATEWAY_RULES, ApiFailure, Reply, Route, SpecIndex, not_found
from ..samples import Sampler
from .generic import Profile

if TYPE_CHECKING:
    from ..engine import Call, Engine

__all__ = ["CmlProfile", "EXTRA_REQUIRED", "MISSING_PREFIX", "cml_profile"]

JSON = Any
SIM_USER = {"username": "simuser", "name": "Sim User", "email": "simuser@example.com"}
_FILES_ROOT = re.compile(r"(/api/v2/projects/[^/]+/files)/(\.|%2[eE])?")
DSE_USER = {"username": "dse", "name": "DSE", "email": "dse@example.com"}  # a name that differs from its slug in case
MACHINE_USER = {"username": "observability-bot", "name": "Observability machine user", "email": "obs@example.com"}
USERS = {u["username"]: u for u in (SIM_USER, MACHINE_USER)}
MISSING_PREFIX = 'missing "Bearer " prefix in "authorization" header'

# Required fields the served spec leaves to prose; used where it marks none.
EXTRA_REQUIRED: dict[str, list[str]] = {
    "CreateProjectRequest": ["name"],
    "CreateModelRequest": ["name"],
    "CreateModelBuildRequest": ["file_path", "function_name"],
    "CreateApplicationRequest": ["name", "subdomain"],
    "CreateExperimentRequest": ["name"],
}


@dataclass
class CmlProfile(Profile):
    """CML over the engine: its tables are filled in by :func:`cml_profile`."""

    name: str = "cml"
    spec_paths: tuple[str, ...] = ("/api/v2/swagger.json",)
    body_rules: Any = GATEWAY_RULES
    strict_params: bool = False  # grpc-gateway reads query values into a message: nothing is required
    sample_style: str = "minimal"
    extra_required: dict[str, list[str]] = field(default_factory=lambda: dict(EXTRA_REQUIRED))
    id_fields: dict[str, str] = field(default_factory=lambda: {"*": "id"})
    headers: dict[str, str] = field(default_factory=lambda: {"Grpc-Metadata-Content-Type": "application/grpc"})

    def collection_prefix(self, index: SpecIndex) -> str:
        return "/api/v2"

    def in_api(self, index: SpecIndex, raw_path: str) -> bool:
        return raw_path.startswith("/api/v2/")

    def request_path(self, method: str, raw_path: str) -> str:
        """A workspace lists a project's root for ``files/``, ``files/.`` and ``files/%2F`` alike."""
        root = _FILES_ROOT.fullmatch(raw_path) if method == "GET" else None
        return f"{root.group(1)}/%2F" if root is not None else raw_path

    def keys(self, token: str) -> dict[str, str]:
        """The demo user's key (the simulator's own) and an observability machine user's (it may list workload
        executions, which the demo user may not, as on a workspace)."""
        return {SIM_USER["username"]: token, MACHINE_USER["username"]: f"{token}-observability"}

    def authorize(self, index: SpecIndex, route: Route | None, headers: dict[str, str], query: dict[str, list[str]],
                  token: str) -> str | None:
        """CML's served spec names a scheme no client can use; a workspace wants ``authorization: Bearer``.
        The user is the one whose key it is."""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("Bearer "):
            raise ApiFailure(401, 16, MISSING_PREFIX)
        given = auth[7:].encode("utf-8", "replace")
        for user, key in self.keys(token).items():
            if hmac.compare_digest(given, key.encode()):
                return user
        raise ApiFailure(401, 16, "invalid API key")

    def error_reply(self, index: SpecIndex, route: Route | None, failure: ApiFailure, sampler: Sampler) -> Reply:
        """grpc-gateway's error body: the message twice, the grpc code, no details."""
        return Reply(failure.status, {"error": failure.message, "code": failure.code, "message": failure.message,
                                      "details": []})

    def list_answer(self, engine: Engine, route: Route, objects: list[dict[str, JSON]], query: dict[str, str]) -> JSON:
        field_name = engine.index.list_field(route) or "items"
        pages = "page_token" in {p["name"] for p in route.params("query")}
        return paginate(objects, field_name, query, has_pages=pages)

    def created(self, engine: Engine, collection: str, obj: dict[str, JSON], parents: tuple[str, ...],
                body: dict[str, JSON], schema: Schema | None) -> None:
        for key in ("creator", "owner", "deployer"):
            if key in obj:
                obj[key] = dict(SIM_USER)
        hook = self.on_create.get(collection)
        if hook is not None:
            hook(engine, obj, parents, body)

    def seed(self, engine: Engine, name: str) -> None:
        seed_catalogue(engine)
        if name == "demo":
            seed_demo(engine)


def cml_profile() -> CmlProfile:
    """The CML profile with its tables: operations by operationId, create hooks by collection, actions by verb."""
    return CmlProfile(
        operations={
            "AddProjectCollaborator": add_project_collaborator,
            "DeleteProjectCollaborator": delete_project_collaborator,
            "ValidateAPIKey": validate_api_key,
            "ListProjectFiles": list_project_files,
            "UploadFile": upload_file,
            "DownloadProjectFile": download_project_file,
            "DeleteProjectFile": delete_project_file,
            "UpdateProjectFileMetadata": update_project_file_metadata,
            "UpdateJob": update_job,
            "ListWorkloadExecutions": list_workload_executions,
        },
        on_create={
            "projects": created_projects,
            "projects/*/jobs": created_projects_jobs,
            "projects/*/jobs/*/runs": created_projects_jobs_runs,
            "projects/*/models": created_projects_models,
            "projects/*/models/*/builds": created_projects_models_builds,
            "projects/*/models/*/builds/*/deployments": created_projects_models_builds_deployments,
            "projects/*/applications": created_projects_applications,
        },
        actions={"stop": action_stop, "restart": action_restart},
    )


# ---------------------------------------------------------------- create hooks and lifecycles


def created_projects(ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
    if any(p.get("name") == body.get("name") for p in ws.store("projects").values()):
        raise ApiFailure(409, 6, f"project with name {body.get('name')!r} already exists")
    obj["creation_status"] = ""
    obj["slug"] = str(obj.get("name", "")).lower().replace(" ", "-")
    obj["visibility"] = body.get("visibility") or "private"
    obj["default_engine_type"] = body.get("default_project_engine_type") or "ml_runtime"
    obj["permissions"] = {k: True for k in (obj.get("permissions") or {})}
    ws.files[obj["id"]] = {"README.md": f"# {obj['name']}\n".encode(), "analysis.py": b"print('hello from cmldyn sim')\n"}

    def done() -> None:
        obj["creation_status"] = "success"
        obj["updated_at"] = ws.clock.iso()

    ws.after(2, done)


def created_projects_jobs(ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
    obj["project"] = _project_summary(ws, parents[0])
    obj["type"] = "dependent" if body.get("parent_job_id") else ("cron" if body.get("schedule") else "manual")
    obj["parent_id"] = body.get("parent_job_id") or body.get("parent_id") or ""
    obj["timeout"] = str(body.get("timeout") or 0)
    obj["engine_image_id"] = "0"
    obj["cpu"] = body.get("cpu") or 1
    obj["memory"] = body.get("memory") or 1
    obj["timezone"] = body.get("timezone") or "America/Los_Angeles"


def created_projects_jobs_runs(ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
    job = ws.store("projects/*/jobs", parents[:1])[parents[1]]
    obj["project_id"], obj["job_id"] = parents
    for key in ("kernel", "cpu", "memory", "nvidia_gpu", "runtime_identifier", "arguments"):
        if key in obj and not body.get(key):
            obj[key] = job.get(key, obj[key])
    fails = "fail" in str(job.get("script", "")) or "fail" in str(body.get("arguments", ""))
    run_lifecycle(ws, obj, fails, final=ws.take_outcome("job_run"))


def _project_summary(ws: Engine, project_id: str) -> dict[str, JSON]:
    """How a job or model names its project."""
    project = ws.store("projects")[project_id]
    return {
        "public_identifier": project["id"],
        "name": project["name"],
        "slug": project.get("slug", ""),
        "default_project_engine": project.get("default_engine_type", "ml_runtime"),
    }


def run_lifecycle(ws: Engine, obj: dict[str, JSON], fails: bool, *, start: float = 0.0, final: str | None = None) -> None:
    """SCHEDULING, STARTING, RUNNING, then ``final`` (forced by a test), or FAILED where it ``fails``, else SUCCEEDED."""
    obj["status"] = "ENGINE_SCHEDULING"
    obj["scheduling_at"] = ws.clock.iso()
    final = final or ("ENGINE_FAILED" if fails else "ENGINE_SUCCEEDED")
    steps: list[tuple[float, str, str]] = [
        (1, "ENGINE_STARTING", "starting_at"),
        (2, "ENGINE_RUNNING", "running_at"),
        (5, final, "finished_at"),
    ]
    ws.schedule_statuses(obj, steps, start)


def created_projects_models(ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
    obj["project"] = _project_summary(ws, parents[0])
    obj["access_key"] = "m" + "".join(ws.rng.choice("0123456789abcdef") for _ in range(31))
    obj["crn"] = f"crn:cdp:ml:us-west-1:sim:workspace:sim/{obj['id']}"
    obj["visibility"] = body.get("visibility") or "private"


def created_projects_models_builds(
    ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
) -> None:
    obj["model_id"] = parents[1]
    obj["crn"] = f"crn:cdp:ml:us-west-1:sim:workspace:sim/{obj['id']}"
    fails = "fail" in str(body.get("file_path", ""))
    obj["status"] = "pending"
    final = ws.take_outcome("model_build") or ("build failed" if fails else "built")
    ws.schedule_statuses(obj, [(1, "building", ""), (5, final, "built_at")], start)


def created_projects_models_builds_deployments(
    ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
) -> None:
    build = ws.store("projects/*/models/*/builds", parents[:2]).get(parents[2], {})
    if build.get("status") != "built":
        raise ApiFailure(
            400, 9, f"model build {parents[2]} is {build.get('status') or 'unknown'}; deploy a build once it is built"
        )
    obj["project_id"], obj["model_id"], obj["build_id"] = parents
    obj["cpu"] = body.get("cpu") or 1
    obj["memory"] = body.get("memory") or 2
    obj["replicas"] = body.get("replicas") or 1
    obj["nvidia_gpu"] = body.get("nvidia_gpus") or 0
    obj["crn"] = f"crn:cdp:ml:us-west-1:sim:workspace:sim/{obj['id']}"
    deploy_lifecycle(ws, obj, start)


def deploy_lifecycle(ws: Engine, obj: dict[str, JSON], start: float = 0.0) -> None:
    """pending, deploying, then deployed (or the final status a test forced for the next deployment)."""
    obj["status"] = "pending"
    obj.pop("stopped_at", None)  # grpc-gateway leaves empty fields out; "" is no date-time
    ws.schedule_statuses(obj, [(1, "deploying", ""), (4, ws.take_outcome("model_deployment") or "deployed", "")], start)


def created_projects_applications(
    ws: Engine, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
) -> None:
    for other in ws.store("projects/*/applications", parents).values():
        if body.get("subdomain") and other.get("subdomain") == body.get("subdomain"):
            raise ApiFailure(409, 6, f"subdomain {body['subdomain']!r} is already used by application {other['id']}")
    obj["cpu"] = body.get("cpu") or 1
    obj["memory"] = body.get("memory") or 2
    app_lifecycle(ws, obj, start)


def app_lifecycle(ws: Engine, obj: dict[str, JSON], start: float = 0.0) -> None:
    obj["status"] = "APPLICATION_STARTING"
    obj["starting_at"] = ws.clock.iso()
    obj.pop("stopped_at", None)  # grpc-gateway leaves empty fields out; "" is no date-time
    final = ws.take_outcome("application") or "APPLICATION_RUNNING"
    ws.schedule_statuses(obj, [(3, final, "running_at" if final == "APPLICATION_RUNNING" else "")], start)


def action_stop(ws: Engine, collection: str, obj: dict[str, JSON]) -> None:
    obj["_sim_gen"] = obj.get("_sim_gen", 0) + 1  # cancels pending status moves
    now = ws.clock.iso()
    if collection.endswith("jobs/*/runs"):
        if obj.get("status") not in ("ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_TIMEDOUT", "ENGINE_SKIPPED"):
            obj["status"] = "ENGINE_STOPPED"
            obj["finished_at"] = now
    elif collection.endswith("applications"):
        obj["status"] = "APPLICATION_STOPPED"
        obj["stopped_at"] = now
    elif collection.endswith("deployments"):
        obj["status"] = "stopped"
        obj["stopped_at"] = now
    if "updated_at" in obj:
        obj["updated_at"] = now


def action_restart(ws: Engine, collection: str, obj: dict[str, JSON]) -> None:
    if collection.endswith("applications"):
        app_lifecycle(ws, obj)
    elif collection.endswith("deployments"):
        deploy_lifecycle(ws, obj)


# ---------------------------------------------------------------- hand-written operations


def add_project_collaborator(ws: Engine, call: Call) -> Reply:
    path, body = call.path, call.body
    ws.check_parents("projects/*/collaborators", (path["project_id"],))
    permission = (body or {}).get("permission") or "read"
    if permission not in ("read", "write", "admin", "operator"):
        raise ApiFailure(400, 3, f"invalid permission {permission!r}; use read, write, operator or admin")
    username = path["username"]
    ws.store("projects/*/collaborators", (path["project_id"],))[username] = {
        "user": {"username": username, "name": username.title(), "email": f"{username}@example.com"},
        "permission": permission,
    }
    return Reply(200, {})


def delete_project_collaborator(ws: Engine, call: Call) -> Reply:
    path = call.path
    store = ws.store("projects/*/collaborators", (path["project_id"],))
    ws.check_parents("projects/*/collaborators", (path["project_id"],))
    if store.pop(path["username"], None) is None:
        raise not_found("collaborator", path["username"])
    return Reply(200, {})


def validate_api_key(ws: Engine, call: Call) -> Reply:
    body = call.body
    audience = (body or {}).get("audience") or "API"
    if audience not in ("API", "Application"):
        raise ApiFailure(400, 3, f"unknown audience {audience!r}; use API or Application")
    if audience == "Application":
        raise ApiFailure(403, 7, "audience mismatch")
    user = USERS.get(call.user or "", SIM_USER)
    return Reply(200, {"valid": True, "username": user["username"], "message": "API key is valid for the given audience"})


def list_workload_executions(ws: Engine, call: Call) -> Reply:
    """Only an observability machine user may list them; any other key gets a workspace's 403 (code 7)."""
    if call.user != MACHINE_USER["username"]:
        raise ApiFailure(403, 7, "User is not an observability machine user")
    return ws.respond(call)


def list_project_files(ws: Engine, call: Call) -> Reply:
    path = call.path
    files = _files(ws, path["project_id"])
    prefix = path["path"].strip("/")
    prefix = "" if prefix in ("", ".") else prefix + "/"
    if prefix and prefix[:-1] in files:
        raise ApiFailure(400, 3, f"{prefix[:-1]} is a file, not a directory")
    entries: dict[str, JSON] = {}
    for name, data in files.items():
        if not name.startswith(prefix):
            continue
        rest_name = name[len(prefix) :]
        head, _, tail = rest_name.partition("/")
        if tail:
            entries.setdefault(head, {"path": head, "is_dir": True, "file_size": "0"})
        else:
            entries[head] = {"path": head, "is_dir": False, "file_size": str(len(data))}
    if prefix and not entries:
        raise not_found("path", prefix[:-1])
    return Reply(200, {"files": sorted(entries.values(), key=lambda e: e["path"])})


def upload_file(ws: Engine, call: Call) -> Reply:
    path, raw, ctype = call.path, call.raw, call.content_type
    files = _files(ws, path["project_id"])
    if "multipart/form-data" not in ctype:
        raise ApiFailure(400, 3, "upload expects multipart/form-data; the form field name is the destination path")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + raw)
    stored = 0
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        dest = str(name).strip("/")
        if not dest or ".." in dest.split("/"):
            raise ApiFailure(400, 3, f"invalid destination path {dest!r}")
        payload = part.get_payload(decode=True)
        files[_free_name(files, dest)] = payload if isinstance(payload, bytes) else b""
        stored += 1
    if not stored:
        raise ApiFailure(400, 3, "no file parts in the upload")
    return Reply(200, None, raw=b"", content_type="application/json")


def download_project_file(ws: Engine, call: Call) -> Reply:
    path = call.path
    files = _files(ws, path["project_id"])
    name = path["path"].strip("/")
    if name not in files:
        raise not_found("file", name)
    return Reply(200, raw=files[name], content_type="application/octet-stream")


def delete_project_file(ws: Engine, call: Call) -> Reply:
    path = call.path
    files = _files(ws, path["project_id"])
    name = path["path"].strip("/")
    removed = [k for k in files if k == name or k.startswith(name + "/")]
    if not removed:
        raise not_found("file", name)
    for key in removed:
        del files[key]
    return Reply(200, {})


def update_project_file_metadata(ws: Engine, call: Call) -> Reply:
    path, body = call.path, call.body
    files = _files(ws, path["project_id"])
    name = path["path"].strip("/")
    if name not in files:
        raise not_found("file", name)
    target = str((body or {}).get("path") or name).strip("/")
    files[target] = files.pop(name)
    return Reply(200, {"path": target, "is_dir": False, "file_size": str(len(files[target]))})


def update_job(ws: Engine, call: Call) -> Reply:
    """A quirk reported of real workspaces: PATCH of a job answers 200 but does not apply ``timezone``."""
    route = call.route
    kind = ws.kinds[route.operation_id]
    values = [call.path[n] for n in route.names]
    body = {k: v for k, v in (call.body or {}).items() if k != "timezone"}
    return ws.item_op(route, kind, tuple(values[: kind.parents]), values[kind.parents], body)


def _files(ws: Engine, project_id: str) -> dict[str, bytes]:
    if project_id not in ws.store("projects"):
        raise not_found("project", project_id)
    return ws.files.setdefault(project_id, {})


def _free_name(files: dict[str, bytes], dest: str) -> str:
    """CML never overwrites an upload: ``a.txt`` becomes ``a(1).txt``."""
    if dest not in files:
        return dest
    stem, dot, ext = dest.rpartition(".")
    if not dot or "/" in ext:
        stem, ext, dot = dest, "", ""
    n = 1
    while f"{stem}({n}){dot}{ext}" in files:
        n += 1
    return f"{stem}({n}){dot}{ext}"


# ---------------------------------------------------------------- seed data


def seed_catalogue(ws: Engine) -> None:
    """Runtimes and add-ons exist in every workspace, demo or empty."""
    runtimes = ws.store("runtimes")
    for editor, kernel, edition in (
        ("JupyterLab", "Python 3.10", "Standard"),
        ("JupyterLab", "Python 3.11", "Standard"),
        ("JupyterLab", "Python 3.12", "Standard"),
        ("JupyterLab", "Python 3.11", "Nvidia GPU"),
        ("Workbench", "Python 3.10", "Standard"),
        ("Workbench", "Python 3.11", "Standard"),
        ("Workbench", "Python 3.12", "Standard"),
        ("Workbench", "R 4.3", "Standard"),
        ("Workbench", "R 4.4", "Standard"),
        ("PBJ Workbench", "Python 3.11", "Standard"),
        ("PBJ Workbench", "Python 3.12", "Standard"),
        ("VS Code", "Python 3.11", "Standard"),
        ("Workbench", "Scala 2.12", "Standard"),
        ("JupyterLab", "Python 3.9", "Standard"),
        ("Workbench", "Python 3.9", "Standard"),  # older ones still found in AMP files
        ("PBJ Workbench", "Python 3.10", "Standard"),
    ):
        slug = f"{editor.lower().replace(' ', '-')}-{kernel.lower().replace(' ', '')}-{edition.lower().replace(' ', '-')}"
        image = f"docker.repository.cloudera.com/cloudera/cdsw/ml-runtime-{slug}:2025.09.1-b5"
        runtimes[image] = {
            "image_identifier": image,
            "editor": editor,
            "kernel": kernel,
            "edition": edition,
            "description": f"{kernel} with {editor}",
            "full_version": "2025.09.1-b5",
            "status": "DEPRECATED" if kernel.endswith("3.9") else "ENABLED",
            "register_user_id": 0,
        }
    addons = ws.store("runtimeaddons")
    for i, (ident, name, comp) in enumerate(
        (
            ("spark341-b2-hadoop3", "Spark 3.4.1 - CDE 1.20 - HOTFIX-2", "Spark"),
            ("spark352-b1-hadoop3", "Spark 3.5.2 - CDE 1.23", "Spark"),
            ("hadoop-cli-7.2.18", "Hadoop CLI - CDP 7.2.18", "HadoopCLI"),
        ),
        start=1,
    ):
        addons[ident] = {
            "identifier": ident,
            "component": comp,
            "display_name": name,
            "status": "AVAILABLE",
            "manageable": True,
            "created_at": ws.clock.iso(),
            "id": i,
            "reason": "",
        }


def seed_demo(ws: Engine) -> None:
    """A handful of projects (one named demo), jobs with runs in several statuses,
    a model with a built build and a deployed deployment, and a running application."""
    names = [
        ("demo", "Demo project for trying cmldyn"),
        ("churn-analysis", "Customer churn models"),
        ("fraud-detection", "Card fraud scoring"),
        ("nlp-sandbox", "Text experiments"),
        ("forecasting", "Demand forecasting"),
        ("DSE-sandbox", "Data science enablement"),
    ]
    route = ws.index.by_id["CreateProject"]
    ids = {}
    for name, description in names:
        ids[name] = ws.create(route, "projects", (), {"name": name, "description": description, "template": "Python"})["id"]
    ws.clock_jump(3)
    dse = ws.store("projects")[ids["DSE-sandbox"]]  # a team whose display name and slug differ in case
    dse["owner"] = dict(DSE_USER)
    dse["slug"] = "dse-sandbox"
    demo = ids["demo"]
    job_route = ws.index.by_id["CreateJob"]
    run_route = ws.index.by_id["CreateJobRun"]
    jobs = [
        ws.create(
            job_route,
            "projects/*/jobs",
            (demo,),
            {"name": n, "script": s, "runtime_identifier": next(iter(ws.store("runtimes")), "")},
        )
        for n, s in (("nightly-train", "train.py"), ("score", "score.py"), ("flaky-report", "fail_report.py"))
    ]
    for job, elapsed in zip(jobs, (10, 2, 10), strict=False):
        run = ws.create(run_route, "projects/*/jobs/*/runs", (demo, job["id"]), {})
        stored = ws.store("projects/*/jobs/*/runs", (demo, job["id"]))[run["id"]]
        run_lifecycle(ws, stored, "fail" in job["script"], start=elapsed)
    model = ws.create(
        ws.index.by_id["CreateModel"],
        "projects/*/models",
        (demo,),
        {"name": "churn-model", "description": "Predicts churn"},
    )
    build_route = ws.index.by_id["CreateModelBuild"]
    build = ws.create(
        build_route,
        "projects/*/models/*/builds",
        (demo, model["id"]),
        {"file_path": "predict.py", "function_name": "predict", "comment": "first build"},
    )
    stored_build = ws.store("projects/*/models/*/builds", (demo, model["id"]))[build["id"]]
    ws.schedule_statuses(stored_build, [(0, "built", "built_at")])
    ws.create(
        ws.index.by_id["CreateModelDeployment"],
        "projects/*/models/*/builds/*/deployments",
        (demo, model["id"], build["id"]),
        {"cpu": 1, "memory": 2},
    )
    for dep in ws.store("projects/*/models/*/builds/*/deployments", (demo, model["id"], build["id"])).values():
        ws.schedule_statuses(dep, [(0, "deployed", "")])
    app = ws.create(
        ws.index.by_id["CreateApplication"],
        "projects/*/applications",
        (demo,),
        {"name": "dashboard", "subdomain": "demo-dashboard", "script": "app.py", "description": "Streamlit dashboard"},
    )
    ws.schedule_statuses(
        ws.store("projects/*/applications", (demo,))[app["id"]], [(0, "APPLICATION_RUNNING", "running_at")]
    )
    ws.store("projects/*/collaborators", (demo,))["alice"] = {
        "user": {"username": "alice", "name": "Alice", "email": "alice@example.com"},
        "permission": "write",
    }
