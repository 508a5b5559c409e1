"""The simulator's engine: state for any spec, inferred from its paths and schemas.

Owns: collections inferred from paths and methods (``POST /pets`` creates, ``GET /pets`` lists,
``GET|PUT|PATCH|DELETE /pets/{id}`` are item operations, ``/projects/{project_id}/jobs`` is a
nested collection, ``POST /x/{id}:stop`` or ``POST /x/{id}/stop`` an action on an item); the
stores; ids in the style the schema suggests; answers generated from the response schemas
(samples.py); status fields with an enum moving through their values on the simulated clock;
and dispatch to the profile's tables first. The engine names no profile: what it asks of one is the
:class:`Hooks` protocol, which profiles/ implements. Imports nothing from the cmldyn client.

Progression of statuses (``--progression``): ``time`` moves them as the clock runs, ``manual``
freezes the clock (``Simulator.clock.step(seconds)`` moves it), ``immediate`` jumps every object
to its final status at once.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from ..naming import singular
from ..schema import Schema
from .routes import ApiFailure, Reply, Route, SpecIndex, not_found
from .samples import Sampler, id_like

__all__ = ["Call", "Engine", "Hooks", "PROGRESSIONS", "RouteKind", "SimClock", "classify", "status_path"]

JSON = Any
PROGRESSIONS = ("time", "manual", "immediate")
STEP_SECONDS = 2.0  # simulated seconds between two values of a status enum


#: Where a seeded simulator's clock starts (``--seed N``), so its time stamps are the same on every run.
FIXED_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class SimClock:
    """Simulated time: real time times ``speed`` plus manual steps. ``speed=0`` freezes it for tests;
    ``fixed`` starts it at :data:`FIXED_EPOCH` instead of now."""

    def __init__(self, speed: float = 1.0, *, fixed: bool = False) -> None:
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._real0 = time.monotonic()
        self._base = 0.0
        self.epoch = FIXED_EPOCH if fixed else datetime.now(timezone.utc).replace(microsecond=0)

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


@dataclass
class Call:
    """One request as a handler sees it: the route, path values, query values, parsed body and raw bytes."""

    route: Route
    path: dict[str, str]
    query: dict[str, str]
    body: JSON
    raw: bytes
    content_type: str
    user: str | None = None  # whose key the request came with (a profile that knows several users says)


@dataclass
class RouteKind:
    kind: str  # list, create, get, update, delete, action, put_item, other
    collection: str  # "projects/*/jobs"
    parents: int  # how many path values name the parents
    verb: str = ""


def classify(route: Route, prefix: str) -> RouteKind:
    """What a route does to which collection, from its method and the shape of its path."""
    rest = route.template[len(prefix):] if route.template.startswith(prefix) else route.template
    segments = [s for s in rest.split("/") if s] or [""]
    last = segments[-1]
    verb = ""
    if ":" in last and not last.startswith("{"):
        last, verb = last.split(":", 1)
        segments = segments[:-1] + [last]
    elif ":" in last and "}:" in last:
        last, verb = last.rsplit(":", 1)
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


_FINAL = re.compile(r"(succe|complete|done|ready|finish|active|available|deployed|built|running|healthy|approved|"
                    r"published|enabled|open|delivered|placed)", re.I)
_SKIP = re.compile(r"(fail|error|cancel|stop|delet|unknown|unspecified|invalid|timed ?out|skip|disabled|archiv|"
                   r"reject|sold)", re.I)


def status_path(values: list[JSON]) -> list[JSON]:
    """The values a status walks through: from the first that is neither a failure nor unknown, in the
    enum's order, up to the first that looks final (or the last); failures are never walked into."""
    walk = [v for v in values if isinstance(v, str) and not _SKIP.search(v)]
    for i, value in enumerate(walk[1:], start=1):
        if _FINAL.search(value):
            return walk[: i + 1]
    return walk


def status_field(schema: Schema | None) -> str | None:
    """The property holding an object's status: an enum named status, state or phase (or ending so)."""
    if schema is None:
        return None
    for key, prop in schema.properties.items():
        enum = prop.enum
        if enum and len(enum) >= 2 and re.search(r"(^|_)(status|state|phase)$|(Status|State|Phase)$", key):
            return key
    return None


