"""Drift you can seed: answers that differ from the spec on purpose, for testing the tools that look for it.

Owns: :data:`KINDS` and :func:`apply`, which changes one answer in one documented way. Without a
drift rule (``sim.faults.add(drift=...)`` or ``cmldyn sim --drift KIND``) the simulator conforms.

- ``extra-field``: a field the schema does not name (``cmldyn_sim_extra``);
- ``missing-field``: a required field left out (only where the schema requires one; CML's declares none);
- ``wrong-type``: a string field given a number (or a number field a string);
- ``bad-enum``: a field with an enum given a value outside it;
- ``undocumented-status``: 203 instead of the documented success status.

A list answer is changed in its first item. Each change made is recorded as (kind, JSON path), so a
test can check that what was seeded is exactly what was found.
"""

from __future__ import annotations

from typing import Any

from ..schema import Schema

__all__ = ["KINDS", "apply"]

JSON = Any
KINDS = ("extra-field", "missing-field", "wrong-type", "bad-enum", "undocumented-status")


def apply(kind: str, status: int, body: JSON, schema: Schema | None) -> tuple[int, JSON, str | None]:
    """(status, body, JSON path of the change or None where this answer offers no place for it)."""
    if kind == "undocumented-status":
        return (203, body, "$") if 200 <= status < 300 else (status, body, None)
    target, view, path = _target(body, schema)
    if not isinstance(target, dict) or view is None:
        if kind == "extra-field" and isinstance(target, dict):
            target["cmldyn_sim_extra"] = "not in the spec"
            return status, body, f"{path}.cmldyn_sim_extra"
        return status, body, None
    props = view.properties
    if kind == "extra-field":
        target["cmldyn_sim_extra"] = "not in the spec"
        return status, body, f"{path}.cmldyn_sim_extra"
    if kind == "missing-field":
        for name in sorted(view.required):
            if name in target:
                del target[name]
                return status, body, f"{path}.{name}"
        return status, body, None
    if kind == "wrong-type":
        for name, value in target.items():
            prop = props.get(name)
            if prop is None or prop.enum or prop.format in ("int64", "uint64"):
                continue
            if prop.type == "string" and isinstance(value, str):
                target[name] = 12345
                return status, body, f"{path}.{name}"
            if prop.type in ("integer", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
                target[name] = "not a number"
                return status, body, f"{path}.{name}"
        return status, body, None
    if kind == "bad-enum":
        for name in target:
            prop = props.get(name)
            if prop is not None and prop.enum:
                target[name] = "NOT_IN_THE_SPEC"
                return status, body, f"{path}.{name}"
        return status, body, None
    raise ValueError(f"unknown drift {kind!r}; use {', '.join(KINDS)}")


def _target(body: JSON, schema: Schema | None) -> tuple[JSON, Schema | None, str]:
    """What to change: the first item of a list answer, else the answer itself (with their schemas)."""
    if schema is None:
        return body, None, "$"
    if isinstance(body, list):
        return (body[0], schema.items, "$[0]") if body else (None, None, "$")
    if isinstance(body, dict):
        for name, prop in schema.properties.items():
            items = body.get(name)
            if prop.type == "array" and isinstance(items, list) and items and isinstance(items[0], dict):
                return items[0], prop.items, f"$.{name}[0]"
    return body, schema, "$"
