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
from .validator import PARAM_RULES, REQUEST_RULES, Finding, check

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
    timeout: tuple[float, float] | None = None  # (connect, read) for this request only (cmlapi's _request_timeout)
    background: bool = False  # asked for behind the user's back (completion's live values): one attempt, no notice

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
            if key in op.body_fields:
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
            choices += list(body.schema.properties)
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
    An array (or, in OpenAPI 3, an object) is serialised as the spec says: Swagger 2's
    ``collectionFormat`` (csv by default: ``1,2``), OpenAPI 3's ``style`` (simple: ``1,2``; label:
    ``.1,2``; matrix: ``;id=1,2``) and ``explode``; each item escaped on its own, the separators not.
    """
    if isinstance(value, Mapping):
        pairs = [(quote(str(k), safe=""), _segment(param, v)) for k, v in value.items()]
        items = [f"{k}={v}" for k, v in pairs] if param.explode else [x for pair in pairs for x in pair]
    elif isinstance(value, (list, tuple)):
        items = [_segment(param, v) for v in value]
    else:
        items = [_segment(param, value)]
    if not items:
        raise ParamError(f"invalid value for path parameter {param.name}: an empty list is not allowed")
    name = quote(param.wire, safe="")
    if param.style == "label":
        return "." + ("." if param.explode else ",").join(items)
    if param.style == "matrix":
        if param.explode and not isinstance(value, Mapping):
            return "".join(f";{name}={item}" for item in items)
        return f";{name}=" + ",".join(items)
    return quote(_SEPARATORS.get(param.collection_format, ","), safe=",").join(items)


def _segment(param: Param, value: Any) -> str:
    text = scalar_text(value)
    if text in ("", ".", ".."):
        raise ParamError(f"invalid value for path parameter {param.name}: {text!r} is not allowed",
                         hint="to name the root of a file tree, pass '/'" if text != ".." else None)
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


def check_value(op: OperationModel, param: Param, value: Any) -> None:
    """Type, enum and range check of a path, query, header, cookie or form value (a scalar given for
    an array parameter counts as a list of one)."""
    if param.schema.type == "array" and not isinstance(value, (list, tuple)):
        value = [value]
    try:
        _raise_findings(op, param, check(param.schema, value, where=param.name, rules=PARAM_RULES))
    except ParamError as error:
        if param.schema.type == "string" and isinstance(value, (dict, list)):
            # CML's search_filter and its kin are JSON text in a query string.
            error.hint = f"this parameter takes JSON as text: {param.name}=json.dumps({value!r})"
        raise


def check_body(op: OperationModel, param: Param, body: JSON) -> JSON:
    """Check a JSON body against its schema at every depth: required fields, types, enums, ranges,
    unknown fields (with a did-you-mean, unless the schema takes any). Every finding is named."""
    _raise_findings(op, param, check(param.schema, body, where="body", rules=REQUEST_RULES))
    return body


def _raise_findings(op: OperationModel, param: Param, findings: list[Finding]) -> None:
    errors = [f for f in findings if f.severity == "error"]
    if not errors:
        return
    messages = [_message(op, param, f) for f in errors]
    text = messages[0] if len(messages) == 1 else f"{messages[0]} (and {len(messages) - 1} more: {'; '.join(messages[1:])})"
    error = ParamError(text)
    error.findings = errors  # type: ignore[attr-defined]
    raise error


def _message(op: OperationModel, param: Param, finding: Finding) -> str:
    """One finding in the words of an argument error."""
    if param.location != "body":
        if finding.kind == "enum":
            return f"invalid value for {param.name}: {finding.given} is not one of {finding.expected}"
        if finding.kind == "range":
            return f"value out of range for {param.name}: {finding.given} (expected {finding.expected})"
        if finding.kind == "pattern":
            return f"invalid value for {param.name}: {finding.given} is not {finding.expected}"
        expected = param.type_label if finding.path == param.name else finding.expected
        return f"wrong type for {param.name} ({param.location}): expected {expected}, got {finding.given}"
    field = finding.path[len("body."):] if finding.path.startswith("body.") else ""
    if finding.kind == "missing":
        return f"missing required field {finding.path} in the body of {op.name} ({_name_of(param)})"
    if finding.kind == "unknown":
        return f"unknown field {field!r} in the body of {op.name} ({_name_of(param)}){finding.hint}"
    if not field and finding.kind == "type":
        return f"body of {op.name} must be {finding.expected} ({_name_of(param)}), got {finding.given}"
    where = f"body field {field!r}" if field else "the body"
    if finding.kind == "enum":
        return f"invalid value for {where} of {op.name}: {finding.given} is not one of {finding.expected}"
    if finding.kind == "range":
        return f"value out of range for {where} of {op.name}: {finding.given} (expected {finding.expected})"
    if finding.kind == "pattern":
        return f"invalid value for {where} of {op.name}: {finding.given} is not {finding.expected}"
    return f"wrong type for {where} of {op.name}: expected {finding.expected}, got {finding.given}"


def _name_of(param: Param) -> str:
    return param.schema.name or "object"


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
            part = Param(name=str(name), wire=str(name), location="form", required=False, schema=param.schema, is_file=True)
            parts.extend(_file_parts(part, content))
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
