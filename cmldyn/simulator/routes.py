"""The simulator's view of its spec: routes, their parameters, bodies and answers, and request checks.

Owns: reading any Swagger 2.0 or OpenAPI 3.x document (through spec.py's checks and the shared
schema graph) into :class:`Route` values: method, full path template (base path included),
parameters (path-level and shared ones merged), the JSON body's schema, each response's schema
and media types, the security requirement; matching a method and raw path to a route; and
checking a request's parameters and body with the shared validator, refused as :class:`BadRequest`
naming the field; :class:`ApiFailure`, any other error answer. Knows no profile: a profile's quirks
(``extra_required``) are handed in. Imports nothing from the cmldyn client: only the document and schema layers it
shares with it (spec, schema, security). Schemathesis checks the simulator against its spec
independently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import unquote

from ..schema import Schema, SchemaGraph, escape
from ..security import Scheme, read_schemes, requirements
from ..spec import Spec, build_spec, decode_json
from ..validator import Rules, check

__all__ = ["ApiFailure", "BadRequest", "METHODS", "Reply", "Response", "Route", "SpecIndex", "load_packaged_spec",
           "not_found"]

JSON = Any
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load_packaged_spec() -> bytes:
    """The CML spec shipped as package data (cmldyn/data), read as bytes: data, not client code."""
    return resources.files("cmldyn").joinpath("data/cml-api-v2.swagger.json").read_bytes()


class ApiFailure(Exception):
    """An error answer: the HTTP status, a code for the body (a grpc code for CML), the message."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(what: str, ident: str) -> ApiFailure:
    return ApiFailure(404, 5, f"{what} not found: {ident}")


