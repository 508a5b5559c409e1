"""Read-only views over a checked spec: ServiceModel, OperationModel, Param.

Owns: the operation index (built once, cheaply; or taken from the spec cache), each
operation's parameter table (built on first use), which Python name each operation and
parameter gets (the spelling rules are in naming.py), and whether an operation pages or
answers in bytes. May import: errors, naming, schema, security, spec (docs.py renders an
operation's documentation from these views; this module does not know it).
Must not: do I/O or build requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import CmldynError, OperationError, SpecError, did_you_mean
from .jsonvalue import JSON
from .naming import derive_operation_id, identifier, lower_camel, snake_case
from .schema import Schema, SchemaGraph, escape, type_label
from .security import read_schemes, requirements
from .spec import HTTP_METHODS, Spec

__all__ = ["OperationInfo", "OperationModel", "Param", "ServiceModel", "item_path", "resource_path", "spec_guard"]


_PATH_PARAM = re.compile(r"\{([^{}]+)\}")
_GRPC_V2_ID = re.compile(r"^([A-Za-z][A-Za-z0-9]*Service)_([A-Za-z][A-Za-z0-9_]*)$")


_SHAPE_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError, RecursionError)


def spec_guard(fn: Any) -> Any:
    """For code that reads an operation's part of the spec: a part of the wrong shape (a number
    where a list belongs, say) becomes a SpecError naming the operation, not a stray TypeError."""
    from functools import wraps

    @wraps(fn)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except CmldynError:
            raise
        except _SHAPE_ERRORS as exc:
            where = getattr(self, "operation_id", None) or getattr(self, "name", "the spec")
            raise SpecError(f"the spec describes {where} in a shape cmldyn cannot use "
                            f"({type(exc).__name__}: {str(exc)[:120]})") from exc

    return guarded


@dataclass(frozen=True, eq=False)
class Param:
    """One argument of an operation: its Python name, where it goes and what it accepts."""

    name: str
    wire: str
    location: str  # path, query, header, cookie, body, form
    required: bool
    schema: Schema
    description: str = ""
    collection_format: str = "csv"  # how an array is joined: csv, ssv, tsv, pipes, multi (Swagger 2 names)
    explode: bool = False
    style: str = ""  # an OAS3 path parameter's style: simple (""), label or matrix
    aliases: tuple[str, ...] = ()
    is_file: bool = False
    raw_body: bool = False  # an OAS3 body that is not JSON: sent as bytes

    @property
    def type_label(self) -> str:
        return type_label(self.schema)

    @property
    def enum(self) -> list[JSON] | None:
        """The allowed values (of the items, for an array parameter)."""
        values = self.schema.enum
        items = self.schema.items
        if values is None and self.schema.type == "array" and items is not None:
            values = items.enum
        return values

    @property
    def body_key(self) -> str | None:
        """For a dotted path name (``project.id``), the body field that fills it (``id``)."""
        if self.location == "path" and "." in self.wire:
            return self.wire.split(".", 1)[1]
        return None


@dataclass
class OperationModel:
    """One operation of the spec. Parameters and docs are worked out on first use."""

    name: str
    operation_id: str
    method: str
    path: str
    raw_op: dict[str, JSON] = field(repr=False)
    spec: Spec = field(repr=False)
    aliases: tuple[str, ...] = ()
    derived_id: bool = False

    @property
    def summary(self) -> str:
        return str(self.raw_op.get("summary") or "").strip()

    @property
    def description(self) -> str:
        return str(self.raw_op.get("description") or "").strip()

    @property
    def deprecated(self) -> bool:
        return bool(self.raw_op.get("deprecated"))

    @property
    def security(self) -> list[list[str]] | None:
        """The security alternatives this operation accepts (``[[]]``: none needed; None: unsaid)."""
        return requirements(self.raw_op, self.spec.raw)

    @property
    def pointer(self) -> str:
        """Where the operation stands in the document: ``#/paths/~1projects/get``."""
        return f"#/paths/{escape(self.path)}/{self.method}"

    def raw_parameters(self) -> list[tuple[dict[str, JSON], str]]:
        """The parameter objects (path-level first, then the operation's), each with its pointer,
        a shared one (``$ref`` to ``#/parameters/...``) followed; the operation's win on a clash."""
        graph = self.spec.graph
        merged: dict[tuple[str, str], tuple[dict[str, JSON], str]] = {}
        item = (self.spec.raw.get("paths") or {}).get(self.path) or {}
        for source, base in ((item.get("parameters"), f"#/paths/{escape(self.path)}/parameters"),
                             (self.raw_op.get("parameters"), f"{self.pointer}/parameters")):
            for i, node in enumerate(source or []):
                raw, where = graph.deref(node, f"{base}/{i}")
                if isinstance(raw, dict) and "name" in raw and "in" in raw:
                    merged[(str(raw["name"]), str(raw["in"]))] = (raw, where)
        return list(merged.values())

    def request_body(self) -> tuple[dict[str, JSON], str] | None:
        """OpenAPI 3's requestBody (a shared one followed) and its pointer."""
        if "requestBody" not in self.raw_op:
            return None
        raw, where = self.spec.graph.deref(self.raw_op["requestBody"], f"{self.pointer}/requestBody")
        return (raw, where) if isinstance(raw, dict) else None

    @cached_property
    @spec_guard
    def params(self) -> tuple[Param, ...]:
        return tuple(_build_params(self))

    @cached_property
    @spec_guard
    def param_index(self) -> dict[str, Param]:
        """Every accepted keyword (Python name, wire name, lowerCamel) -> Param."""
        index: dict[str, Param] = {}
        for param in self.params:
            index[param.name] = param
        for param in self.params:
            for alias in param.aliases:
                index.setdefault(alias, param)
        return index

    @cached_property
    @spec_guard
    def path_params(self) -> tuple[Param, ...]:
        by_wire = {p.wire: p for p in self.params if p.location == "path"}
        ordered = [by_wire[w] for w in _PATH_PARAM.findall(self.path) if w in by_wire]
        ordered += [p for p in by_wire.values() if p not in ordered]
        return tuple(ordered)

    @cached_property
    @spec_guard
    def body_param(self) -> Param | None:
        return next((p for p in self.params if p.location == "body"), None)

    @cached_property
    @spec_guard
    def body_fields(self) -> dict[str, Schema]:
        """The JSON body's fields a call also takes as keywords (``api.create_project(name=...)``): every
        property of the body not named like a parameter. Empty for a body sent as bytes."""
        body = self.body_param
        if body is None or body.raw_body:
            return {}
        taken = {p.name for p in self.params}
        return {k: v for k, v in body.schema.properties.items() if k not in taken}

    @cached_property
    @spec_guard
    def positional(self) -> tuple[Param, ...]:
        """cmlapi's order: body first, then path parameters in path order, then other required ones."""
        order: list[Param] = []
        if self.body_param is not None:
            order.append(self.body_param)
        order.extend(self.path_params)
        order.extend(p for p in self.params if p.required and p not in order)
        return tuple(order)

    @cached_property
    @spec_guard
    def consumes(self) -> list[str]:
        if self.spec.is_openapi3:
            found = self.request_body()
            return list((found[0].get("content") or {}).keys()) if found is not None else []
        return list(self.raw_op.get("consumes") or self.spec.raw.get("consumes") or ["application/json"])

    @cached_property
    @spec_guard
    def is_multipart(self) -> bool:
        return any(p.location == "form" for p in self.params) and (
            any(p.is_file for p in self.params) or "multipart/form-data" in self.consumes
        )

    @cached_property
    @spec_guard
    def success(self) -> tuple[str, Schema | None, list[str]]:
        """(status code, response schema or None, response media types) of the first 2xx."""
        responses = self.raw_op.get("responses") or {}
        for code in sorted(str(c) for c in responses if str(c).startswith("2")):
            found = self.response(code)
            if found is not None:
                return (code, *found)
        return "200", None, self.produces

    @property
    def produces(self) -> list[str]:
        """Swagger 2.0's declared answer media types (the operation's, else the spec's)."""
        return [str(m) for m in (self.raw_op.get("produces") or self.spec.raw.get("produces") or [])]

    def response(self, code: str) -> tuple[Schema | None, list[str]] | None:
        """(schema or None, media types) the spec declares for one status code (or ``default``);
        None where it declares nothing for that code."""
        responses = self.raw_op.get("responses") or {}
        node = responses.get(code, responses.get(int(code)) if code.isdigit() else None)
        if not isinstance(node, dict):
            return None
        graph = self.spec.graph
        raw, where = graph.deref(node, f"{self.pointer}/responses/{escape(code)}")
        if not isinstance(raw, dict):
            return None
        if self.spec.is_openapi3:
            content = raw.get("content") or {}
            for media, body in content.items() if isinstance(content, dict) else []:
                if isinstance(body, dict) and isinstance(body.get("schema"), dict):
                    return graph.view(body["schema"], f"{where}/content/{escape(media)}/schema"), list(content)
            return None, list(content) if isinstance(content, dict) else []
        schema = raw.get("schema")
        return (graph.view(schema, f"{where}/schema") if isinstance(schema, dict) else None), self.produces

    @property
    def response_schema(self) -> Schema | None:
        schema: Schema | None = self.success[1]
        return schema

    @cached_property
    @spec_guard
    def binary_response(self) -> bool:
        """True where the answer is raw bytes (CML's file download), returned as ``bytes``."""
        _, schema, media = self.success
        if schema is not None and schema.format == "binary":
            return True
        if schema is None and media and not any("json" in m for m in media):
            binary = ("application/octet-stream", "application/zip", "application/x-tar", "image/")
            return any(m.startswith(binary) for m in media)
        return False

    @cached_property
    @spec_guard
    def page_list_field(self) -> str | None:
        """For a paginated list (page_token in, next_page_token out): the one array field."""
        # The raw parameter names are enough to say no (most operations), without building the parameters.
        if "page_token" not in {str(raw.get("name")) for raw, _ in self.raw_parameters()}:
            return None
        schema = self.response_schema
        props = schema.properties if schema is not None else {}
        if "next_page_token" not in props:
            return None
        arrays = [k for k, v in props.items() if v.type == "array"]
        return arrays[0] if len(arrays) == 1 else None

    @spec_guard
    def signature_text(self) -> str:
        parts = [p.name for p in self.positional]
        optional = [p for p in self.params if p not in self.positional]
        if optional:
            parts.append("*")
            parts.extend(f"{p.name}=None" for p in optional)
        return f"{self.name}({', '.join(parts)})"


