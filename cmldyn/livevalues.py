"""Live values for completion: the ids that exist, offered while a parameter's value is typed.

Owns: where a parameter's values come from, worked out from the spec (``source_for``), and
the cache of fetched values (``LiveValues``). The source of a value is a list operation:

* a path parameter names an item of the collection before it: ``{project_id}`` in
  ``/projects/{project_id}`` <- the items of ``GET /projects``; ``{job_id}`` in
  ``/projects/{project_id}/jobs/{job_id}`` <- ``GET /projects/{project_id}/jobs``, called with the
  ``project_id`` already typed in the same call (a parent);
* any other ``<noun>_id`` parameter <- the list whose path ends in the plural of ``<noun>``;
* a short table covers what the spec cannot say (CML's runtimes are named by
  ``image_identifier`` and have no id).

The field taken from each item is ``id``, the parameter's own name, or ``<noun>_id``; the label
shown beside a value is the item's name and one or two short descriptive fields
(``demo · private``). Enumerations are completed from the schema elsewhere.

Completion never waits on the network: ``values()`` answers from the cache at once and starts
at most one fetch per (collection, parents) in the background; ``ready`` is called when it lands
so the menu can refresh. Entries live ``ttl`` seconds, are dropped after a write to their
collection (``forget``), and a failing or stalled server leaves one short ``note``. The shell's
completion keeps the same values on disk (``DiskValues``: a 0600 JSON file per host and profile,
holding values and labels, never a credential). May import: errors, jsonvalue, naming, storage.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from .errors import CmldynError, StorageError
from .jsonvalue import list_items, to_plain
from .naming import singular

if TYPE_CHECKING:
    from .client import Client
    from .model import OperationModel, ServiceModel

__all__ = ["DiskValues", "LiveValues", "OVERRIDES", "Source", "source_for", "sources"]

# Parameters whose values the spec cannot trace to a list: name -> (list operation, item field).
OVERRIDES: dict[str, tuple[str, str]] = {
    "runtime_identifier": ("list_runtimes", "image_identifier"),  # CML: runtimes have no id of their own
}
_NAME_FIELDS = ("name", "title", "display_name", "username", "description")
_DESCRIBING = ("visibility", "status", "state", "type", "kind", "edition", "editor", "kernel", "short_version")
_PAGE_SIZE = 100
_LABEL = 48
Pair = tuple[str, str]  # (value, label)


@dataclass(frozen=True)
class Source:
    """Where one parameter's values come from: a list operation, an item field, the parents it needs."""

    list_op: str
    field: str
    parents: tuple[tuple[str, str], ...]  # (parameter of the list, parameter of the call it is filled from)
    path: str  # the list's path template, for what a write drops


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def _item_schema(op: OperationModel) -> Any:
    """The schema of one item of a list answer (the answer, or its one array of objects), or None."""
    schema = op.response_schema
    if schema is None:
        return None
    if schema.type == "array":
        return schema.items
    arrays = [v.items for v in schema.properties.values() if v.type == "array" and v.items is not None]
    objects = [a for a in arrays if a.properties]
    return objects[0] if len(objects) == 1 else None


def _lists(model: ServiceModel) -> dict[str, OperationModel]:
    """GET operations answering a list of objects, by path template (the first one for each path)."""
    found: dict[str, OperationModel] = {}
    for op in model.operations.values():
        if op.method == "get" and _item_schema(op) is not None:
            found.setdefault(_template(op.path), op)
    return found


# Per model (a refreshed spec is a new model), held weakly: the lists by path, and each answer of source_for.
_CACHE: weakref.WeakKeyDictionary[ServiceModel, tuple[dict[str, OperationModel], dict[tuple[str, str], Source | None]]] = (
    weakref.WeakKeyDictionary())


def source_for(model: ServiceModel, op: OperationModel, name: str) -> Source | None:
    """Where the values of ``op``'s parameter ``name`` can be listed from, or None."""
    if model not in _CACHE:
        _CACHE[model] = (_lists(model), {})
    lists, memo = _CACHE[model]
    key = (op.name, name)
    if key not in memo:
        memo[key] = _infer(model, lists, op, name)
    return memo[key]


def sources(model: ServiceModel) -> dict[str, Source]:
    """Every ``operation.parameter`` of the spec that has a source (for the docs and the closing note)."""
    out: dict[str, Source] = {}
    for op in model.operations.values():
        for name in [*(p.name for p in op.params if p.location != "body"), *op.body_fields]:
            found = source_for(model, op, name)
            if found is not None:
                out[f"{op.name}.{name}"] = found
    return out


def _field(item: Any, name: str, noun: str) -> str | None:
    props = item.properties
    for candidate in ("id", name, f"{noun}_id", f"{noun}Id", "name" if name.endswith("name") else ""):
        if candidate and candidate in props and props[candidate].type in ("string", "integer", None):
            return candidate
    return None


