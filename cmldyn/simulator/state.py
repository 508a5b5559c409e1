"""The simulator's workspace: stores, lifecycles on a simulated clock, lists as CML does them.

Owns: every resource the simulator keeps (projects, jobs, runs, models, builds,
deployments, applications, collaborators, runtimes, add-ons, files), the timers
that move statuses along, and the demo seed (lists are paged, filtered and sorted by listing.py).
Anything the spec defines but this module has no rule for answers with an object
built from the operation's success schema, so every operation responds.
Imports nothing from the cmldyn client.

Documented lifecycles (simulated seconds; ``Simulator.clock`` can step them):
- project ``creation_status``: "" -> "success" after 2 s;
- job run: ENGINE_SCHEDULING -> ENGINE_STARTING (1 s) -> ENGINE_RUNNING (2 s) -> ENGINE_SUCCEEDED (5 s),
  or ENGINE_FAILED when the job's script or the run's arguments contain "fail"; ``:stop`` -> ENGINE_STOPPED;
- model build: "pending" -> "building" (1 s) -> "built" (5 s), or "build failed" when file_path contains "fail";
- model deployment: "pending" -> "deploying" (1 s) -> "deployed" (4 s); ``:stop`` -> "stopped"; ``:restart`` starts over;
- application: APPLICATION_STARTING -> APPLICATION_RUNNING (3 s); ``:stop`` -> APPLICATION_STOPPED; ``:restart`` starts over.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Callable

from .listing import paginate
from .routes import Route, SpecIndex
from .seed import seed_catalogue, seed_demo

__all__ = ["ApiFailure", "Reply", "RouteKind", "SimClock", "Workspace", "classify", "not_found"]

JSON = Any
SIM_USER = {"username": "simuser", "name": "Sim User", "email": "simuser@example.com"}


class SimClock:
    """Simulated time: real time times ``speed`` plus manual steps. ``speed=0`` freezes it for tests."""

    def __init__(self, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._real0 = time.monotonic()
        self._base = 0.0
        self.epoch = datetime.now(timezone.utc).replace(microsecond=0)

    def now(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._real0) * self._speed

    def step(self, seconds: float) -> None:
        with self._lock:
            self._base += seconds

    def set_speed(self, speed: float) -> None:
        with self._lock:
            now = self._base + (time.monotonic() - self._real0) * self._speed
            self._real0 = time.monotonic()
            self._base = now
            self._speed = float(speed)

    def iso(self, at: float | None = None) -> str:
        moment = self.epoch + timedelta(seconds=self.now() if at is None else at)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


class ApiFailure(Exception):
    """An error answer in CML's shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str, ident: str) -> ApiFailure:
    return ApiFailure(404, 5, f"{what} not found: {ident}")


@dataclass
class Reply:
    status: int
    body: JSON = None
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass
class RouteKind:
    kind: str  # list, create, get, update, delete, action, put_item, other
    collection: str  # "projects/*/jobs"
    parents: int  # how many path values name the parents
    verb: str = ""


def classify(route: Route) -> RouteKind:
    segments = route.template.split("/")[3:]  # after /api/v2
    last = segments[-1]
    verb = ""
    if ":" in last:
        last, verb = last.split(":", 1)
        segments = segments[:-1] + [last]
    is_param = last.startswith("{")
    coll_segments = segments[:-1] if is_param else segments
    collection = "/".join("*" if s.startswith("{") else s for s in coll_segments)
    parents = sum(1 for s in coll_segments if s.startswith("{"))
    if verb:
        return RouteKind("action" if is_param else "other", collection, parents, verb)
    if is_param:
        kind = {"GET": "get", "DELETE": "delete", "PATCH": "update", "PUT": "put_item"}.get(route.method, "other")
        return RouteKind(kind, collection, parents)
    kind = {"GET": "list", "POST": "create"}.get(route.method, "other")
    return RouteKind(kind, collection, parents)


