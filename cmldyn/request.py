"""OperationModel + call arguments -> PreparedRequest; every argument check happens here.

Owns: binding positional and keyword arguments (cmlapi's calling convention),
type and enum checks, path encoding, query serialisation, bodies (JSON, multipart,
raw bytes). May import: errors, model. Must not: touch the network. Everything it
raises is a ParamError raised before any I/O.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .errors import ParamError, did_you_mean
from .jsonvalue import JSON, to_plain
from .model import OperationModel, Param, spec_guard
from .schema import schema_name, schema_properties, type_label

__all__ = [
    "PreparedRequest",
    "bind",
    "check_body",
    "check_value",
    "encode_path_value",
    "prepare",
    "scalar_text",
    "serialize_query",
]

_SEPARATORS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}


@dataclass
class PreparedRequest:
    """What goes on the wire, relative to the client's base URL."""

    method: str
    path: str  # already encoded, starts with "/"
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json_body: JSON = None
    has_json_body: bool = False
    data: bytes | None = None
    files: list[tuple[str, tuple[str, Any, str]]] | None = None
    form: dict[str, str] | None = None
    operation: str | None = None
    binary_response: bool = False

    def body_preview(self) -> JSON:
        if self.has_json_body:
            return self.json_body
        if self.files is not None:
            return {"multipart": [name for name, _ in self.files], "fields": dict(self.form or {})}
        if self.data is not None:
            return f"<{len(self.data)} bytes>"
        return None