def _infer(model: ServiceModel, lists: dict[str, OperationModel], op: OperationModel, name: str) -> Source | None:
    if name in OVERRIDES:
        list_name, field = OVERRIDES[name]
        target = model.find(list_name)
        if target is None or _item_schema(target) is None or field not in _item_schema(target).properties:
            return None
        return _source(op, target, field, prefix="")
    param = op.param_index.get(name)
    if param is not None and param.location == "body":
        return None
    if param is None and name not in op.body_fields:
        return None
    wire = param.wire if param is not None else name
    marker = "{" + wire + "}"
    by_name = _by_name(lists, op, name, wire) if name.endswith("_id") and name != "_id" else None
    if param is not None and param.location == "path" and marker in op.path:
        before = op.path[: op.path.index(marker)].rstrip("/")
        target = lists.get(_template(before))
        if target is not None and target is not op:
            noun = singular(before.rsplit("/", 1)[-1].replace("-", "_"))
            # /nodelabels/{resource_group_id} names a resource group, not a node label: the name wins
            named_otherwise = by_name is not None and _squeeze(noun) != _squeeze(name[:-3])
            by_path = _field(_item_schema(target), wire, noun)
            if by_path is not None and not named_otherwise:
                return _source(op, target, by_path, prefix=before)
    return by_name


def _squeeze(word: str) -> str:
    return word.replace("_", "").replace("-", "").lower()


def _by_name(lists: dict[str, OperationModel], op: OperationModel, name: str, wire: str) -> Source | None:
    """``<noun>_id`` <- the list whose path ends in the plural of ``<noun>`` (``resource_group`` ~ ``resourcegroups``)."""
    noun = name[:-3]
    for template, target in lists.items():
        last = template.rsplit("/", 1)[-1]
        if "{" in last or _squeeze(singular(last)) != _squeeze(noun) or target is op:
            continue
        field = _field(_item_schema(target), wire, noun)
        if field is not None:
            found = _source(op, target, field, prefix="")
            if found is not None:
                return found
    return None


def _source(op: OperationModel, target: OperationModel, field: str, *, prefix: str) -> Source | None:
    """The list's path parameters must all be fillable from the call being typed (same name, or the
    same place in a shared path prefix)."""
    ours = [p.wire for p in op.path_params]
    order = re.findall(r"\{([^}]*)\}", prefix)
    parents = []
    for i, p in enumerate(target.path_params):
        if p.wire in ours:
            mine = p.wire
        elif i < len(order):
            mine = order[i]
        else:
            return None
        own = next((q.name for q in op.path_params if q.wire == mine), mine)
        parents.append((p.name, own))
    return Source(target.name, field, tuple(parents), target.path)


def label_of(item: dict[str, Any], field: str) -> str:
    """``demo · private``: the item's name and up to two short describing fields."""
    parts = []
    for key in _NAME_FIELDS:
        value = item.get(key)
        if key != field and isinstance(value, str) and value.strip():
            parts.append(value.strip())
            break
    for key in _DESCRIBING:
        value = item.get(key)
        if key != field and isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            text = str(value).strip()
            if len(text) <= 24 and text not in parts:
                parts.append(text)
        if len(parts) >= 3:
            break
    label = " · ".join(p.replace("\n", " ") for p in parts)
    return label if len(label) <= _LABEL else label[: _LABEL - 1].rstrip() + "…"


def pairs_from(data: Any, field: str) -> list[Pair]:
    """(value, label) for each item of a list answer (a plain list, or an object with one array)."""
    return [(str(item[field]), label_of(item, field)) for item in list_items(data)
            if isinstance(item.get(field), (str, int)) and not isinstance(item.get(field), bool)]


@dataclass
class _Entry:
    at: float
    values: list[Pair]
    collection: str  # the concrete path listed