def _build_params(op: OperationModel) -> list[Param]:
    drafts: list[dict[str, Any]] = []
    oas3 = op.spec.is_openapi3
    graph = op.spec.graph
    for raw, where in op.raw_parameters():
        location = str(raw["in"])
        wire = str(raw["name"])
        description = str(raw.get("description") or "")
        if location == "body":
            schema = graph.view(raw.get("schema") or {}, f"{where}/schema")
            drafts.append(dict(base="body", wire=wire, location="body", required=bool(raw.get("required")),
                               schema=schema, description=description))
            continue
        if oas3:
            found = raw.get("schema")
            schema = graph.view(found if isinstance(found, dict) else {}, f"{where}/schema")
            style = raw.get("style") or ("form" if location in ("query", "cookie") else "simple")
            explode = bool(raw.get("explode", style == "form"))
            fmt = {"form": "csv", "spaceDelimited": "ssv", "pipeDelimited": "pipes"}.get(str(style), "csv")
            path_style = str(style) if location == "path" and style in ("label", "matrix") else ""
        else:  # Swagger 2.0: the parameter object holds its own type, format, enum and items
            own = {k: v for k, v in raw.items() if k not in ("name", "in", "required", "description")}
            schema = graph.detached(own, where)
            fmt = str(raw.get("collectionFormat") or "csv")
            explode = fmt == "multi"
            path_style = ""
        drafts.append(dict(
            base=wire, wire=wire, location="form" if location == "formData" else location,
            required=bool(raw.get("required")) or location == "path", schema=schema, description=description,
            collection_format=fmt, explode=explode, style=path_style, is_file=schema.type == "file",
        ))
    body = op.request_body() if oas3 else None
    if body is not None:
        drafts.extend(_oas3_body_drafts(graph, *body))
    return _name_params(drafts)


