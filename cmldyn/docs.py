"""Plain-text documentation of an operation: what ``help()``, ``describe`` and ``.help`` show.

Owns: the summary, method and path, the call's signature, the parameters with their
required marks and enums, the body's and the answer's fields, nested to a depth and cut
at a budget with "…". May import: schema, spec. Reads an OperationModel it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .jsonvalue import JSON
from .schema import schema_properties, type_label
from .spec import Spec

if TYPE_CHECKING:
    from .model import OperationModel

__all__ = ["field_lines", "render_doc"]


_DOC_FIELD_LIMIT = 60


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_lines(schema: JSON, spec: Spec, *, indent: str = "  ", depth: int = 1, budget: list[int] | None = None) -> list[str]:
    """``name: type  description`` lines for an object schema's fields, nested ``depth`` levels."""
    budget = budget if budget is not None else [_DOC_FIELD_LIMIT]
    lines: list[str] = []
    target = schema.get("items") if isinstance(schema, dict) and schema.get("type") == "array" else schema
    props = schema_properties(target, spec)
    required = set(target.get("required") or []) if isinstance(target, dict) else set()
    for name, prop in props.items():
        if budget[0] <= 0:
            lines.append(f"{indent}…")
            break
        budget[0] -= 1
        marks = " (required)" if name in required else ""
        if isinstance(prop, dict) and prop.get("readOnly"):
            marks += " (read-only)"
        enum = prop.get("enum") if isinstance(prop, dict) else None
        desc = _one_line(prop.get("description", "")) if isinstance(prop, dict) else ""
        extra = f" one of {', '.join(map(str, enum[:12]))}" if isinstance(enum, list) else ""
        lines.append(f"{indent}{name}: {type_label(prop, 1)}{marks}{extra}{'  ' + desc if desc else ''}")
        if depth > 1 and isinstance(prop, dict) and "$ref" not in prop:
            inner = prop.get("items") if prop.get("type") == "array" else prop
            if schema_properties(inner, None):
                lines.extend(field_lines(prop, spec, indent=indent + "  ", depth=depth - 1, budget=budget))
    return lines


def render_doc(op: OperationModel, *, width: int = 100) -> str:
    out = [op.summary or op.name, "", f"{op.method.upper()} {op.path}", f"operationId: {op.operation_id}"]
    if op.deprecated:
        out.append("(deprecated)")
    if op.description and op.description != op.summary:
        out += ["", _one_line(op.description, 1000)]
    out += ["", f"Call: {op.signature_text()}"]
    if op.params:
        out += ["", "Parameters:"]
        for p in op.params:
            marks = "required" if p.required else "optional"
            enum = f"; one of {', '.join(map(str, p.enum[:20]))}" if p.enum else ""
            where = p.location if p.wire == p.name or p.location == "body" else f"{p.location} '{p.wire}'"
            out.append(
                f"  {p.name}: {p.type_label if p.location != 'body' else type_label(p.schema) or 'object'}"
                f" ({marks}, {where}){enum}"
            )
            if p.description:
                out.append(f"      {_one_line(p.description, width * 3)}")
    body = op.body_param
    if body is not None:
        lines = field_lines(body.schema, op.spec, depth=2)
        if lines:
            out += ["", f"Body fields ({type_label(body.schema)}):", *lines]
    code, schema, media = op.success
    if op.binary_response:
        out += ["", f"Returns: bytes ({', '.join(media) or 'binary'})"]
    elif schema is not None:
        out += ["", f"Returns: {type_label(schema)} (HTTP {code})"]
        out += field_lines(schema, op.spec, depth=2)
    else:
        out += ["", f"Returns: nothing (HTTP {code})"]
    return "\n".join(out)
