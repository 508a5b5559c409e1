"""Plain-text documentation of an operation: what ``help()``, ``describe`` and ``.help`` show.

Owns: the summary, method and path, the call's signature, the parameters with their
required marks and enums, the body's and the answer's fields, nested to a depth and cut
at a budget with "…". May import: jsonvalue, schema, model (the one way: model knows nothing of
its documentation).
"""

from __future__ import annotations

from functools import lru_cache

from .model import OperationModel, spec_guard
from .schema import Schema, type_label

__all__ = ["facts", "field_lines", "render_doc"]


_DOC_FIELD_LIMIT = 60


@lru_cache(maxsize=8192)  # shared schemas repeat the same descriptions across hundreds of operations
def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text)[: limit * 2 + 16].split())  # cut first: a description can run to pages
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_lines(schema: Schema | None, *, indent: str = "  ", depth: int = 2, budget: list[int] | None = None,
                path: tuple[Schema, ...] = (), shown: set[str] | None = None, detail: bool = False) -> list[str]:
    """``name: type  description`` lines for an object schema's fields, nested ``depth`` levels.

    The spec is a graph: a field whose schema is one of its own ancestors is marked
    ``(recursive: Name)`` and not entered; a named schema already laid out above is not laid out
    again; and at most ``budget`` lines are written, then "…". ``detail`` (``explain``): each field's
    description on a line of its own, with nullable, default, example, deprecated and write-only.
    """
    budget = budget if budget is not None else [_DOC_FIELD_LIMIT]
    shown = shown if shown is not None else set()
    target = schema.items if schema is not None and schema.type == "array" else schema
    if target is None:
        return []
    path = (*path, target)
    if target.name:
        shown.add(target.name)
    lines: list[str] = []
    required = target.required
    for name, prop in target.properties.items():
        if budget[0] <= 0:
            lines.append(f"{indent}…")
            break
        budget[0] -= 1
        marks = " (required)" if name in required else ""
        if prop.read_only:
            marks += " (read-only)"
        enum = prop.enum
        extra = f" one of {', '.join(map(str, enum[:12]))}" if enum else ""
        inner = prop.items if prop.type == "array" else prop
        # A field is recursive where its schema (or one it includes through allOf) is one of its ancestors.
        closing = next((above for part in (inner.merged_parts() if inner is not None else []) for above in path
                        if part is above), None)
        cycle = closing is not None
        if closing is not None:
            marks += f" (recursive: {closing.name or 'itself'})"
        if detail:
            lines.append(f"{indent}{name}: {type_label(prop, 1)}{marks}{extra}")
            lines.extend(f"{indent}    {line}" for line in facts(prop))
        else:
            desc = _one_line(prop.description)
            lines.append(f"{indent}{name}: {type_label(prop, 1)}{marks}{extra}{'  ' + desc if desc else ''}")
        if cycle or depth <= 1 or inner is None or not inner.properties:
            continue
        if inner.name and inner.name in shown:
            continue  # laid out above already: its name in the type says which
        lines.extend(field_lines(prop, indent=indent + "  ", depth=depth - 1, budget=budget, path=path, shown=shown,
                                 detail=detail))
    return lines


def facts(schema: Schema) -> list[str]:
    """What ``explain`` says of a field beside its type: its description, then nullable, default, example,
    deprecated, write-only (each only where the spec says so)."""
    import json

    out = []
    desc = _one_line(schema.description, 400)
    if desc:
        out.append(desc)
    notes = []
    extra = schema.additional_properties
    if not schema.properties and isinstance(extra, Schema):
        notes.append(f"a map: any names, each value {type_label(extra, 1)}")
    if schema.nullable:
        notes.append("nullable")
    if schema.default is not None:
        notes.append("default: " + _one_line(json.dumps(schema.default, ensure_ascii=False, default=str), 80))
    if schema.example is not None:
        notes.append("example: " + _one_line(json.dumps(schema.example, ensure_ascii=False, default=str), 80))
    if schema.get("deprecated") is True:
        notes.append("deprecated")
    if schema.write_only:
        notes.append("write-only")
    if notes:
        out.append(" · ".join(notes))
    return out


@spec_guard
def render_doc(op: OperationModel, *, width: int = 100, depth: int = 2) -> str:
    """Plain-text documentation: summary, method and path, parameters, body and response fields."""
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
    shown: set[str] = set()  # named schemas laid out once per page, body and answer together
    if body is not None:
        lines = field_lines(body.schema, depth=depth, shown=shown, budget=[max(_DOC_FIELD_LIMIT, 30 * depth)])
        if lines:
            out += ["", f"Body fields ({type_label(body.schema)}):", *lines]
    code, schema, media = op.success
    if op.binary_response:
        out += ["", f"Returns: bytes ({', '.join(media) or 'binary'})"]
    elif schema is not None and body is not None and schema is body.schema and schema.name:
        out += ["", f"Returns: {type_label(schema)} (HTTP {code}), with the fields of the body above"]
    elif schema is not None:
        out += ["", f"Returns: {type_label(schema)} (HTTP {code})"]
        out += field_lines(schema, depth=depth, shown=shown, budget=[max(_DOC_FIELD_LIMIT, 30 * depth)])
    else:
        out += ["", f"Returns: nothing (HTTP {code})"]
    return "\n".join(out)