_FORM_MEDIA = ("multipart/form-data", "application/x-www-form-urlencoded")


def _oas3_body_drafts(graph: SchemaGraph, body: dict[str, JSON], where: str) -> list[dict[str, Any]]:
    content = body.get("content") or {}
    if not isinstance(content, dict):
        return []
    required = bool(body.get("required"))
    description = str(body.get("description") or "")

    def schema_of(media: str, default: dict[str, JSON]) -> Schema:
        found = (content[media] or {}).get("schema") if isinstance(content[media], dict) else None
        return graph.view(found if isinstance(found, dict) else default, f"{where}/content/{escape(media)}/schema")

    json_media = next((m for m in content if "json" in m), None)
    if json_media is not None:
        return [dict(base="body", wire="body", location="body", required=required, schema=schema_of(json_media, {}),
                     description=description)]
    form_media = next((m for m in content if m in _FORM_MEDIA), None)
    if form_media is not None:
        form = schema_of(form_media, {})
        return [dict(base=name, wire=name, location="form", required=name in form.required, schema=prop,
                     description=prop.description, is_file=prop.format == "binary" or prop.type == "file")
                for name, prop in form.properties.items()]
    if content:
        media = next(iter(content))
        return [dict(base="body", wire="body", location="body", required=required,
                     schema=schema_of(media, {"type": "string", "format": "binary"}), description=description,
                     raw_body=True)]
    return []


