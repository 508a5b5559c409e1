"""What ``cmldyn mcp`` may do on an agent's behalf, in plain Python: the policy (read-only unless writes are
allowed; destructive operations only by flag or by name), how an operation is classified, the bounds on
what one tool call may ask, tool names clients take, and JSON Schemas for the input of direct tools.

What one tool call may ask is bounded, and a call past a bound is a tool error at once: its arguments
at most :data:`MAX_ARGUMENTS` bytes as JSON (and nested at most :data:`MAX_DEPTH` deep), a search at
most :data:`MAX_SEARCH` characters, names :data:`MAX_NAME`. May import: errors, model and schema
(TYPE_CHECKING).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ToolError

if TYPE_CHECKING:
    from ..model import OperationModel
    from ..schema import Schema

__all__ = ["MAX_ARGUMENTS", "MAX_DEPTH", "MAX_NAME", "MAX_SEARCH", "Policy", "READ_METHODS", "answer_fields",
           "bounded", "classify", "input_schema", "json_schema", "short", "tool_name"]

MAX_ARGUMENTS = 256 * 1024  # bytes of one call's arguments, as JSON
MAX_DEPTH = 32  # how deep those arguments may nest
MAX_SEARCH = 500  # characters of a search_operations query
MAX_NAME = 200  # characters of an operation or tool name
READ_METHODS = ("get", "head", "options")
_DESTRUCTIVE_WORDS = ("delete", "remove", "destroy", "purge", "erase", "wipe", "drop", "stop", "restart", "kill",
                      "terminate", "cancel", "rotate", "revoke", "reset", "regenerate", "uninstall", "disable")

@dataclass
class Policy:
    """What the server may do on the agent's behalf."""

    allow_write: bool = False
    allow_destructive: bool = False
    allow: frozenset[str] = frozenset()  # operations allowed by name, whatever they are
    reveal_env: bool = False
    max_result: int = 16 * 1024
    wait_timeout: float = 300.0
    #: Tool calls that reach the server at the same time at most; one more is refused at once.
    max_concurrent: int = 8
    #: Every write (what the flags allow) waits for a person to approve it, bound to the exact call.
    confirm_writes: bool = False

    def refusal(self, op: OperationModel) -> str | None:
        """Why ``op`` may not be called (naming the flag that would allow it), or None."""
        kind = classify(op)
        if kind == "read" or op.name in self.allow:
            return None
        what = f"{op.name} ({op.method.upper()} {op.path})"
        if kind == "write" and not self.allow_write:
            return f"{what} writes; this server is read-only: start it with --allow-write (or --allow {op.name})"
        if kind == "destructive" and not self.allow_destructive:
            return (f"{what} is destructive; start the server with --allow-destructive, or allow this one operation "
                    f"with --allow {op.name}")
        return None


def classify(op: OperationModel) -> str:
    """``read`` (GET, HEAD, OPTIONS), ``destructive`` (DELETE, a destroying custom verb such as ``:stop`` or
    ``:restart``, a delete-like name, key rotation) or ``write``."""
    method = op.method.lower()
    if method in READ_METHODS:
        return "read"
    last = op.path.rstrip("/").rsplit("/", 1)[-1]
    verb = last.rsplit(":", 1)[1].lower() if ":" in last.replace("{", "").replace("}", "") else ""
    words = set(re.split(r"[_\W]+", op.name.lower())) | set(re.split(r"[_\W]+", verb))
    if method == "delete" or words & set(_DESTRUCTIVE_WORDS):
        return "destructive"
    return "write"  # a custom verb that destroys nothing (CML's :download) is a write: POST needs --allow-write


# ---------------------------------------------------------------- JSON schemas for direct tools


def json_schema(schema: Schema | None, depth: int = 0, *, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A JSON Schema for a spec schema: references followed, cycles and depth bounded."""
    if schema is None:
        return {}
    out: dict[str, Any] = {}
    if schema.type and schema.type != "file":
        out["type"] = schema.type
    if schema.format:
        out["format"] = schema.format
    if schema.enum:
        out["enum"] = list(schema.enum)
    if schema.description:
        out["description"] = short(schema.description, 200)
    if schema.pointer in seen or depth >= 4:
        return out
    inner = seen | {schema.pointer}
    if schema.type == "array" and schema.items is not None:
        out["items"] = json_schema(schema.items, depth + 1, seen=inner)
    props = schema.properties
    if props:
        out["type"] = "object"
        out["properties"] = {k: json_schema(v, depth + 1, seen=inner) for k, v in props.items() if not v.read_only}
        required = sorted(k for k in schema.required if k in out["properties"])
        if required:
            out["required"] = required
    return out


def short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def bounded(tool: str, args: dict[str, Any]) -> None:
    """Refuse a tool call past the bounds in the module's docstring, before any work is done on it."""
    if len(tool) > MAX_NAME:
        raise ToolError(f"tool name too long ({len(tool):,} characters; the limit is {MAX_NAME})")
    try:
        size = len(json.dumps(args, default=str, check_circular=False).encode("utf-8", "replace"))
    except (RecursionError, ValueError):
        raise ToolError(f"arguments nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    if size > MAX_ARGUMENTS:
        raise ToolError(f"arguments too large: {size:,} bytes as JSON (the limit is {MAX_ARGUMENTS // 1024} KiB)")
    if _depth(args) > MAX_DEPTH:
        raise ToolError(f"arguments nested too deeply (the limit is {MAX_DEPTH} levels)")
    query = args.get("query")
    if tool == "search_operations" and isinstance(query, str) and len(query) > MAX_SEARCH:
        raise ToolError(f"search query too long ({len(query):,} characters; the limit is {MAX_SEARCH}): a few words do")
    name = args.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise ToolError(f"operation name too long ({len(name):,} characters; the limit is {MAX_NAME})")


def _depth(value: Any) -> int:
    """How deep a JSON value nests, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def tool_name(name: str) -> str:
    """An operation's name as a tool name: clients take at most 64 characters (a long name keeps a digest)."""
    if len(name) <= 64:
        return name
    import hashlib

    return name[:55] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]


def input_schema(op: OperationModel) -> dict[str, Any]:
    """A direct tool's JSON input schema: its parameters, and its body's fields as arguments of their own."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for param in op.params:
        if param.location == "body":
            continue
        props[param.name] = json_schema(param.schema)
        if param.description:
            props[param.name]["description"] = short(param.description, 200)
        if param.required:
            required.append(param.name)
    body = op.body_param
    for key, sub in op.body_fields.items():  # the body's fields as arguments of their own
        if sub.read_only:
            continue
        assert body is not None
        props[key] = json_schema(sub, 1, seen=frozenset({body.schema.pointer}))
    if body is not None:
        required += sorted(k for k in body.schema.required if k in props and k not in required)
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def answer_fields(schema: Schema | None) -> list[dict[str, str]]:
    if schema is None:
        return []
    out = []
    for key, prop in list(schema.properties.items())[:40]:
        entry = {"name": key, "type": prop.label(1)}
        items = prop.items if prop.type == "array" else None
        if items is not None and items.properties:
            entry["item_fields"] = ", ".join(list(items.properties)[:25])
        out.append(entry)
    if schema.type == "array" and schema.items is not None:
        out.append({"name": "[]", "type": schema.items.label(1),
                    "item_fields": ", ".join(list(schema.items.properties)[:25])})
    return out