def bind(op: OperationModel, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[Param, Any]:
    """Match positional and keyword arguments to parameters, cmlapi style.

    Positional: the body (where there is one), then the path parameters in path
    order, then other required ones. Keywords: Python name, wire name or lowerCamel.
    Keywords that are fields of the body schema build the body when none is given.
    """
    bound: dict[Param, Any] = {}
    positional = op.positional
    body = op.body_param
    if body is not None and args and any(op.param_index.get(k) is body for k in kwargs):
        # body= given by name: the positional values are the path parameters that follow it.
        positional = positional[1:]
    if len(args) > len(positional):
        names = ", ".join(p.name for p in positional) or "none"
        raise ParamError(f"{op.name}() takes {len(positional)} positional argument(s) ({names}) but {len(args)} were given")
    for param, value in zip(positional, args, strict=False):
        bound[param] = value
    body_fields: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in kwargs.items():
        param = op.param_index.get(key)
        if param is None:
            if body is not None and _is_body_field(op, key):
                body_fields[key] = value
                continue
            unknown.append(key)
            continue
        if param in bound:
            raise ParamError(f"{op.name}() got multiple values for {param.name!r}")
        bound[param] = value
    if unknown:
        key = unknown[0]
        choices = list(op.param_index)
        if body is not None:
            choices += list(schema_properties(body.schema, op.spec))
        raise ParamError(f"unknown parameter {key!r} for {op.name}{did_you_mean(key, choices)}")
    if body_fields:
        if body is not None and bound.get(body) is not None:
            raise ParamError(
                f"{op.name}(): give the body either as 'body' or as field keywords ({', '.join(body_fields)}), not both"
            )
        assert body is not None
        bound[body] = body_fields
    # A dotted path name (PATCH /projects/{project.id}) is filled from the body's field.
    for param in op.path_params:
        if bound.get(param) is None and param.body_key and body is not None and bound.get(body) is not None:
            value = _dig(to_plain(bound[body], drop_none=True), param.body_key)
            if value not in (None, ""):
                bound[param] = value
    for param in op.params:
        if param.required and bound.get(param) is None:
            if param.location == "body":
                bound[param] = {}  # grpc-gateway bodies with no required field: {} is valid
                continue
            raise ParamError(f"missing required parameter {param.name} ({param.location}) for {op.name}")
    return {p: v for p, v in bound.items() if v is not None}


def _is_body_field(op: OperationModel, key: str) -> bool:
    body = op.body_param
    return body is not None and not body.raw_body and key in schema_properties(body.schema, op.spec)


def _dig(value: JSON, dotted: str) -> JSON:
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@spec_guard
def prepare(op: OperationModel, args: tuple[Any, ...], kwargs: dict[str, Any]) -> PreparedRequest:
    """Check the arguments and build the request. Raises ParamError (or SpecError for a spec
    whose description of the operation is malformed), never does I/O."""
    bound = bind(op, args, kwargs)
    path = op.path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    request = PreparedRequest(method=op.method.upper(), path=path, operation=op.name, binary_response=op.binary_response)
    form: dict[str, str] = {}
    files: list[tuple[str, tuple[str, Any, str]]] = []
    for param, value in bound.items():
        if param.location == "body":
            if param.raw_body:
                request.data = _as_bytes(param, value)
            else:
                request.json_body = check_body(op, param, to_plain(value, drop_none=True))
                request.has_json_body = True
            continue
        if param.location == "form" and param.is_file:
            files.extend(_file_parts(param, value))
            continue
        check_value(op, param, value)
        if param.location == "path":
            path = path.replace("{" + param.wire + "}", encode_path_value(param, value))
        elif param.location == "query":
            query.extend(serialize_query(param, value))
        elif param.location == "header":
            text = scalar_text(value)
            if any(ch in text for ch in "\r\n\0"):
                raise ParamError(f"invalid value for header parameter {param.name}: control characters are not allowed")
            headers[param.wire] = text
        elif param.location == "cookie":
            headers["Cookie"] = (headers.get("Cookie", "") + f"; {param.wire}={quote(scalar_text(value), safe='')}").lstrip("; ")
        elif param.location == "form":
            form[param.wire] = scalar_text(value) if not isinstance(value, (dict, list)) else json.dumps(value)
    request.path = path
    request.query = query
    request.headers = headers
    if files or (op.is_multipart and form):
        request.files = files
        request.form = form
    elif form:
        request.form = form
    return request


def encode_path_value(param: Param, value: Any) -> str:
    """One path segment: every reserved character escaped; ``""``, ``.`` and ``..`` refused.

    requests removes dot segments, so ``..`` as an id would reach another endpoint
    (see "Safety rules" in ARCHITECTURE.md); ``/``, ``?`` and ``#`` would change the URL's shape.
    """
    text = scalar_text(value)
    if text in ("", ".", ".."):
        raise ParamError(f"invalid value for path parameter {param.name}: {text!r} is not allowed")
    return quote(text, safe="")


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def serialize_query(param: Param, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, (list, tuple)):
        items = [scalar_text(v) for v in value]
        if param.explode or param.collection_format == "multi":
            return [(param.wire, item) for item in items]
        return [(param.wire, _SEPARATORS.get(param.collection_format, ",").join(items))]
    return [(param.wire, scalar_text(value))]


_INT_TYPES = ("integer",)


def check_value(op: OperationModel, param: Param, value: Any) -> None:
    """Type and enum check for a non-body parameter."""
    schema = param.schema
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(value, (list, tuple)):
            value = [value]
        found = schema.get("items")
        item: dict[str, Any] = found if isinstance(found, dict) else {}
        for entry in value:
            _check_scalar(op, param, entry, item)
        return
    _check_scalar(op, param, value, schema)


def _check_scalar(op: OperationModel, param: Param, value: Any, schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    fmt = schema.get("format")
    bad = False
    if kind == "integer":
        bad = isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _is_int(value)))
    elif kind == "number":
        bad = isinstance(value, bool) or not isinstance(value, (int, float))
        if bad and isinstance(value, str):
            try:
                float(value)
                bad = False
            except ValueError:
                bad = True
    elif kind == "boolean":
        bad = not (isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")))
    elif kind == "string":
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            bad = False
        else:
            bad = isinstance(value, (dict, list, tuple, bytes))
    if bad:
        raise ParamError(
            f"wrong type for {param.name} ({param.location}): expected {param.type_label}, "
            f"got {type(value).__name__} {_short(value)}"
        )
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum and scalar_text(value) not in [scalar_text(e) for e in enum]:
        raise ParamError(f"invalid value for {param.name}: {_short(value)} is not one of {', '.join(map(str, enum))}")


def _is_int(text: str) -> bool:
    stripped = text.strip()
    return stripped.lstrip("+-").isdigit() and len(stripped) < 40


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_body(op: OperationModel, param: Param, body: JSON) -> JSON:
    """Shallow check of a JSON body against its schema: an unknown field is named, types of known ones checked."""
    props = schema_properties(param.schema, op.spec)
    schema = param.schema if isinstance(param.schema, dict) else {}
    if not props or not isinstance(body, dict):
        if schema.get("type") == "object" or props:
            if not isinstance(body, dict):
                raise ParamError(f"body of {op.name} must be an object ({_name_of(param)}), got {type(body).__name__}")
        return body
    open_schema = schema.get("additionalProperties") not in (None, False)
    for key, value in body.items():
        prop = props.get(key)
        if prop is None:
            if open_schema:
                continue
            raise ParamError(f"unknown field {key!r} in the body of {op.name} ({_name_of(param)}){did_you_mean(key, props)}")
        if value is None or not isinstance(prop, dict):
            continue
        if not _json_type_ok(prop, value):
            raise ParamError(
                f"wrong type for body field {key!r} of {op.name}: expected {_label(prop)}, "
                f"got {type(value).__name__} {_short(value)}"
            )
        enum = prop.get("enum")
        if isinstance(enum, list) and enum and value not in enum:
            raise ParamError(
                f"invalid value for body field {key!r} of {op.name}: {_short(value)} is not one of {', '.join(map(str, enum))}"
            )
    return body


def _label(prop: dict[str, Any]) -> str:
    return type_label(prop, 1)


def _name_of(param: Param) -> str:
    return schema_name(param.schema) or "object"


def _json_type_ok(prop: dict[str, Any], value: Any) -> bool:
    kind = prop.get("type")
    if kind == "string":
        if prop.get("format") in ("int64", "uint64"):
            return isinstance(value, (str, int)) and not isinstance(value, bool)
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        # CML returns `environment` as a JSON string but takes a map: accept both.
        return isinstance(value, (dict, str))
    return True


def _as_bytes(param: Param, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise ParamError(f"{param.name} must be bytes, text or a file object, got {type(value).__name__}")


def _file_parts(param: Param, value: Any) -> list[tuple[str, tuple[str, Any, str]]]:
    """A file parameter: bytes, text, a file object, a path, ``(filename, content)``, or
    ``{field_name: content}`` where the server reads the form field name (CML's
    UploadFile stores each part under its field name, the destination path)."""
    if isinstance(value, Mapping):
        parts = []
        for name, content in value.items():
            parts.extend(
                _file_parts(
                    Param(name=str(name), wire=str(name), location="form", required=False, schema={}, is_file=True), content
                )
            )
        return parts
    octet = "application/octet-stream"
    if isinstance(value, tuple) and len(value) == 2:
        filename, content = value
        return [(param.wire, (str(filename), _as_bytes(param, content), octet))]
    if isinstance(value, os.PathLike) or (isinstance(value, str) and os.path.isfile(value)):
        path = os.fspath(value)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise ParamError(f"cannot read file for {param.name}: {path}: {exc.strerror}") from exc
        return [(param.wire, (os.path.basename(path), data, octet))]
    name = getattr(value, "name", None)
    filename = os.path.basename(name) if isinstance(name, str) else param.wire
    return [(param.wire, (filename, _as_bytes(param, value), octet))]