class BadRequest(Exception):
    """A request the server would refuse with 400; ``status`` may say otherwise (415, 422)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Reply:
    """One answer: a JSON body, or raw bytes with their media type."""

    status: int
    body: JSON = None
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass
class Response:
    """What the spec declares for one status code (``200``, ``4XX`` or ``default``)."""

    code: str
    schema: Schema | None
    media: list[str]


@dataclass
class Route:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    names: list[str]
    op: dict[str, JSON] = field(repr=False)
    parameters: list[tuple[dict[str, JSON], Schema]] = field(default_factory=list, repr=False)
    body: Schema | None = field(default=None, repr=False)
    body_required: bool = False
    consumes: list[str] = field(default_factory=list)
    responses: dict[str, Response] = field(default_factory=dict, repr=False)
    security: list[list[str]] | None = None

    def params(self, location: str) -> list[dict[str, JSON]]:
        return [p for p, _ in self.parameters if p.get("in") == location]

    @property
    def success(self) -> Response | None:
        """The first 2xx the spec declares."""
        codes = sorted(c for c in self.responses if c.startswith("2"))
        return self.responses[codes[0]] if codes else None

    @property
    def success_code(self) -> int:
        found = self.success
        return int(found.code) if found is not None and found.code.isdigit() else 200

    @property
    def takes_form(self) -> bool:
        return any(p.get("in") == "formData" for p, _ in self.parameters) or any(
            m.startswith(("multipart/", "application/x-www-form-urlencoded")) for m in self.consumes)

    def error_response(self, status: int) -> Response | None:
        """The response the spec declares for an error status: the code itself, ``4XX``, then ``default``."""
        for code in (str(status), f"{str(status)[0]}XX", "default"):
            found = self.responses.get(code)
            if found is not None:
                return found
        return None


class SpecIndex:
    """Routes and schemas of one spec (the packaged CML spec when none is given).

    Args:
        raw: the spec as JSON bytes.
        spec: an already checked spec (a YAML file read by spec.py, say) instead of bytes.
        extra_required: required fields a spec leaves to prose, by schema name (a profile's quirk).
    """

    def __init__(self, raw: bytes | None = None, *, spec: Spec | None = None,
                 extra_required: dict[str, list[str]] | None = None) -> None:
        if spec is None:
            if raw is None:
                raw = load_packaged_spec()
            spec = build_spec(decode_json(raw, what="simulator spec"), "simulator spec", from_json=True)
        self.spec = spec
        self.doc: dict[str, JSON] = spec.raw
        self.raw_bytes = raw if raw is not None else json.dumps(spec.raw).encode()
        self.graph: SchemaGraph = spec.graph  # the same views and validator the client uses
        self.base_path = spec.base_path
        self.extra_required = dict(extra_required or {})
        self.schemes, _ = read_schemes(self.doc, openapi3=spec.is_openapi3)
        self.routes: list[Route] = []
        self.by_id: dict[str, Route] = {}
        for template, item in (self.doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                route = self._route(str(template), method, item, op)
                self.routes.append(route)
                self.by_id.setdefault(route.operation_id, route)
        # Literal segments win over parameters: try templates with fewer parameters first,
        # then longer ones (``/projects/batch`` before ``/projects/{project_id}``).
        self.routes.sort(key=lambda r: (len(r.names), -len(r.template)))

    @property
    def definitions(self) -> dict[str, JSON]:
        table = self.doc.get("definitions") if not self.spec.is_openapi3 else (self.doc.get("components") or {}).get("schemas")
        return table if isinstance(table, dict) else {}

    @property
    def title(self) -> str:
        return self.spec.title

    # ---------------------------------------------------------------- reading the document

    def _route(self, template: str, method: str, item: dict[str, JSON], op: dict[str, JSON]) -> Route:
        pointer = f"#/paths/{escape(template)}/{method}"
        full = (self.base_path + template) if self.base_path else template
        regex, names = _compile(full)
        op_id = str(op.get("operationId") or f"{method}_{template}")
        route = Route(op_id, method.upper(), full, regex, names, op, security=requirements(op, self.doc))
        merged: dict[tuple[str, str], tuple[dict[str, JSON], Schema]] = {}
        for source, base in ((item.get("parameters"), f"#/paths/{escape(template)}/parameters"),
                             (op.get("parameters"), f"{pointer}/parameters")):
            for i, node in enumerate(source if isinstance(source, list) else []):
                raw, where = self.graph.deref(node, f"{base}/{i}")
                if not isinstance(raw, dict) or "name" not in raw or "in" not in raw:
                    continue
                if raw["in"] == "body":
                    schema = raw.get("schema")
                    route.body = self.graph.view(schema, f"{where}/schema") if isinstance(schema, dict) else None
                    route.body_required = raw.get("required") is True
                    continue
                if isinstance(raw.get("schema"), dict):
                    view = self.graph.view(raw["schema"], f"{where}/schema")
                else:  # Swagger 2.0: the parameter carries its own type keywords
                    view = self.graph.detached(raw, where)
                merged[(str(raw["name"]), str(raw["in"]))] = (raw, view)
        route.parameters = list(merged.values())
        if self.spec.is_openapi3:
            self._oas3_body(route, op, pointer)
        else:
            route.consumes = [str(m) for m in (op.get("consumes") or self.doc.get("consumes") or ["application/json"])]
        produces = [str(m) for m in (op.get("produces") or self.doc.get("produces") or ["application/json"])]
        for code, node in (op.get("responses") or {}).items():
            raw, where = self.graph.deref(node, f"{pointer}/responses/{escape(str(code))}")
            if isinstance(raw, dict):
                route.responses[str(code)] = self._response(str(code), raw, where, produces)
        return route

    def _oas3_body(self, route: Route, op: dict[str, JSON], pointer: str) -> None:
        if "requestBody" not in op:
            return
        raw, where = self.graph.deref(op["requestBody"], f"{pointer}/requestBody")
        if not isinstance(raw, dict):
            return
        found = raw.get("content")
        content: dict[str, JSON] = found if isinstance(found, dict) else {}
        route.consumes = [str(m) for m in content]
        route.body_required = raw.get("required") is True
        for media, body in content.items():
            if "json" in str(media) and isinstance(body, dict) and isinstance(body.get("schema"), dict):
                route.body = self.graph.view(body["schema"], f"{where}/content/{escape(str(media))}/schema")
                return

    def _response(self, code: str, raw: dict[str, JSON], where: str, produces: list[str]) -> Response:
        if self.spec.is_openapi3:
            found = raw.get("content")
            content: dict[str, JSON] = found if isinstance(found, dict) else {}
            schema = None
            for media, body in content.items():
                if isinstance(body, dict) and isinstance(body.get("schema"), dict):
                    schema = self.graph.view(body["schema"], f"{where}/content/{escape(str(media))}/schema")
                    break
            return Response(code, schema, [str(m) for m in content])
        given = raw.get("schema")
        schema = self.graph.view(given, f"{where}/schema") if isinstance(given, dict) else None
        return Response(code, schema, produces if schema is not None or code.startswith("2") else [])

    # ---------------------------------------------------------------- lookups

    def match(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, whether the path exists under another method)."""
        path_exists = False
        for route in self.routes:
            found = route.regex.match(raw_path)
            if not found:
                continue
            if route.method != method:
                path_exists = True
                continue
            values = {name: unquote(found.group(i + 1)) for i, name in enumerate(route.names)}
            return route, values, True
        return None, {}, path_exists

    def response_view(self, route: Route) -> Schema | None:
        """The view of the first 2xx answer's schema."""
        found = route.success
        return found.schema if found is not None else None

    def body_view(self, route: Route) -> Schema | None:
        """The view of the route's JSON body schema (None where it takes no JSON body)."""
        return route.body

    def properties(self, route: Route) -> dict[str, Schema]:
        """The fields of the route's answer."""
        view = self.response_view(route)
        return view.properties if view is not None else {}

    def list_field(self, route: Route) -> str | None:
        arrays = [k for k, v in self.properties(route).items() if v.type == "array"]
        return arrays[0] if arrays else None

    def sample(self, schema: Schema | None, *, depth: int = 0, now: str = "2026-01-01T00:00:00Z") -> JSON:
        """The minimal value for a schema: enums take their first value, arrays are empty; a recursive
        schema stops at depth 3, as nothing ever expands the graph."""
        import random

        from .samples import Sampler

        return Sampler(random.Random(0), lambda: now, style="minimal").value(schema, depth=depth)

    def required_fields(self, schema: Schema) -> list[str]:
        """Fields the spec marks required: a ``required`` list, or "(required)" in the description
        (CML's served spec says it in prose; a profile adds the few its vendor docs imply)."""
        needed = sorted(schema.required)
        for key, prop in schema.properties.items():
            if "(required)" in prop.description:
                needed.append(key)
        return needed or self.extra_required.get(schema.name or "", [])

    def security_of(self, route: Route) -> list[list[Scheme]] | None:
        """The alternatives that let a request in, each a list of usable schemes needed together;
        None where the spec asks for nothing or names only schemes no client can use."""
        if route.security is None:
            return None
        alternatives = []
        for names in route.security:
            if not names:
                return None  # an empty alternative: no credential needed
            schemes = [self.schemes[n] for n in names if n in self.schemes]
            if len(schemes) == len(names):
                alternatives.append(schemes)
        return alternatives or None

    # ---------------------------------------------------------------- checking a request

    def check_query(self, route: Route, query: dict[str, list[str]], *, strict: bool = False) -> dict[str, str]:
        """Query values by their spec name; lowerCamel spellings are accepted as grpc-gateway does.

        Checked: each value reads as its type and enum; with ``strict``, required ones are there.
        """
        known = {str(p["name"]): (p, view) for p, view in route.parameters if p.get("in") == "query"}
        camel = {_lower_camel(n): n for n in known}
        values: dict[str, str] = {}
        for key, items in query.items():
            name = key if key in known else camel.get(key)
            if name is None:
                continue  # servers ignore unknown query parameters
            param, view = known[name]
            value = items[-1]
            kind = view.type
            if kind == "integer" and not re.fullmatch(r"[+-]?\d+", value):
                raise BadRequest(f'type mismatch, parameter: {name}, error: strconv.ParseInt: parsing "{value}": invalid syntax')
            if kind == "boolean" and value.lower() not in ("true", "false", "1", "0"):
                raise BadRequest(f'type mismatch, parameter: {name}, error: strconv.ParseBool: parsing "{value}": invalid syntax')
            if kind == "number":
                try:
                    float(value)
                except ValueError:
                    raise BadRequest(f"type mismatch, parameter: {name}: {value!r} is not a number") from None
            enum = view.enum or (view.items.enum if view.items is not None else None)
            if enum and kind != "array" and value not in [str(e) for e in enum]:
                raise BadRequest(f"invalid value for enum field {name}: {value!r}")
            if enum and kind == "array":
                for part in (v for item in items for v in item.split(",")):
                    if part not in [str(e) for e in enum]:
                        raise BadRequest(f"invalid value for enum field {name}: {part!r}")
            values[name] = value
        for name, (param, _) in known.items() if strict else ():
            if param.get("required") is True and name not in values:
                raise BadRequest(f"missing required query parameter {name}")
        return values

    def check_headers(self, route: Route, headers: dict[str, str]) -> None:
        lowered = {k.lower() for k in headers}
        for param, _ in route.parameters:
            if param.get("in") == "header" and param.get("required") is True and str(param["name"]).lower() not in lowered:
                raise BadRequest(f"missing required header {param['name']}")

    def check_body(self, route: Route, body: bytes, content_type: str, *, rules: Rules | None = None) -> JSON:
        """The JSON body parsed and checked against its schema (None where the route takes none)."""
        view = self.body_view(route)
        if view is None:
            if route.body_required and not body.strip() and not route.takes_form:
                raise BadRequest("a request body is required")
            return None
        if not body.strip():
            if route.body_required and self.spec.is_openapi3:
                raise BadRequest("a request body is required")
            return {}
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        self._check_value(view, data, rules or GATEWAY_RULES)
        missing = [f for f in self.required_fields(view) if isinstance(data, dict) and data.get(f) in (None, "")]
        if missing:
            raise BadRequest(f"missing required field: {missing[0]}")
        return data

    def _check_value(self, view: Schema, value: JSON, rules: Rules) -> None:
        """The body against its schema with the shared validator, refused as the gateway words it."""
        for finding in check(view, value, where="", rules=rules, limit=5):
            if finding.severity != "error":
                continue
            label = finding.path.lstrip(".") or "body"
            if finding.kind == "unknown":
                key = label.rsplit(".", 1)[-1]
                parent = label.rsplit(".", 1)[0] if "." in label else "request body"
                raise BadRequest(f'unknown field "{key}" in {parent}')
            if finding.kind == "enum":
                raise BadRequest(f"invalid value for enum field {label}: {finding.given}")
            if finding.kind == "missing":
                raise BadRequest(f"missing required field: {label}")
            given = finding.given.split(" ", 1)[0]
            raise BadRequest(f"invalid value for field {label}: expected {finding.expected}, got {_KINDS.get(given, given)}")


# The gateway refuses fields the message does not have, and reads JSON as JSON (no text for objects).
GATEWAY_RULES = Rules(unknown="error", text_scalars=False, json_text_objects=False, direction="request")
# Any other spec: extra fields are legal unless additionalProperties says false (Swagger 2.0 and JSON Schema).
OPEN_RULES = Rules(unknown="ignore", text_scalars=False, json_text_objects=False, direction="request")
_KINDS = {"dict": "object", "list": "array", "str": "string", "bool": "boolean", "int": "number", "float": "number"}


def _lower_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    names: list[str] = []
    pattern = ""
    pos = 0
    for found in re.finditer(r"\{([^{}]+)\}", template):
        pattern += re.escape(template[pos : found.start()])
        names.append(found.group(1))
        # Values arrive percent-encoded, so one value never holds a raw "/" or ":".
        pattern += r"([^/:]+)"
        pos = found.end()
    pattern += re.escape(template[pos:])
    return re.compile("^" + pattern + "$"), names