class LiveValues:
    """Values of one client (one host and profile) fetched in the background and kept ``ttl`` seconds
    per (list, parents). ``ready`` is called (from the fetching thread) when values land; ``note``
    holds one short line about the last failure.
    """

    def __init__(self, api: Client, *, ttl: float = 60.0, timeout: float = 10.0,
                 ready: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self.ttl = ttl
        self.timeout = timeout
        self.ready = ready
        self.clock = clock
        self.note = ""
        self._entries: dict[tuple[str, tuple[Pair, ...]], _Entry] = {}
        self._failed: dict[tuple[str, tuple[Pair, ...]], float] = {}
        self._flight: set[tuple[str, tuple[Pair, ...]]] = set()
        self._lock = threading.Lock()
        self.closed = False

    def source(self, op: OperationModel, name: str) -> Source | None:
        return source_for(self.api.model, op, name)

    def parents(self, source: Source, given: dict[str, Any]) -> tuple[Pair, ...] | None:
        """The list's parent values from what the call has been given, or None while one is missing."""
        out = []
        for theirs, ours in source.parents:
            value = given.get(ours)
            if value in (None, ""):
                return None
            out.append((theirs, str(value)))
        return tuple(out)

    def values(self, source: Source, parents: tuple[Pair, ...]) -> list[Pair] | None:
        """The cached values (None while they are being fetched); never waits."""
        key = (source.list_op, parents)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.at <= self.ttl:
                return entry.values
            if key in self._flight or now - self._failed.get(key, -1e9) < min(self.ttl, 10.0):
                return entry.values if entry is not None else None
            self._flight.add(key)
        # A daemon thread per fetch (at most one per list in flight): leaving the REPL never waits for a stalled one.
        threading.Thread(target=self._fetch, args=(key, source, parents), name="cmldyn-values", daemon=True).start()
        return entry.values if entry is not None else None

    def fetch(self, source: Source, parents: tuple[Pair, ...]) -> list[Pair]:
        """Fetch now (the caller bounds the time) and keep the values."""
        key = (source.list_op, parents)
        with self._lock:
            self._flight.add(key)
        self._fetch(key, source, parents)
        entry = self._entries.get(key)
        return entry.values if entry is not None else []

    def _fetch(self, key: tuple[str, tuple[Pair, ...]], source: Source, parents: tuple[Pair, ...]) -> None:
        try:
            op = self.api.model.get(source.list_op)
            kwargs: dict[str, Any] = dict(parents)
            if "page_size" in op.param_index:
                kwargs["page_size"] = _PAGE_SIZE
            # Behind the user's back: one attempt within the time-out, and no "retrying" line on their screen.
            request = replace(self.api.prepare(op.name, **kwargs), timeout=(self.timeout, self.timeout), background=True)
            found = pairs_from(to_plain(self.api.send(request, op)), source.field)
            collection = source.path
            for theirs, value in parents:
                collection = collection.replace("{%s}" % theirs, value)
            with self._lock:
                self._entries[key] = _Entry(self.clock(), found, collection)
                self._failed.pop(key, None)
                self.note = ""
        except (CmldynError, OSError, ValueError) as error:
            with self._lock:
                self._failed[key] = self.clock()
                self.note = f"no live values from {source.list_op}: {getattr(error, 'message', None) or error}"[:120]
        finally:
            with self._lock:
                self._flight.discard(key)
        ready = self.ready
        if ready is not None and not self.closed:
            ready()

    def forget(self, method: str, path: str) -> None:
        """A write to ``path``: drop the lists it may have changed (its collection and those above or below)."""
        if method.upper() in ("GET", "HEAD", "OPTIONS"):
            return
        target = path.split("?", 1)[0].split(":", 1)[0].rstrip("/")
        with self._lock:
            for key, entry in list(self._entries.items()):
                if target.startswith(entry.collection) or entry.collection.startswith(target):
                    del self._entries[key]

    def close(self) -> None:
        """No more menus to refresh: fetches still running finish quietly."""
        self.closed = True
        self.ready = None


class DiskValues:
    """The shell's copy of live values: one private JSON file per scope, entries kept ``ttl`` seconds."""

    def __init__(self, directory: str, scope: str, *, ttl: float = 60.0) -> None:
        digest = hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24]
        self.path = os.path.join(directory, f"values-{digest}.json")
        self.ttl = ttl

    def _load(self) -> dict[str, Any]:
        from .storage import read_private

        try:
            data, warnings = read_private(self.path)
            record = json.loads(data.decode("utf-8")) if not warnings else {}
        except (OSError, StorageError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def get(self, source: Source, parents: tuple[Pair, ...]) -> list[Pair] | None:
        entry = self._load().get(_disk_key(source, parents))
        if not isinstance(entry, dict) or time.time() - float(entry.get("at") or 0) > self.ttl:
            return None
        return [(str(v), str(label)) for v, label in entry.get("values") or []]

    def put(self, source: Source, parents: tuple[Pair, ...], values: list[Pair]) -> None:
        from .storage import private_dir, write_private

        record = {k: v for k, v in self._load().items()
                  if isinstance(v, dict) and time.time() - float(v.get("at") or 0) <= self.ttl}
        record[_disk_key(source, parents)] = {"at": time.time(), "values": values[:_PAGE_SIZE]}
        try:
            private_dir(os.path.dirname(self.path))
            if os.path.islink(self.path):
                os.unlink(self.path)  # the link goes, what it pointed at is left alone
            write_private(self.path, json.dumps(record).encode("utf-8"))
        except (OSError, StorageError):
            pass  # completion without a disk cache is slower, not wrong


def _disk_key(source: Source, parents: tuple[Pair, ...]) -> str:
    return source.list_op + "?" + "&".join(f"{k}={v}" for k, v in parents)