class Workspace:
    """All simulated state, guarded by one lock; timers run on every request."""

    def __init__(self, index: SpecIndex, clock: SimClock, *, seed: str = "demo", rng_seed: int = 7) -> None:
        self.index = index
        self.clock = clock
        self.rng = random.Random(rng_seed)
        self.lock = threading.RLock()
        self.items: dict[str, dict[tuple[str, ...], dict[str, dict[str, JSON]]]] = {}
        self.files: dict[str, dict[str, bytes]] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.kinds = {route.operation_id: classify(route) for route in index.routes}
        if seed not in ("demo", "empty"):
            raise ValueError(f"unknown seed {seed!r}; use demo or empty")
        seed_catalogue(self)
        if seed == "demo":
            seed_demo(self)

    # ------------------------------------------------------------ basics

    def new_id(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "-".join("".join(self.rng.choice(alphabet) for _ in range(4)) for _ in range(4))

    def store(self, collection: str, parents: tuple[str, ...] = ()) -> dict[str, dict[str, JSON]]:
        return self.items.setdefault(collection, {}).setdefault(parents, {})

    def after(self, delay: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (self.clock.now() + delay, next(self._seq), action))

    def advance(self) -> None:
        now = self.clock.now()
        while self._timers and self._timers[0][0] <= now:
            _, _, action = heapq.heappop(self._timers)
            action()

    def public(self, obj: dict[str, JSON]) -> dict[str, JSON]:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_sim")}

    def check_parents(self, collection: str, parents: tuple[str, ...]) -> None:
        """``projects/*/models/*/builds`` with (p, m): project p and model m must exist."""
        segments = collection.split("/")
        depth = 0
        for i, segment in enumerate(segments):
            if segment != "*":
                continue
            parent_collection = "/".join(segments[:i])
            store = self.items.get(parent_collection, {}).get(parents[:depth], {})
            if parents[depth] not in store:
                raise not_found(_singular(segments[i - 1]), parents[depth])
            depth += 1

    # ------------------------------------------------------------ dispatch

    def handle(self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON,
               raw_body: bytes, content_type: str) -> Reply:
        with self.lock:
            self.advance()
            special = getattr(self, "op_" + route.operation_id, None)
            if special is not None:
                reply: Reply = special(route, path, query, body, raw_body, content_type)
                return reply
            kind = self.kinds[route.operation_id]
            values = [path[n] for n in route.names]
            parents = tuple(values[: kind.parents])
            if kind.kind == "list" and self.index.list_field(route):
                return self.list_items(route, kind.collection, parents, query)
            if kind.kind == "create" and "id" in self.index.properties(route):
                return Reply(200, self.create(route, kind.collection, parents, body or {}))
            if kind.kind in ("get", "update", "delete", "action") and kind.collection in self.items:
                ident = values[kind.parents] if len(values) > kind.parents else ""
                return self.item_op(route, kind, parents, ident, body or {})
            if "application/octet-stream" in (route.op.get("produces") or []):
                return Reply(route.success_code, raw=b"simulated bytes\n", content_type="application/octet-stream")
            return Reply(route.success_code, self.sample(route))

    def sample(self, route: Route) -> JSON:
        return self.index.sample(self.index.response_view(route), now=self.clock.iso())

    # ------------------------------------------------------------ generic CRUD

    def create(self, route: Route, collection: str, parents: tuple[str, ...], body: dict[str, JSON]) -> JSON:
        self.check_parents(collection, parents)
        obj = self.index.sample(self.index.response_view(route), now=self.clock.iso())
        props = self.index.properties(route)
        for key, prop in props.items():
            # Empty date-times are left out, as grpc-gateway does, rather than sent as "".
            if prop.format == "date-time" and key not in ("created_at", "updated_at"):
                obj.pop(key, None)
        for key, value in body.items():
            if key in props:
                obj[key] = json.dumps(value) if key == "environment" and isinstance(value, dict) else value
        id_schema = props.get("id")
        # CML's ids are strings like "abcd-1234-..."; a few resources (runtime repos) number theirs.
        numbered = id_schema is not None and id_schema.type == "integer"
        obj["id"] = len(self.store(collection, parents)) + 1 if numbered else self.new_id()
        for key in ("created_at", "updated_at"):
            if key in obj:
                obj[key] = self.clock.iso()
        for key in ("creator", "owner", "deployer"):
            if key in obj:
                obj[key] = dict(SIM_USER)
        hook = getattr(self, "created_" + collection.replace("/*/", "_").replace("/", "_"), None)
        if hook is not None:
            hook(obj, parents, body)
        self.store(collection, parents)[str(obj["id"])] = obj
        return self.public(obj)

    def item_op(self, route: Route, kind: RouteKind, parents: tuple[str, ...], ident: str, body: dict[str, JSON]) -> Reply:
        self.check_parents(kind.collection, parents)
        store = self.store(kind.collection, parents)
        obj = store.get(ident)
        if obj is None:
            raise not_found(_singular(kind.collection.rsplit("/", 1)[-1]), ident)
        if kind.kind == "get":
            return Reply(200, self.public(obj))
        if kind.kind == "delete":
            del store[ident]
            return Reply(200, {})
        if kind.kind == "update":
            props = self.index.properties(route)
            for key, value in body.items():
                if key in props and key != "id" and value is not None:
                    obj[key] = json.dumps(value) if key == "environment" and isinstance(value, dict) else value
            if "updated_at" in obj:
                obj["updated_at"] = self.clock.iso()
            return Reply(200, self.public(obj))
        hook = getattr(self, f"action_{kind.verb}", None)
        if hook is None:
            return Reply(200, self.public(obj))
        hook(kind.collection, obj)
        return Reply(200, self.public(obj))

    def list_items(self, route: Route, collection: str, parents: tuple[str, ...], query: dict[str, str]) -> Reply:
        field_name = self.index.list_field(route) or "items"
        if collection in self.items or "*" in collection:
            if "*" in collection:
                self.check_parents(collection, parents)
            objects = list(self.store(collection, parents).values())
        else:
            # A top-level list of something kept per project (/api/v2/jobs): all of them.
            nested = [k for k in self.items if k.endswith("/" + collection)]
            objects = [o for k in nested for group in self.items[k].values() for o in group.values()]
        objects = [self.public(o) for o in objects]
        pages = "page_token" in {p["name"] for p in route.params("query")}
        return Reply(200, paginate(objects, field_name, query, has_pages=pages))

    # ------------------------------------------------------------ lifecycles

    def created_projects(self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
        if any(p.get("name") == body.get("name") for p in self.store("projects").values()):
            raise ApiFailure(409, 6, f"project with name {body.get('name')!r} already exists")
        obj["creation_status"] = ""
        obj["slug"] = str(obj.get("name", "")).lower().replace(" ", "-")
        obj["visibility"] = body.get("visibility") or "private"
        obj["default_engine_type"] = body.get("default_project_engine_type") or "ml_runtime"
        obj["permissions"] = {k: True for k in (obj.get("permissions") or {})}
        self.files[obj["id"]] = {"README.md": f"# {obj['name']}\n".encode(), "analysis.py": b"print('hello from cmldyn sim')\n"}

        def done() -> None:
            obj["creation_status"] = "success"
            obj["updated_at"] = self.clock.iso()

        self.after(2, done)

    def created_projects_jobs(self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
        project = self.store("projects")[parents[0]]
        obj["project"] = {
            "public_identifier": project["id"],
            "name": project["name"],
            "slug": project.get("slug", ""),
            "default_project_engine": project.get("default_engine_type", "ml_runtime"),
        }
        obj["type"] = "dependent" if body.get("parent_job_id") else ("cron" if body.get("schedule") else "manual")
        obj["parent_id"] = body.get("parent_job_id") or body.get("parent_id") or ""
        obj["timeout"] = str(body.get("timeout") or 0)
        obj["engine_image_id"] = "0"
        obj["cpu"] = body.get("cpu") or 1
        obj["memory"] = body.get("memory") or 1
        obj["timezone"] = body.get("timezone") or "America/Los_Angeles"

    def created_projects_jobs_runs(self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
        job = self.store("projects/*/jobs", parents[:1])[parents[1]]
        obj["project_id"], obj["job_id"] = parents
        for key in ("kernel", "cpu", "memory", "nvidia_gpu", "runtime_identifier", "arguments"):
            if key in obj and not body.get(key):
                obj[key] = job.get(key, obj[key])
        fails = "fail" in str(job.get("script", "")) or "fail" in str(body.get("arguments", ""))
        self.run_lifecycle(obj, fails)

    def run_lifecycle(self, obj: dict[str, JSON], fails: bool, *, start: float = 0.0) -> None:
        obj["status"] = "ENGINE_SCHEDULING"
        obj["scheduling_at"] = self.clock.iso()
        final = "ENGINE_FAILED" if fails else "ENGINE_SUCCEEDED"
        steps: list[tuple[float, str, str]] = [
            (1, "ENGINE_STARTING", "starting_at"),
            (2, "ENGINE_RUNNING", "running_at"),
            (5, final, "finished_at"),
        ]
        self.schedule_statuses(obj, steps, start)

    def schedule_statuses(self, obj: dict[str, JSON], steps: list[tuple[float, str, str]], start: float = 0.0) -> None:
        generation = obj["_sim_gen"] = obj.get("_sim_gen", 0) + 1
        for delay, status, stamp in steps:

            def move(status: str = status, stamp: str = stamp) -> None:
                if obj.get("_sim_gen") == generation:
                    obj["status"] = status
                    if stamp:
                        obj[stamp] = self.clock.iso()
                    if "updated_at" in obj:
                        obj["updated_at"] = self.clock.iso()

            if delay - start <= 0:
                move()
            else:
                self.after(delay - start, move)

    def created_projects_models(self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON]) -> None:
        project = self.store("projects")[parents[0]]
        obj["project"] = {
            "public_identifier": project["id"],
            "name": project["name"],
            "slug": project.get("slug", ""),
            "default_project_engine": project.get("default_engine_type", "ml_runtime"),
        }
        obj["access_key"] = "m" + "".join(self.rng.choice("0123456789abcdef") for _ in range(31))
        obj["crn"] = f"crn:cdp:ml:us-west-1:sim:workspace:sim/{obj['id']}"
        obj["visibility"] = body.get("visibility") or "private"

    def created_projects_models_builds(
        self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
    ) -> None:
        obj["model_id"] = parents[1]
        obj["crn"] = f"crn:cdp:ml:us-west-1:sim:workspace:sim/{obj['id']}"
        fails = "fail" in str(body.get("file_path", ""))
        obj["status"] = "pending"
        self.schedule_statuses(obj, [(1, "building", ""), (5, "build failed" if fails else "built", "built_at")], start)

    def created_projects_models_builds_deployments(
        self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
    ) -> None:
        build = self.store("projects/*/models/*/builds", parents[:2]).get(parents[2], {})
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
        self.deploy_lifecycle(obj, start)

    def deploy_lifecycle(self, obj: dict[str, JSON], start: float = 0.0) -> None:
        obj["status"] = "pending"
        obj.pop("stopped_at", None)  # grpc-gateway leaves empty fields out; "" is no date-time
        self.schedule_statuses(obj, [(1, "deploying", ""), (4, "deployed", "")], start)

    def created_projects_applications(
        self, obj: dict[str, JSON], parents: tuple[str, ...], body: dict[str, JSON], start: float = 0.0
    ) -> None:
        for other in self.store("projects/*/applications", parents).values():
            if body.get("subdomain") and other.get("subdomain") == body.get("subdomain"):
                raise ApiFailure(409, 6, f"subdomain {body['subdomain']!r} is already used by application {other['id']}")
        obj["cpu"] = body.get("cpu") or 1
        obj["memory"] = body.get("memory") or 2
        self.app_lifecycle(obj, start)

    def app_lifecycle(self, obj: dict[str, JSON], start: float = 0.0) -> None:
        obj["status"] = "APPLICATION_STARTING"
        obj["starting_at"] = self.clock.iso()
        obj.pop("stopped_at", None)  # grpc-gateway leaves empty fields out; "" is no date-time
        self.schedule_statuses(obj, [(3, "APPLICATION_RUNNING", "running_at")], start)

    def action_stop(self, collection: str, obj: dict[str, JSON]) -> None:
        obj["_sim_gen"] = obj.get("_sim_gen", 0) + 1  # cancels pending status moves
        now = self.clock.iso()
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

    def action_restart(self, collection: str, obj: dict[str, JSON]) -> None:
        if collection.endswith("applications"):
            self.app_lifecycle(obj)
        elif collection.endswith("deployments"):
            self.deploy_lifecycle(obj)

    # ------------------------------------------------------------ special operations

    def op_AddProjectCollaborator(
        self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON, raw: bytes, ctype: str
    ) -> Reply:
        self.check_parents("projects/*/collaborators", (path["project_id"],))
        permission = (body or {}).get("permission") or "read"
        if permission not in ("read", "write", "admin", "operator"):
            raise ApiFailure(400, 3, f"invalid permission {permission!r}; use read, write, operator or admin")
        username = path["username"]
        self.store("projects/*/collaborators", (path["project_id"],))[username] = {
            "user": {"username": username, "name": username.title(), "email": f"{username}@example.com"},
            "permission": permission,
        }
        return Reply(200, {})

    def op_DeleteProjectCollaborator(self, route: Route, path: dict[str, str], *rest: Any) -> Reply:
        store = self.store("projects/*/collaborators", (path["project_id"],))
        self.check_parents("projects/*/collaborators", (path["project_id"],))
        if store.pop(path["username"], None) is None:
            raise not_found("collaborator", path["username"])
        return Reply(200, {})

    def op_ValidateAPIKey(self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON, *rest: Any) -> Reply:
        audience = (body or {}).get("audience") or "API"
        if audience not in ("API", "Application"):
            raise ApiFailure(400, 3, f"unknown audience {audience!r}; use API or Application")
        if audience == "Application":
            raise ApiFailure(403, 7, "audience mismatch")
        return Reply(200, {"valid": True, "username": SIM_USER["username"], "message": "key is valid for audience API"})

    def op_ListProjectFiles(self, route: Route, path: dict[str, str], *rest: Any) -> Reply:
        files = self._files(path["project_id"])
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

    def op_UploadFile(
        self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON, raw: bytes, ctype: str
    ) -> Reply:
        files = self._files(path["project_id"])
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

    def op_DownloadProjectFile(self, route: Route, path: dict[str, str], *rest: Any) -> Reply:
        files = self._files(path["project_id"])
        name = path["path"].strip("/")
        if name not in files:
            raise not_found("file", name)
        return Reply(200, raw=files[name], content_type="application/octet-stream")

    def op_DeleteProjectFile(self, route: Route, path: dict[str, str], *rest: Any) -> Reply:
        files = self._files(path["project_id"])
        name = path["path"].strip("/")
        removed = [k for k in files if k == name or k.startswith(name + "/")]
        if not removed:
            raise not_found("file", name)
        for key in removed:
            del files[key]
        return Reply(200, {})

    def op_UpdateProjectFileMetadata(
        self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON, *rest: Any
    ) -> Reply:
        files = self._files(path["project_id"])
        name = path["path"].strip("/")
        if name not in files:
            raise not_found("file", name)
        target = str((body or {}).get("path") or name).strip("/")
        files[target] = files.pop(name)
        return Reply(200, {"path": target, "is_dir": False, "file_size": str(len(files[target]))})

    def _files(self, project_id: str) -> dict[str, bytes]:
        if project_id not in self.store("projects"):
            raise not_found("project", project_id)
        return self.files.setdefault(project_id, {})

    # ------------------------------------------------------------ seed

    def clock_jump(self, seconds: float) -> None:
        """Run the timers due within ``seconds`` without moving the clock (seeding only)."""
        deadline = self.clock.now() + seconds
        while self._timers and self._timers[0][0] <= deadline:
            _, _, action = heapq.heappop(self._timers)
            action()


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


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word
