"""Demo data for any spec: a few generated objects in each collection, so lists have something to show.

Owns: :func:`seed_generated`, used by the generic profile's ``demo`` seed. Three objects in every
top-level collection (made through the engine's own create path, from a body generated for the
create operation, or from the list's item schema where the spec has no create), then two under
each of them in every collection one level down. Seeded objects reach their final status before
the first request. (CML's own seed data is in profiles/cml.py.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import status_field
from .routes import ApiFailure, Route

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["seed_generated"]

JSON = Any
TOP_LEVEL = 3
NESTED = 2


def seed_generated(engine: Engine) -> None:
    creators: dict[str, Route] = {}
    listers: dict[str, Route] = {}
    for route in engine.index.routes:
        kind = engine.kinds[route.operation_id]
        if kind.kind == "create" and kind.parents <= 1 and engine.id_field(kind.collection, route) is not None:
            creators.setdefault(kind.collection, route)
        elif kind.kind == "list" and kind.parents == 0:
            listers.setdefault(kind.collection, route)
    for collection, route in sorted(creators.items()):
        if "*" not in collection:
            _make(engine, route, collection, (), TOP_LEVEL)
    for collection, route in sorted(listers.items()):
        if collection not in creators and "*" not in collection:
            _list_only(engine, route, collection)
    for collection, route in sorted(creators.items()):
        if collection.count("*") != 1 or "/*/" not in collection:
            continue
        parent = collection.split("/*/", 1)[0]
        for ident in list(engine.store(parent, ())):
            _make(engine, route, collection, (ident,), NESTED)
    engine.clock_jump(600)


def _make(engine: Engine, route: Route, collection: str, parents: tuple[str, ...], count: int) -> None:
    for _ in range(count):
        body = engine.sampler.value(route.body, collection.rsplit("/", 1)[-1]) if route.body is not None else {}
        if not isinstance(body, dict):
            body = {}
        key = engine.id_field(collection, route)
        body.pop(key or "", None)  # the engine gives each a new id in the schema's style
        body.pop(status_field(route.body) or "", None)  # and each status starts at the beginning
        try:
            engine.create(route, collection, parents, body)
        except ApiFailure:
            return


def _list_only(engine: Engine, route: Route, collection: str) -> None:
    """A collection the spec only lists: generated items, keyed by their id field where they have one."""
    view = engine.index.response_view(route)
    item = view.items if view is not None and view.type == "array" else None
    if item is None and view is not None:
        field = engine.index.list_field(route)
        item = view.properties[field].items if field else None
    if item is None:
        return
    store = engine.store(collection)
    key = engine.id_field(collection)
    for n in range(TOP_LEVEL):
        obj = engine.sampler.value(item, collection)
        if not isinstance(obj, dict):
            return
        if key is not None:
            obj[key] = engine.next_id(collection, (), item.properties.get(key))
        store[str(obj.get(key, n)) if key else str(n)] = obj