class Hooks(Protocol):
    """What the engine asks of a profile: its tables (tried before any inference) and a few decisions."""

    @property
    def seeds(self) -> tuple[str, ...]: ...

    @property
    def sample_style(self) -> str: ...

    @property
    def operations(self) -> Mapping[str, Callable[[Engine, Call], Reply]]: ...

    @property
    def actions(self) -> Mapping[str, Callable[[Engine, str, dict[str, JSON]], None]]: ...

    @property
    def id_fields(self) -> Mapping[str, str]: ...

    def collection_prefix(self, index: SpecIndex) -> str: ...

    def seed(self, engine: Engine, name: str) -> None: ...

    def created(self, engine: Engine, collection: str, obj: dict[str, JSON], parents: tuple[str, ...],
                body: dict[str, JSON], schema: Schema | None) -> None: ...

    def list_answer(self, engine: Engine, route: Route, objects: list[dict[str, JSON]], query: dict[str, str]) -> JSON: ...


class Engine:
    """All simulated state, guarded by one lock; timers run on every request.

    Args:
        index: the spec's routes.
        clock: the simulated clock.
        profile: the profile's tables are tried before any inference.
        seed: the profile's seed (``demo`` or ``empty``).
        progression: ``time``, ``manual`` or ``immediate`` (see the module's docstring).
    """

    def __init__(self, index: SpecIndex, clock: SimClock, profile: Hooks, *, seed: str = "demo", rng_seed: int = 7,
                 progression: str = "time") -> None:
        if seed not in profile.seeds:
            raise ValueError(f"unknown seed {seed!r}; use {' or '.join(profile.seeds)}")
        if progression not in PROGRESSIONS:
            raise ValueError(f"unknown progression {progression!r}; use {', '.join(PROGRESSIONS)}")
        self.index = index
        self.clock = clock
        self.profile = profile
        self.progression = progression
        self.rng = random.Random(rng_seed)
        self.lock = threading.RLock()
        self.items: dict[str, dict[tuple[str, ...], dict[str, dict[str, JSON]]]] = {}
        self.files: dict[str, dict[str, bytes]] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.sampler = Sampler(self.rng, self.clock.iso, style=profile.sample_style)
        self.prefix = profile.collection_prefix(index)
        self.kinds = {route.operation_id: classify(route, self.prefix) for route in index.routes}
        self._item_routes: dict[str, list[Route]] = {}
        self._creatable = {k.collection for k in self.kinds.values() if k.kind == "create"}
        self._id_fields: dict[tuple[str, str], str | None] = {}  # (collection, route) -> id field, worked out once
        self._outcomes: dict[str, list[str]] = {}  # kind -> final statuses the next ones of that kind reach
        #: Answers of operations with no collection behind them, as a captured server gave them, by
        #: (operationId, path values): served as they were instead of made up (see state.py).
        self.recorded: dict[tuple[str, tuple[str, ...]], JSON] = {}
        for route in index.routes:
            kind = self.kinds[route.operation_id]
            if kind.kind in ("get", "update", "delete", "put_item", "action"):
                self._item_routes.setdefault(kind.collection, []).append(route)
        profile.seed(self, seed)

    # ------------------------------------------------------------ basics

    def new_id(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "-".join("".join(self.rng.choice(alphabet) for _ in range(4)) for _ in range(4))

    def store(self, collection: str, parents: tuple[str, ...] = ()) -> dict[str, dict[str, JSON]]:
        return self.items.setdefault(collection, {}).setdefault(parents, {})

    def force_outcome(self, kind: str, status: str) -> None:
        """The next workload of ``kind`` (named by the profile: CML's job_run, model_build ...) ends in ``status``."""
        with self.lock:
            self._outcomes.setdefault(kind, []).append(status)

    def take_outcome(self, kind: str) -> str | None:
        """The final status forced for the next workload of ``kind``, used up; None: the profile decides."""
        waiting = self._outcomes.get(kind)
        return waiting.pop(0) if waiting else None

    def after(self, delay: float, action: Callable[[], None]) -> None:
        if self.progression == "immediate":
            action()
            return
        heapq.heappush(self._timers, (self.clock.now() + delay, next(self._seq), action))

    def advance(self) -> None:
        now = self.clock.now()
        while self._timers and self._timers[0][0] <= now:
            _, _, action = heapq.heappop(self._timers)
            action()

    def clock_jump(self, seconds: float) -> None:
        """Run the timers due within ``seconds`` without moving the clock (seeding only)."""
        deadline = self.clock.now() + seconds
        while self._timers and self._timers[0][0] <= deadline:
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
            if parent_collection not in self.items and not self._item_routes.get(parent_collection):
                depth += 1
                continue  # the parent is not a collection this simulator keeps (a free-form path value)
            store = self.items.get(parent_collection, {}).get(parents[:depth], {})
            if depth < len(parents) and parents[depth] not in store:
                raise not_found(singular(segments[i - 1]), parents[depth])
            depth += 1

    def sample(self, route: Route) -> JSON:
        return self.sampler.value(self.index.response_view(route), "answer")

    # ------------------------------------------------------------ dispatch

    def handle(self, route: Route, path: dict[str, str], query: dict[str, str], body: JSON,
               raw_body: bytes, content_type: str, user: str | None = None) -> Reply:
        with self.lock:
            self.advance()
            call = Call(route, path, query, body, raw_body, content_type, user)
            special = self.profile.operations.get(route.operation_id)
            if special is not None:
                return special(self, call)
            return self.respond(call)

    def respond(self, call: Call) -> Reply:
        """What the engine infers for a call (a profile's handler may ask for it after its own checks)."""
        route, path, query, body = call.route, call.path, call.query, call.body
        with self.lock:
            kind = self.kinds[route.operation_id]
            values = [path[n] for n in route.names]
            parents = tuple(values[: kind.parents])
            if kind.kind == "list" and self._lists_items(route):
                return self.list_items(route, kind.collection, parents, query)
            if kind.kind == "create" and self.id_field(kind.collection, route) is not None:
                given = body if isinstance(body, dict) else {}
                return Reply(route.success_code, self.create(route, kind.collection, parents, given))
            if kind.kind in ("get", "update", "delete", "action", "put_item") and (
                    kind.collection in self.items or kind.collection in self._creatable):
                ident = values[kind.parents] if len(values) > kind.parents else ""
                return self.item_op(route, kind, parents, ident, body if isinstance(body, dict) else {})
            kept = self.recorded.get((route.operation_id, tuple(values)))
            if kept is not None:
                return Reply(route.success_code, copy.deepcopy(kept))
            return self.other(route)

    def other(self, route: Route) -> Reply:
        """An operation with no state behind it: its success answer, made up from the schema."""
        success = route.success
        media = success.media if success is not None else []
        if success is not None and success.schema is None and route.success_code == 204:
            return Reply(204, raw=b"", content_type="application/json")
        binary = [m for m in media if not ("json" in m or m.startswith("text/"))]
        schema = success.schema if success is not None else None
        if binary and (schema is None or schema.type == "string") and not any("json" in m for m in media):
            return Reply(route.success_code, raw=b"simulated bytes\n", content_type=binary[0])
        text = [m for m in media if m.startswith("text/")]
        if text and not any("json" in m for m in media):
            value = self.sampler.value(schema, "text") if schema is not None else "simulated text"
            return Reply(route.success_code, raw=str(value).encode(), content_type=text[0])
        if schema is None and self.sampler.rich:
            return Reply(route.success_code, raw=b"", content_type="application/json")
        return Reply(route.success_code, self.sample(route))

    def _lists_items(self, route: Route) -> bool:
        view = self.index.response_view(route)
        return view is not None and (view.type == "array" or self.index.list_field(route) is not None)

    # ------------------------------------------------------------ ids

    def item_schema(self, collection: str, route: Route | None = None) -> Schema | None:
        """The schema of one object of a collection: what its get answers, else what its create answers."""
        for candidate in self._item_routes.get(collection, []):
            if candidate.method == "GET":
                return self.index.response_view(candidate)
        return self.index.response_view(route) if route is not None else None

    def id_field(self, collection: str, route: Route | None = None) -> str | None:
        """The field that names an object: the item path parameter (``pet_id`` -> ``id``, ``shelf.name`` ->
        ``name``) where the object has it, else ``id``. None where the answer is no object with fields."""
        key = (collection, route.operation_id if route is not None else "")
        if key not in self._id_fields:
            self._id_fields[key] = self._find_id_field(collection, route)
        return self._id_fields[key]

    def _find_id_field(self, collection: str, route: Route | None) -> str | None:
        schema = self.item_schema(collection, route)
        props = schema.properties if schema is not None else {}
        if not props:
            return None
        fixed = self.profile.id_fields.get(collection, self.profile.id_fields.get("*"))
        if fixed is not None:
            return fixed if fixed in props else None
        names = [r.names[-1] for r in self._item_routes.get(collection, []) if r.names]
        singular = _noun(collection).lower()
        for name in names:
            base = name.rsplit(".", 1)[-1]
            squeezed = base.lower().replace("_", "").replace("-", "")
            for candidate in (base, "id" if squeezed in (singular + "id", "id") else None,
                              "name" if squeezed in (singular + "name",) else None):
                if candidate and candidate in props:
                    return candidate
        if "id" in props:
            return "id"
        for key in props:
            if key.lower().endswith(("id", "identifier")):
                return key
        return None

    def next_id(self, collection: str, parents: tuple[str, ...], schema: Schema | None) -> JSON:
        """A new id in the style the schema suggests: a number, a uuid, the shape of its example."""
        store = self.store(collection, parents)
        if schema is not None and schema.type == "integer":
            numbers = [int(k) for k in store if k.lstrip("-").isdigit()]
            return max(numbers, default=0) + 1
        if schema is not None and schema.format == "uuid":
            return self.sampler.value(schema, "uuid") if schema.example is None else id_like(schema.example, self.rng)
        if schema is not None and isinstance(schema.get("pattern"), str):  # made to match, and not taken yet
            for _ in range(20):
                made = self.sampler.string(schema, "id")
                if made not in store:
                    return made
        if schema is not None and isinstance(schema.example, (str, int)) and not isinstance(schema.example, bool):
            return id_like(schema.example, self.rng)
        if not self.sampler.rich:
            return self.new_id()
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return f"{_noun(collection)}-" + "".join(self.rng.choice(alphabet) for _ in range(8))

    # ------------------------------------------------------------ generic CRUD

    def create(self, route: Route, collection: str, parents: tuple[str, ...], body: dict[str, JSON]) -> JSON:
        self.check_parents(collection, parents)
        # What is stored is what the collection's get answers (a create may answer nothing, or less).
        schema = self.item_schema(collection, route) or self.index.response_view(route)
        obj = self.sampler.value(schema, _noun(collection))
        if not isinstance(obj, dict):
            obj = {}
        props = schema.properties if schema is not None else {}
        for key, prop in props.items():
            # Empty date-times are left out, as grpc-gateway does, rather than sent as "".
            if prop.format == "date-time" and key not in ("created_at", "updated_at") and not self.sampler.rich:
                obj.pop(key, None)
        if self.sampler.rich and route.body is not None and schema is not None:
            # What the client could have sent but did not stays unset, as on a real server; made-up
            # values are for what the server itself fills in (ids, times, statuses).
            for key in route.body.properties:
                if key not in body and key not in schema.required:
                    obj.pop(key, None)
        open_schema = schema is None or schema.additional_properties not in (False, None) or not props
        for key, value in body.items():
            if key in props or open_schema:
                obj[key] = json.dumps(value) if key == "environment" and isinstance(value, dict) else value
        key = self.id_field(collection, route) or "id"
        store = self.store(collection, parents)
        given = body.get(key)
        if given not in (None, ""):
            if str(given) in store:
                raise ApiFailure(409, 6, f"{_noun(collection)} {given!r} already exists")
            obj[key] = given
        else:
            obj[key] = self.next_id(collection, parents, props.get(key))
        for stamp in ("created_at", "updated_at", "createdAt", "updatedAt"):
            if stamp in obj:
                obj[stamp] = self.clock.iso()
        self.profile.created(self, collection, obj, parents, body, schema)
        store[str(obj[key])] = obj
        return self.public(obj)

    def progress(self, obj: dict[str, JSON], schema: Schema | None, body: dict[str, JSON]) -> None:
        """Move an enum status through its values on the clock, unless the client chose the value."""
        name = status_field(schema)
        if name is None or name in body or schema is None:
            return
        walk = status_path(schema.properties[name].enum or [])
        if not walk:
            return
        obj[name] = walk[0]
        self.schedule_statuses(obj, [(STEP_SECONDS * i, value, "") for i, value in enumerate(walk[1:], start=1)],
                               field=name)

    def schedule_statuses(self, obj: dict[str, JSON], steps: list[tuple[float, str, str]], start: float = 0.0,
                          *, field: str = "status") -> None:
        """Set ``obj[field]`` to each status after its delay (and a time stamp field, where named);
        a later schedule or action on the object cancels what is still pending."""
        generation = obj["_sim_gen"] = obj.get("_sim_gen", 0) + 1
        for delay, status, stamp in steps:

            def move(status: str = status, stamp: str = stamp) -> None:
                if obj.get("_sim_gen") == generation:
                    obj[field] = status
                    if stamp:
                        obj[stamp] = self.clock.iso()
                    for updated in ("updated_at", "updatedAt"):
                        if updated in obj:
                            obj[updated] = self.clock.iso()

            if delay - start <= 0:
                move()
            else:
                self.after(delay - start, move)

    def item_op(self, route: Route, kind: RouteKind, parents: tuple[str, ...], ident: str, body: dict[str, JSON]) -> Reply:
        self.check_parents(kind.collection, parents)
        store = self.store(kind.collection, parents)
        obj = store.get(ident)
        if obj is None and ident.lstrip("+-").isdigit() and len(ident) < 40:
            ident = str(int(ident))  # an integer id in the path is matched as a number: /widgets/01 is widget 1
            obj = store.get(ident)
        if obj is None:
            raise not_found(_noun(kind.collection), ident)
        if kind.kind == "get":
            return Reply(route.success_code, self.public(obj))
        if kind.kind == "delete":
            del store[ident]
            return self._answer_with(route, obj, kind.collection)
        if kind.kind in ("update", "put_item"):
            item = self.item_schema(kind.collection)
            props = self.index.properties(route) or (item.properties if item is not None else {})
            key = self.id_field(kind.collection)
            for field_name, value in body.items():
                if (field_name in props or not props) and field_name != key and value is not None:
                    obj[field_name] = json.dumps(value) if field_name == "environment" and isinstance(value, dict) else value
            for updated in ("updated_at", "updatedAt"):
                if updated in obj:
                    obj[updated] = self.clock.iso()
            return self._answer_with(route, obj, kind.collection)
        hook = self.profile.actions.get(kind.verb)
        if hook is not None:
            hook(self, kind.collection, obj)
        else:
            self.generic_action(kind, obj)
        return self._answer_with(route, obj, kind.collection)

    def _answer_with(self, route: Route, obj: dict[str, JSON], collection: str) -> Reply:
        """The object itself where the answer is the object (its schema, or one naming its id field),
        an empty answer where the spec declares none, else what the answer's schema says."""
        if not self.sampler.rich:  # a profile with its own answers: the object, and {} for a delete
            return Reply(route.success_code, {} if route.method == "DELETE" else self.public(obj))
        success = route.success
        if success is None or success.schema is None:
            return Reply(route.success_code, raw=b"", content_type="application/json")
        schema = success.schema
        key = self.id_field(collection)
        if schema is self.item_schema(collection) or (key is not None and key in schema.properties):
            return Reply(route.success_code, self.public(obj))
        return Reply(route.success_code, self.sample(route))

    def generic_action(self, kind: RouteKind, obj: dict[str, JSON]) -> None:
        """``:archive`` on an object whose status enum has ``ARCHIVED`` sets it (pending moves are cancelled)."""
        schema = self.item_schema(kind.collection)
        name = status_field(schema)
        if name is None or schema is None or len(kind.verb) < 3:
            return
        stem = kind.verb.lower().rstrip("e")
        for value in schema.properties[name].enum or []:
            if isinstance(value, str) and stem in value.lower():
                obj["_sim_gen"] = obj.get("_sim_gen", 0) + 1
                obj[name] = value
                return

    def list_items(self, route: Route, collection: str, parents: tuple[str, ...], query: dict[str, str]) -> Reply:
        if collection in self.items or "*" in collection:
            if "*" in collection:
                self.check_parents(collection, parents)
            objects = list(self.store(collection, parents).values())
        else:
            # A top-level list of something kept per parent (/api/v2/jobs): all of them.
            nested = [k for k in self.items if k.endswith("/" + collection)]
            objects = [o for k in nested for group in self.items[k].values() for o in group.values()]
        objects = [self.public(o) for o in objects]
        return Reply(route.success_code, self.profile.list_answer(self, route, objects, query))


def _noun(collection: str) -> str:
    """What one object of a collection is called: ``projects/*/jobs`` -> ``job``."""
    return singular(collection.rsplit("/", 1)[-1])