def _name_params(drafts: list[dict[str, Any]]) -> list[Param]:
    names: dict[str, int] = {}
    for draft in drafts:
        draft["name"] = identifier(snake_case(draft.pop("base")))
        names[draft["name"]] = names.get(draft["name"], 0) + 1
    params: list[Param] = []
    used: set[str] = set()
    for draft in drafts:
        name = draft["name"]
        if names[name] > 1 or name in used:  # one name in two places: say where
            name = f"{name}_{draft['location']}"
            while name in used:
                name += "_"
        used.add(name)
        aliases = {draft["wire"], lower_camel(name)} - {name}
        draft["name"] = name
        params.append(Param(aliases=tuple(sorted(a for a in aliases if a)), **draft))
    return params


@dataclass(frozen=True)
class OperationInfo:
    """What ``Client.operations`` lists: enough to choose an operation."""

    name: str
    method: str
    path: str
    summary: str
    operation_id: str


class ServiceModel:
    """All operations of a spec, indexed by Python name, operationId and aliases."""

    def __init__(self, spec: Spec, *, reserved: Iterable[str] = (), table: list[list[Any]] | None = None) -> None:
        self.spec = spec
        self.warnings: list[str] = spec.warnings
        self._reserved = frozenset(reserved)
        self.operations: dict[str, OperationModel] = {}
        self._aliases: dict[str, str] = {}
        #: The usable security schemes by name, and notes on the ones that cannot be used.
        self.schemes, self.security_notes = read_schemes(spec.raw, openapi3=spec.is_openapi3)
        #: Whether the spec declares any scheme at all (CML's names one that no client can use).
        self.declares_security = bool(self.schemes or self.security_notes)
        #: The spec's top-level ``security`` (what calls outside the spec follow), or None.
        self.default_security = requirements({}, spec.raw)
        if table is None:
            self._index()
        else:
            self._from_table(table)

    def table(self) -> list[list[Any]]:
        """The operation index as plain data, for the spec cache (the naming work is the slow part)."""
        return [[m.name, m.operation_id, m.method, m.path, m.derived_id, list(m.aliases)] for m in self.operations.values()]

    def _from_table(self, table: list[list[Any]]) -> None:
        self.operations = _LazyOperations(self.spec, table)  # type: ignore[assignment]
        for name, _op_id, _method, _path, _derived, aliases in table:
            for alias in aliases:
                self._aliases[alias] = name

    def _index(self) -> None:
        drafts = list(self._iter_raw())
        ids = [op_id for op_id, *_ in drafts if op_id]
        grpc_prefixes = {m.group(1) for i in ids if (m := _GRPC_V2_ID.match(i))}
        claimed: dict[str, str] = {}
        for op_id, method, path, op in drafts:
            derived = not op_id
            if derived:
                op_id = derive_operation_id(method, path)
            short_id = op_id
            match = _GRPC_V2_ID.match(op_id)
            if match and match.group(1) in grpc_prefixes:
                short_id = match.group(2)
            base = identifier(snake_case(short_id), self._reserved)
            name = base
            suffix = 2
            while name in self.operations:
                name = f"{base}_{suffix}"
                suffix += 1
            if name != base:
                first = self.operations[base]
                self.warnings.append(
                    f"operations {first.operation_id} ({first.method.upper()} {first.path}) and {op_id} "
                    f"({method.upper()} {path}) both map to {base!r}; the second is {name!r}"
                )
            aliases = {op_id, lower_camel(name), identifier(snake_case(op_id), self._reserved)} - {name}
            model = OperationModel(
                name=name, operation_id=op_id, method=method, path=path, raw_op=op, spec=self.spec, derived_id=derived
            )
            self.operations[name] = model
            for alias in aliases:
                claimed.setdefault(alias, name)
        by_name: dict[str, list[str]] = {}
        for alias, name in claimed.items():
            if alias not in self.operations:
                self._aliases[alias] = name
                by_name.setdefault(name, []).append(alias)
        for name, model in self.operations.items():
            model.aliases = tuple(sorted(by_name.get(name, ())))

    def _iter_raw(self) -> Iterator[tuple[str, str, str, dict[str, JSON]]]:
        for path, path_item in (self.spec.raw.get("paths") or {}).items():
            if not isinstance(path_item, dict):
                continue
            for method in HTTP_METHODS:
                op = path_item.get(method)
                if isinstance(op, dict):
                    op_id = op.get("operationId")
                    if op.get("servers"):
                        self.warnings.append(
                            f"{method.upper()} {path} names its own servers; ignored, calls go to the configured host"
                        )
                    yield (str(op_id) if op_id else "", method, str(path), op)

    def get(self, name: str) -> OperationModel:
        """Find an operation by Python name, raw operationId, or alias.

        Raises:
            OperationError: with a did-you-mean where a close name exists.
        """
        found = self.find(name)
        if found is None:
            raise OperationError(
                f"unknown operation {name!r}{did_you_mean(name, self.operations)}",
                hint="list the operations with 'cmldyn ops' or api.operations",
            )
        return found

    def find(self, name: str) -> OperationModel | None:
        if name in self.operations:
            return self.operations[name]
        if name in self._aliases:
            return self.operations[self._aliases[name]]
        return None

    def names(self) -> list[str]:
        return list(self.operations)

    def match(self, method: str, path: str) -> tuple[OperationModel, dict[str, str]] | None:
        """The operation whose path template matches a concrete (encoded) path, and its values."""
        from urllib.parse import unquote

        table = self.__dict__.get("_templates")
        if table is None:
            table = []
            for op in self.operations.values():
                names: list[str] = []
                pattern = ""
                pos = 0
                for found in _PATH_PARAM.finditer(op.path):
                    pattern += re.escape(op.path[pos : found.start()]) + "([^/:]+)"
                    names.append(found.group(1))
                    pos = found.end()
                pattern += re.escape(op.path[pos:])
                table.append((op, re.compile("^" + pattern + "$"), names))
            table.sort(key=lambda row: len(row[2]))  # literal segments win
            self._templates = table
        for op, regex, names in table:
            if op.method != method.lower():
                continue
            found = regex.match(path)
            if found:
                return op, {n: unquote(v) for n, v in zip(names, found.groups(), strict=False)}
        return None

    def infos(self) -> list[OperationInfo]:
        return [OperationInfo(m.name, m.method.upper(), m.path, m.summary, m.operation_id) for m in self.operations.values()]

    def schema(self, name: str) -> JSON:
        """A named definition (Swagger 2) or component schema (OpenAPI 3), resolved."""
        return self.spec.schema(name)

    def schema_names(self) -> list[str]:
        return self.spec.schema_names()


