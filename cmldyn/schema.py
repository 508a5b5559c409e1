"""Schemas as a graph: lazy, cycle-safe views over the document, and the one validator.

Owns: :class:`SchemaGraph` (one per spec) and its :class:`Schema` views. A view stands for one
node of the raw document; stepping into it (``.properties``, ``.items``, ``.all_of`` ...) makes
views of the children, following ``$ref`` on the way. Views are memoised by the pointer of the
node they end on, so a schema shared by a hundred operations is one object and a cycle is a loop
in the graph, never an error and never an expansion. Also :func:`type_label`; the one validator,
:func:`check`, is in validator.py and reads these views. May import: errors, jsonvalue, prescan (to
follow pointers). Must not: copy or inline the document.

Where a ``$ref`` is a reference: only as the string value of the ``$ref`` key of a node that
stands in a schema position. A property *named* ``$ref`` (Kubernetes' ``JSONSchemaProps`` has
one) is a key of a ``properties`` map, whose values are views in their own right.
"""

from __future__ import annotations

from typing import Any

from .jsonvalue import JSON
from .prescan import follow

__all__ = ["Schema", "SchemaGraph", "escape", "type_label"]

_EMPTY: dict[str, JSON] = {}


def escape(part: str) -> str:
    """One JSON-pointer segment: ``~`` and ``/`` escaped as RFC 6901 says."""
    return str(part).replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


_MISSING = object()


class SchemaGraph:
    """The views of one document's schemas. Cheap to make: nothing is walked until asked for."""

    def __init__(self, doc: dict[str, JSON], *, openapi3: bool) -> None:
        self.doc = doc
        self.openapi3 = openapi3
        self.table = "#/components/schemas" if openapi3 else "#/definitions"
        self._views: dict[str, Schema] = {}
        self._pointed: dict[str, JSON] = {}  # what each $ref pointer leads to (the document is not changed after)
        #: Answer classes by schema name (results.py makes them on first use): one set per spec.
        self.classes: dict[str, Any] = {}

    @property
    def made(self) -> int:
        """How many views exist so far (a measure of how much of the graph was visited)."""
        return len(self._views)

    def names(self) -> list[str]:
        """The named schemas (``definitions`` or ``components.schemas``), in the spec's order."""
        table = self._table()
        return [str(name) for name in table] if isinstance(table, dict) else []

    def _table(self) -> JSON:
        try:
            return follow(self.doc, self.table)
        except KeyError:
            return None

    def named(self, name: str) -> Schema | None:
        table = self._table()
        if not isinstance(table, dict) or name not in table:
            return None
        return self.view(table[name], f"{self.table}/{escape(name)}")

    def resolve(self, node: JSON, pointer: str) -> tuple[JSON, str]:
        """Follow a chain of ``{"$ref": "#/..."}`` from ``node`` (at ``pointer``): the node it ends on, and where.

        A reference that leads nowhere, or a chain that comes back on itself, ends on an empty
        schema that says so in its description (the pre-scan warned about the first kind).
        """
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return {"description": f"(circular reference {ref})"}, ref + "#loop"
            seen.add(ref)
            found = self._pointed.get(ref, _MISSING)
            if found is _MISSING:
                try:
                    found = self._pointed[ref] = follow(self.doc, ref)
                except KeyError:
                    return {"description": f"(unresolvable reference {ref})"}, ref + "#missing"
            node = found
            pointer = ref
        return node, pointer

    def view(self, node: JSON, pointer: str) -> Schema:
        """The view of the schema at ``pointer`` (``node`` is what stands there), made once per pointer."""
        target, where = self.resolve(node, pointer)
        found = self._views.get(where)
        if found is None:
            found = self._views[where] = Schema(self, where, target if isinstance(target, dict) else _EMPTY)
        return found

    def detached(self, node: dict[str, JSON], pointer: str) -> Schema:
        """A view of a schema that is not a node of the document (a Swagger 2.0 parameter's own type
        fields), not memoised; its children are followed as usual."""
        target, where = self.resolve(node, pointer)
        return Schema(self, where, target if isinstance(target, dict) else _EMPTY)

    def deref(self, node: JSON, pointer: str) -> tuple[JSON, str]:
        """For objects that are not schemas (a shared parameter, response or request body): the object
        a ``$ref`` points at, and its pointer."""
        return self.resolve(node, pointer)


