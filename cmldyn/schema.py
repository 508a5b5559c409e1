"""Small readers of raw schema dicts: a schema's type label, its name, its properties.

Owns: what docs, completion, request checks and results need to know about a schema
without walking it: a short type name (``integer(int32)``, ``array[Project]``), the
schema's own name (tagged by spec.py), and an object schema's properties (following
allOf and a ref that closes a cycle). May import: spec. Must not: expand anything.
"""

from __future__ import annotations

from .jsonvalue import JSON
from .spec import NAME_KEY, Spec

__all__ = ["schema_name", "schema_properties", "type_label"]



def type_label(schema: JSON, depth: int = 0) -> str:
    """A short type name for docs and completion meta: ``integer(int32)``, ``array[Project]``."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1] + " (recursive)"
    if NAME_KEY in schema and depth > 0:
        return str(schema[NAME_KEY])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "|".join(str(k) for k in kind if k != "null")
    if kind == "array":
        return f"array[{type_label(schema.get('items', {}), depth + 1) if depth < 4 else '...'}]"
    if kind is None:
        if NAME_KEY in schema:
            return str(schema[NAME_KEY])
        if "properties" in schema:
            return "object"
        for combo in ("allOf", "oneOf", "anyOf"):
            if isinstance(schema.get(combo), list):
                return f" {combo} ".join(type_label(s, depth + 1) for s in schema[combo][:3])
        return "any"
    if kind == "object" and NAME_KEY in schema:
        return str(schema[NAME_KEY])
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt and fmt != kind else str(kind)


def schema_name(schema: JSON) -> str | None:
    if isinstance(schema, dict):
        if NAME_KEY in schema:
            return str(schema[NAME_KEY])
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def schema_properties(schema: JSON, spec: Spec | None = None) -> dict[str, JSON]:
    """The properties of an object schema, following allOf and a cycle-closing $ref."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema and spec is not None:
        try:
            schema = spec.lookup(str(schema["$ref"]))
        except KeyError:
            return {}
    props: dict[str, JSON] = {}
    for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        props.update(schema_properties(part, spec))
    if isinstance(schema.get("properties"), dict):
        props.update(schema["properties"])
    return props