class _LazyOperations(Mapping[str, OperationModel]):
    """Operations from a cached index, each made when first looked up (a warm start with
    1,000 operations builds only the few it uses)."""

    def __init__(self, spec: Spec, table: list[list[Any]]) -> None:
        self._spec = spec
        self._rows = {row[0]: row for row in table}
        self._made: dict[str, OperationModel] = {}

    def __getitem__(self, name: str) -> OperationModel:
        made = self._made.get(name)
        if made is None:
            _, op_id, method, path, derived, aliases = self._rows[name]
            raw_op = self._spec.raw["paths"][path][method]
            made = self._made[name] = OperationModel(
                name=name,
                operation_id=op_id,
                method=method,
                path=path,
                raw_op=raw_op,
                spec=self._spec,
                aliases=tuple(aliases),
                derived_id=derived,
            )
        return made

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def item_path(method: str, path: str) -> tuple[str, bool]:
    """Where the resource behind a call lives: (path, whether the call created it in that collection).

    ``POST .../runs/{run_id}:stop`` acts on ``.../runs/{run_id}``; ``PATCH /projects/{project.id}``
    on the project; ``POST .../runs`` creates a run inside ``.../runs``.
    """
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        return path.rsplit(":", 1)[0], False
    return path, method.upper() == "POST"


def resource_path(method: str, path: str, answer: Any) -> str | None:
    """The path of the resource a call's ``answer`` is: :func:`item_path`, and for a create the new item's
    ``id`` appended (quoted as one segment); None for a create whose answer has no id."""
    from urllib.parse import quote

    base, creates = item_path(method, path)
    if not creates:
        return base
    ident = answer.get("id") if hasattr(answer, "get") else None
    return f"{base}/{quote(str(ident), safe='')}" if ident else None