class Schema:
    """A read-only view of one schema. Children are views too, made on first use.

    ``raw`` is the node itself (after its own ``$ref`` was followed); reading it is allowed for
    keywords this class does not name (``x-`` extensions), never for walking.
    """

    __slots__ = ("graph", "pointer", "raw", "name", "_properties", "_required", "_parts", "_types", "_type", "_labels",
                 "_lists", "_extra", "check_plan")

    def __init__(self, graph: SchemaGraph, pointer: str, raw: dict[str, JSON]) -> None:
        self.graph = graph
        self.pointer = pointer
        self.raw = raw
        self._properties: dict[str, Schema] | None = None
        self._required: frozenset[str] | None = None
        self._parts: list[Schema] | None = None
        self._types: tuple[str, ...] | None = None
        self._type: str | None | bool = False  # False: not worked out yet (None is a valid answer)
        self._labels: dict[int, str] = {}
        self._lists: dict[str, list[Schema]] = {}
        self._extra: Schema | bool | None | str = "unset"
        #: The validator's digest of this schema (validator.py), made on first use.
        self.check_plan: Any = None
        prefix = graph.table + "/"
        rest = pointer[len(prefix):] if pointer.startswith(prefix) else ""
        #: The schema's own name where it is a named schema (``Project``), else None.
        self.name: str | None = _unescape(rest) if rest and "/" not in rest and "#" not in rest else None

    def __repr__(self) -> str:
        return f"<Schema {self.name or self.pointer} {type_label(self)}>"

    # ---------------------------------------------------------------- identity

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    # ---------------------------------------------------------------- keywords

    @property
    def types(self) -> tuple[str, ...]:
        """Every type the schema allows: OpenAPI 3.1 type arrays, and ``null`` for 3.0 ``nullable``
        (or Swagger's ``x-nullable``). Empty when the schema says nothing about its type."""
        if self._types is None:
            found = _declared_types(self.raw)
            if not found and "allOf" in self.raw:
                found = next((t for t in (_declared_types(p.raw) for p in self.merged_parts()[::-1]) if t), ())
            if (self.raw.get("nullable") is True or self.raw.get("x-nullable") is True) and "null" not in found:
                found += ("null",)
            self._types = found
        return self._types



    @property
    def type(self) -> str | None:
        """The main type (the first that is not ``null``), or what the keywords imply (object, array)."""
        if self._type is False:
            self._type = self._main_type()
        return self._type  # type: ignore[return-value]

    def _main_type(self) -> str | None:
        main = next((t for t in self.types if t != "null"), None)
        if main is not None:
            return main
        for part in self.merged_parts()[::-1]:  # this node first, then what it includes
            if "properties" in part.raw or "additionalProperties" in part.raw:
                return "object"
            if "items" in part.raw:
                return "array"
        return None

    @property
    def nullable(self) -> bool:
        return "null" in self.types

    @property
    def format(self) -> str | None:
        value = self.raw.get("format")
        return str(value) if isinstance(value, str) else None

    @property
    def enum(self) -> list[JSON] | None:
        value = self.raw.get("enum")
        return list(value) if isinstance(value, list) else None

    @property
    def description(self) -> str:
        value = self.raw.get("description") or self.raw.get("title") or ""
        return str(value) if isinstance(value, (str, int, float)) else ""

    @property
    def default(self) -> JSON:
        return self.raw.get("default")

    @property
    def example(self) -> JSON:
        return self.raw.get("example")

    @property
    def read_only(self) -> bool:
        return self.raw.get("readOnly") is True

    @property
    def write_only(self) -> bool:
        return self.raw.get("writeOnly") is True

    @property
    def discriminator(self) -> JSON:
        return self.raw.get("discriminator")

    # ---------------------------------------------------------------- children

    def _list(self, key: str) -> list[Schema]:
        made = self._lists.get(key)
        if made is None:
            found = self.raw.get(key)
            made = self._lists[key] = [] if not isinstance(found, list) else [
                self.graph.view(item, f"{self.pointer}/{key}/{i}") for i, item in enumerate(found) if isinstance(item, dict)]
        return made

    @property
    def all_of(self) -> list[Schema]:
        return self._list("allOf")

    @property
    def one_of(self) -> list[Schema]:
        return self._list("oneOf")

    @property
    def any_of(self) -> list[Schema]:
        return self._list("anyOf")

    @property
    def items(self) -> Schema | None:
        found = self.raw.get("items")
        if isinstance(found, list):  # the tuple form of older JSON Schema: the first item stands for all
            found = found[0] if found else None
        if not isinstance(found, dict):
            return None
        return self.graph.view(found, f"{self.pointer}/items")

    @property
    def additional_properties(self) -> Schema | bool | None:
        """False (no other fields), True or a schema for the values of other fields, or None (unsaid)."""
        if self._extra == "unset":
            self._extra = self._additional()
        return self._extra  # type: ignore[return-value]

    def _additional(self) -> Schema | bool | None:
        for part in self.merged_parts()[::-1]:  # this node first, then what it includes
            found = part.raw.get("additionalProperties")
            if isinstance(found, bool):
                return found
            if isinstance(found, dict):
                return part.graph.view(found, f"{part.pointer}/additionalProperties")
        return None

    def merged_parts(self) -> list[Schema]:
        """This schema and every schema it includes through allOf, each once, includes first."""
        if self._parts is None:
            order: list[Schema] = []
            seen: set[int] = set()
            stack: list[tuple[Schema, bool]] = [(self, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                    continue
                if id(node) in seen:
                    continue
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((part, False) for part in reversed(node.all_of))
            self._parts = order
        return self._parts

    @property
    def own_properties(self) -> dict[str, Schema]:
        """The properties written on this node itself (not those of allOf parts)."""
        found = self.raw.get("properties")
        if not isinstance(found, dict):
            return {}
        base = f"{self.pointer}/properties/"
        return {str(k): self.graph.view(v, base + escape(str(k))) for k, v in found.items() if isinstance(v, dict)}

    @property
    def properties(self) -> dict[str, Schema]:
        """Every property, allOf parts merged in (a cycle of allOf is visited once)."""
        if self._properties is None:
            merged: dict[str, Schema] = {}
            for part in self.merged_parts():
                merged.update(part.own_properties)
            self._properties = merged
        return self._properties

    @property
    def required(self) -> frozenset[str]:
        """The required property names, allOf parts merged in."""
        if self._required is None:
            names: set[str] = set()
            for part in self.merged_parts():
                found = part.raw.get("required")
                if isinstance(found, list):
                    names.update(str(n) for n in found if isinstance(n, str))
            self._required = frozenset(names)
        return self._required

    def label(self, depth: int = 0) -> str:
        """:func:`type_label` of this schema, worked out once per depth."""
        found = self._labels.get(depth)
        if found is None:
            found = self._labels[depth] = _label(self, depth)
        return found


def _declared_types(raw: dict[str, JSON]) -> tuple[str, ...]:
    declared = raw.get("type")
    if isinstance(declared, list):
        return tuple(str(t) for t in declared)
    if isinstance(declared, str):
        return (declared,)
    return ()


def type_label(schema: Schema | None, depth: int = 0) -> str:
    """A short type name for docs and completion: ``integer(int32)``, ``array[Project]``, ``string|null``."""
    if schema is None:
        return "any"
    return schema.label(depth)


def _label(schema: Schema, depth: int) -> str:
    if schema.name is not None and depth > 0:
        return schema.name
    kind = schema.type
    if kind == "array":
        return f"array[{type_label(schema.items, depth + 1) if depth < 4 else '…'}]"
    if kind is None:
        if schema.name is not None:
            return schema.name
        for key, parts in (("allOf", schema.all_of), ("oneOf", schema.one_of), ("anyOf", schema.any_of)):
            if parts and depth < 4:
                return f" {key} ".join(type_label(p, depth + 1) for p in parts[:3])
        return "any"
    if kind == "object" and schema.name is not None:
        return schema.name
    parts = schema.all_of
    if kind == "object" and len(parts) == 1 and not schema.own_properties and depth < 4:
        # allOf with one reference is how OpenAPI 3.0 writes "this schema, but nullable" or with a description
        return parts[0].label(depth + 1) + ("|null" if schema.nullable else "")
    fmt = schema.format
    label = f"{kind}({fmt})" if fmt and fmt != kind else kind
    return label + ("|null" if schema.nullable else "")
