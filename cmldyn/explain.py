"""``explain``: any schema by name, or an operation's body, parameters or answer, and a field path into it.

    explain(model, "Project")                              a named schema and its fields
    explain(model, "create_job.body")                      an operation's body (also .parameters, .answer)
    explain(model, "list_projects.answer.projects")        a field path; arrays are stepped through
    explain(model, "Project.owner.username", depth=2)      --depth N levels of fields (default 1)
    explain(model, "Node", recursive=True)                 every level, bounded: a cycle is marked, not entered

Each field with its type, required, enum, and (on lines of its own) its description, nullable, default,
example, deprecated, read-only / write-only; the renderer is docs.field_lines, which ``describe --depth``
uses too. An unknown name or field is a ParamError with a did-you-mean. May import: docs, errors, model,
schema.
"""

from __future__ import annotations

from .docs import facts, field_lines
from .errors import ParamError, did_you_mean
from .model import OperationModel, ServiceModel
from .schema import Schema, type_label

__all__ = ["MAX_LINES", "explain"]

#: The most field lines one explanation writes (then "…"): a recursive walk of a Kubernetes-size spec stays short.
MAX_LINES = 400
RECURSIVE_DEPTH = 12
_PARTS = {"body": "body", "request": "body", "answer": "answer", "response": "answer", "returns": "answer",
          "parameters": "parameters", "params": "parameters"}


def explain(model: ServiceModel, target: str, *, depth: int = 1, recursive: bool = False,
            max_lines: int = MAX_LINES) -> str:
    """The explanation of ``target`` (see the module's doc) as plain text.

    Raises:
        ParamError: no schema or operation of that name, no such part or field (with a did-you-mean).
    """
    if depth < 1:
        raise ParamError(f"--depth takes a whole number from 1; not {depth}")
    parts = [p for p in target.strip().replace("[]", "").split(".") if p] or [""]
    # Schema names may hold dots (io.k8s.api.core.v1.Pod): the longest known name wins, the rest is a field path.
    cut = next((k for k in range(len(parts), 0, -1) if model.find(".".join(parts[:k])) is not None
                or model.spec.schema(".".join(parts[:k])) is not None), 1)
    head, rest = ".".join(parts[:cut]), parts[cut:]
    schema: Schema | None
    op = model.find(head)
    title: list[str]
    if op is not None:
        if not rest:
            return _operation(op)
        part = _PARTS.get(rest[0].lower())
        if part is None:
            raise ParamError(f"{op.name} has no part {rest[0]!r}; explain {op.name}.body, .parameters or .answer"
                             f"{did_you_mean(rest[0], list(_PARTS))}")
        if part == "parameters":
            return _parameters(op, rest[1:])
        schema = op.body_param.schema if part == "body" and op.body_param is not None else (
            op.success[1] if part == "answer" else None)
        if schema is None:
            raise ParamError(f"{op.name} has no {'body' if part == 'body' else 'answer body'} to explain")
        title, rest = [op.name, part], rest[1:]
    else:
        schema = model.spec.schema(head) if head else None
        if schema is None:
            choices = model.schema_names() + list(model.operations)
            raise ParamError(f"no schema or operation {head!r}{did_you_mean(head, choices)}",
                             hint="cmldyn explain takes a schema's name (cmldyn ops lists the operations)")
        title = [head]
    for step in rest:
        schema, title = _step(schema, step, title)
    return _render(schema, title, depth=RECURSIVE_DEPTH if recursive else depth, max_lines=max_lines,
                   recursive=recursive)


def _step(schema: Schema, name: str, title: list[str]) -> tuple[Schema, list[str]]:
    """One field further: arrays (and maps) are stepped through to their items."""
    inner = _container(schema)
    fields = inner.properties
    if name not in fields:
        where = ".".join(title)
        known = ", ".join(list(fields)[:12]) or "none"
        raise ParamError(f"{where} has no field {name!r}{did_you_mean(name, list(fields))}", hint=f"its fields: {known}")
    return fields[name], [*title, name]


def _container(schema: Schema) -> Schema:
    seen = 0
    while seen < 8:  # array of array of ... map of: what a field path steps into
        seen += 1
        if schema.type == "array" and schema.items is not None:
            schema = schema.items
            continue
        extra = schema.additional_properties
        if not schema.properties and isinstance(extra, Schema):
            schema = extra
            continue
        break
    return schema


def _render(schema: Schema, title: list[str], *, depth: int, max_lines: int, recursive: bool) -> str:
    if schema.name and schema.name == title[-1]:
        label = "schema" + (f", {schema.type}" if schema.type and schema.type != "object" else "")
    else:
        label = type_label(schema) + (f"  (schema {schema.name})" if schema.name else "")
    out = [f"{'.'.join(title)}: {label}"]
    out += [f"  {line}" for line in facts(schema)]
    if schema.enum:
        out.append(f"  one of: {', '.join(map(str, schema.enum[:40]))}")
    inner = _container(schema)
    alternatives = inner.one_of or inner.any_of
    if alternatives and not inner.properties:
        kind = "one of" if inner.one_of else "any of"
        out.append(f"  {kind}: {', '.join(type_label(a, 1) for a in alternatives[:12])}")
        for alt in alternatives[:12]:
            lines = field_lines(alt, indent="    ", depth=depth, budget=[max_lines], detail=True)
            if lines:
                out += [f"  ({kind}) {type_label(alt, 1)}:", *lines]
        return "\n".join(out)
    if inner is not schema and inner.name:
        out.append(f"  items: {inner.name}")
    budget = [max_lines]
    lines = field_lines(inner, depth=depth, budget=budget, detail=True)
    if lines:
        out += ["", "FIELDS:", *lines]
    if budget[0] <= 0:
        out.append(f"(stopped after {max_lines} fields: explain a field path to see further)")
    return "\n".join(out)


def _operation(op: OperationModel) -> str:
    out = [f"{op.name}: {op.method.upper()} {op.path}" + ("  (deprecated)" if op.deprecated else "")]
    if op.summary:
        out.append(f"  {op.summary}")
    if op.params:
        out.append(f"  parameters: {', '.join(p.name for p in op.params if p.location != 'body')}".rstrip(": "))
    if op.body_param is not None:
        out.append(f"  body: {type_label(op.body_param.schema) or 'object'}   (explain {op.name}.body)")
    code, answer, _ = op.success
    out.append(f"  answer: {type_label(answer) if answer is not None else 'nothing'} (HTTP {code})"
               + (f"   (explain {op.name}.answer)" if answer is not None else ""))
    return "\n".join(out)


def _first(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:399] + "…"


def _parameters(op: OperationModel, rest: list[str]) -> str:
    params = [p for p in op.params if p.location != "body"]
    if rest:
        found = next((p for p in params if rest[0] in (p.name, p.wire)), None)
        if found is None:
            raise ParamError(f"{op.name} has no parameter {rest[0]!r}{did_you_mean(rest[0], [p.name for p in params])}")
        params = [found]
    if not params:
        return f"{op.name} takes no parameters"
    out = [f"{op.name} parameters:"]
    for p in params:
        marks = "required" if p.required else "optional"
        enum = f"; one of {', '.join(map(str, p.enum[:20]))}" if p.enum else ""
        out.append(f"  {p.name}: {p.type_label} ({marks}, {p.location}{'' if p.wire == p.name else ' ' + repr(p.wire)}){enum}")
        lines = facts(p.schema) if p.schema is not None else []
        if p.description and (not lines or lines[0] != _first(p.description)):
            lines.insert(0, _first(p.description))
        out += [f"      {line}" for line in lines]
    return "\n".join(out)
