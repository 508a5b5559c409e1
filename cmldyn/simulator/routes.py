"""The simulator's view of its spec: routes, schemas, samples and request checks.

Owns: matching a method + raw path to an operation of the packaged CML spec,
reading its schemas through the schema graph, building a plausible object from a schema, and
checking a request (query types, body JSON, unknown / wrong-typed / required
fields) the way the real gateway would, with messages naming the field.
Imports nothing from the cmldyn client (ARCHITECTURE.md), only the schema layer it shares with
it (views and the validator); Schemathesis checks the simulator against its spec independently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import unquote

from ..schema import Rules, Schema, SchemaGraph, check

__all__ = ["BadRequest", "EXTRA_REQUIRED", "METHODS", "Route", "SpecIndex", "load_packaged_spec"]

JSON = Any
METHODS = ("get", "put", "post", "delete", "patch")


def load_packaged_spec() -> bytes:
    """The CML spec shipped as package data (cmldyn/data), read as bytes: data, not client code."""
    return resources.files("cmldyn").joinpath("data/cml-api-v2.swagger.json").read_bytes()


class BadRequest(Exception):
    """A request the real gateway would refuse with 400 (grpc code 3)."""


@dataclass
class Route:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    names: list[str]
    op: dict[str, JSON] = field(repr=False)

    def params(self, location: str) -> list[dict[str, JSON]]:
        return [p for p in self.op.get("parameters", []) if p.get("in") == location]

    @property
    def body_schema(self) -> JSON:
        for p in self.op.get("parameters", []):
            if p.get("in") == "body":
                return p.get("schema")
        return None

    @property
    def response_schema(self) -> JSON:
        for code, response in (self.op.get("responses") or {}).items():
            if str(code).startswith("2"):
                return response.get("schema")
        return None

    @property
    def success_code(self) -> int:
        codes = [int(c) for c in (self.op.get("responses") or {}) if str(c).startswith("2")]
        return min(codes) if codes else 200


class SpecIndex:
    """Routes and schemas of the packaged spec."""

    def __init__(self, raw: bytes | None = None) -> None:
        self.raw_bytes = raw if raw is not None else load_packaged_spec()
        self.doc: dict[str, JSON] = json.loads(self.raw_bytes)
        self.definitions: dict[str, JSON] = self.doc.get("definitions", {})
        self.graph = SchemaGraph(self.doc, openapi3=False)  # the same views and validator the client uses
        self.routes: list[Route] = []
        self.by_id: dict[str, Route] = {}
        for template, item in self.doc.get("paths", {}).items():
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                regex, names = _compile(template)
                route = Route(op["operationId"], method.upper(), template, regex, names, op)
                self.routes.append(route)
                self.by_id[route.operation_id] = route
        # Literal segments win over parameters: try templates with fewer parameters first,
        # then longer ones (``/projects/batch`` before ``/projects/{project_id}``).
        self.routes.sort(key=lambda r: (len(r.names), -len(r.template)))

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
        schema = route.response_schema
        return self.graph.view(schema, f"#/x-simulator/{route.operation_id}/answer") if isinstance(schema, dict) else None

    def body_view(self, route: Route) -> Schema | None:
        """The view of the route's JSON body schema (None where it takes no body)."""
        schema = route.body_schema
        return self.graph.view(schema, f"#/x-simulator/{route.operation_id}/body") if isinstance(schema, dict) else None

    def properties(self, route: Route) -> dict[str, Schema]:
        """The fields of the route's answer."""
        view = self.response_view(route)
        return view.properties if view is not None else {}

    def list_field(self, route: Route) -> str | None:
        arrays = [k for k, v in self.properties(route).items() if v.type == "array"]
        return arrays[0] if arrays else None

    def sample(self, schema: Schema | None, *, depth: int = 0, now: str = "2026-01-01T00:00:00Z") -> JSON:
        """A plausible value for a schema: enums take their first value, arrays are empty; a recursive
        schema stops at depth 3, as nothing ever expands the graph."""
        if schema is None:
            return {}
        if schema.enum:
            return schema.enum[0]
        kind = schema.type
        if kind == "object":
            if depth > 3:
                return {}
            return {k: self.sample(v, depth=depth + 1, now=now) for k, v in schema.properties.items()}
        if kind == "array":
            return []
        if kind == "integer":
            return 0
        if kind == "number":
            return 0.0
        if kind == "boolean":
            return False
        if kind == "string":
            fmt = schema.format
            if fmt == "date-time":
                return now
            if fmt in ("int64", "uint64"):
                return "0"
            return ""
        return {}

    def required_fields(self, schema: Schema) -> list[str]:
        """Fields the spec marks required: a ``required`` list, or "(required)" in the description
        (CML's served spec says it in prose; the simulator adds the few the vendor docs imply)."""
        needed = sorted(schema.required)
        for key, prop in schema.properties.items():
            if "(required)" in prop.description:
                needed.append(key)
        return needed or EXTRA_REQUIRED.get(schema.name or "", [])

    def check_query(self, route: Route, query: dict[str, list[str]]) -> dict[str, str]:
        """Query values by snake_case name; lowerCamel spellings are accepted as the gateway does."""
        known = {p["name"]: p for p in route.params("query")}
        camel = {_lower_camel(n): n for n in known}
        values: dict[str, str] = {}
        for key, items in query.items():
            name = key if key in known else camel.get(key)
            if name is None:
                continue  # the gateway ignores unknown query parameters
            param = known[name]
            value = items[-1]
            kind = param.get("type")
            if kind == "integer" and not re.fullmatch(r"[+-]?\d+", value):
                raise BadRequest(f'type mismatch, parameter: {name}, error: strconv.ParseInt: parsing "{value}": invalid syntax')
            if kind == "boolean" and value.lower() not in ("true", "false", "1", "0"):
                raise BadRequest(f'type mismatch, parameter: {name}, error: strconv.ParseBool: parsing "{value}": invalid syntax')
            enum = param.get("enum") or (param.get("items") or {}).get("enum")
            if enum and value not in enum:
                raise BadRequest(f"invalid value for enum field {name}: {value!r}")
            values[name] = value
        return values

    def check_body(self, route: Route, body: bytes, content_type: str) -> JSON:
        view = self.body_view(route)
        if view is None:
            return None
        if not body.strip():
            return {}
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        self._check_value(view, data)
        missing = [f for f in self.required_fields(view) if isinstance(data, dict) and data.get(f) in (None, "")]
        if missing:
            raise BadRequest(f"missing required field: {missing[0]}")
        return data

    def _check_value(self, view: Schema, value: JSON) -> None:
        """The body against its schema with the shared validator, refused as the gateway words it."""
        for finding in check(view, value, where="", rules=GATEWAY_RULES, limit=5):
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
_KINDS = {"dict": "object", "list": "array", "str": "string", "bool": "boolean", "int": "number", "float": "number"}


# Required fields the served spec leaves to prose; used where it marks none.
EXTRA_REQUIRED: dict[str, list[str]] = {
    "CreateProjectRequest": ["name"],
    "CreateModelRequest": ["name"],
    "CreateModelBuildRequest": ["file_path", "function_name"],
    "CreateApplicationRequest": ["name", "subdomain"],
    "CreateExperimentRequest": ["name"],
}


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
