"""The output schemas of ``cmldyn mcp``'s tools, and fitting a result to them (plain Python, no SDK).

A tool that declares an ``outputSchema`` must return ``structuredContent`` that validates against it,
and a client checks (the SDK's own client raises when it does not). So the schemas made here from the
spec are *lenient*: they keep what an agent relies on (which fields exist, object vs list vs scalar)
and drop what real servers get wrong or leave out:

- no ``required``, no ``enum``, no ``format``, no bounds or patterns; every field may be ``null``;
- integers and numbers may come as strings (grpc-gateway sends 64-bit integers as text);
- other fields are allowed (``additionalProperties`` is never closed), maps take any values;
- fields the results mask (key-, token-, password- and secret-like names, environment maps) take anything;
- ``oneOf``/``anyOf`` and schemas without a type take anything; named schemas are shared under ``$defs``
  (a cycle is a ``$ref`` to itself), unnamed nesting stops at :data:`MAX_INLINE` levels.

``call_operation`` and ``wait_for`` return an envelope: ``operation`` (whose answer ``result`` is),
``shape`` and ``result``. With ``shape`` ``answer`` the result is that operation's answer, typed by an
``if``/``then`` on the operation's name; ``query`` (a JMESPath was applied), ``drift`` (the server's
answer does not fit the spec's schema even read leniently) and ``binary`` leave it untyped; ``note``
says what was cut. One tool's output schema is at most :data:`MAX_SCHEMA` as JSON: past that (specs of
Stripe's size) the answers are left untyped and the schema says so. May import: jsonvalue, schema (TYPE_CHECKING).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..jsonvalue import is_secret_name

if TYPE_CHECKING:
    from ..model import OperationModel
    from ..schema import Schema

__all__ = ["ENVELOPE_SHAPES", "MAX_SCHEMA", "Shapes", "fit"]

MAX_INLINE = 6  # levels of unnamed nesting typed before a field takes anything
#: The most one tool's output schema may take as JSON; past it the answers are left untyped (and said so).
MAX_SCHEMA = 128 * 1024
ENVELOPE_SHAPES = ("answer", "query", "drift", "binary")
_ENVIRONMENT_NAMES = ("environment", "env", "environment_variables", "envs")


class Shapes:
    """Lenient JSON Schemas for one spec's answers, each named schema made once."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}
        self._names: dict[str, str] = {}  # schema pointer -> its key in defs

    def of(self, schema: Schema | None) -> dict[str, Any]:
        """The lenient schema of ``schema`` (``{}`` takes anything); named parts land in :attr:`defs`. A chain
        of named schemas too long to follow (thousands deep) leaves the answer untyped."""
        if schema is None:
            return {}
        before = dict(self.defs)
        try:
            return self._lenient(schema, 0)
        except RecursionError:
            self.defs = before  # half-made definitions are not kept
            self._names = {k: v for k, v in self._names.items() if v in before}
            return {}

    def _ref(self, schema: Schema) -> dict[str, Any]:
        key = self._names.get(schema.pointer)
        if key is None:
            base = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(schema.name)) or "schema"
            key, n = base, 1
            while key in self.defs:
                n += 1
                key = f"{base}_{n}"
            self._names[schema.pointer] = key
            self.defs[key] = {}  # a placeholder first: a cycle back here is a $ref to it
            self.defs[key] = self._body(schema, 0)
        return {"$ref": f"#/$defs/{key}"}

    def _lenient(self, schema: Schema, depth: int) -> dict[str, Any]:
        if schema.name:
            return self._ref(schema)
        if depth >= MAX_INLINE:
            return {}
        return self._body(schema, depth)

    def _body(self, schema: Schema, depth: int) -> dict[str, Any]:
        if schema.one_of or schema.any_of:
            return {}
        kind = schema.type
        if kind == "object" or (kind is None and schema.properties):
            out: dict[str, Any] = {"type": ["object", "null"]}
            props: dict[str, Any] = {}
            for key, sub in schema.properties.items():
                if is_secret_name(key) or key.lower() in _ENVIRONMENT_NAMES:
                    props[key] = {}  # masked in results: "***" where the spec says otherwise
                else:
                    props[key] = self._lenient(sub, depth + 1)
            if props:
                out["properties"] = props
            return out
        if kind == "array":
            out = {"type": ["array", "null"]}
            if schema.items is not None:
                out["items"] = self._lenient(schema.items, depth + 1)
            return out
        if kind in ("integer", "number"):
            return {"type": [kind, "string", "null"]}
        if kind in ("string", "boolean"):
            return {"type": [kind, "null"]}
        return {}

    # ------------------------------------------------------------ tool output schemas

    def direct(self, op: OperationModel) -> tuple[dict[str, Any], bool]:
        """A direct tool's output schema, and whether its answer is wrapped as ``{"result": answer}`` (an
        answer that is not an object: MCP's structured content is always an object)."""
        answer = op.response_schema
        body = self.of(answer)
        target = self.defs.get(body["$ref"].rsplit("/", 1)[1]) if "$ref" in body else body
        if isinstance(target, dict) and "object" in (target.get("type") or ()):
            root = dict(target)
            root["type"] = "object"
            made, wrapped = self._rooted(root), False
        else:
            made, wrapped = self._rooted({"type": "object", "properties": {"result": body}}), True
        if len(json.dumps(made)) > MAX_SCHEMA:  # too big to list: an object, untyped inside
            return ({"type": "object", "properties": {"result": {}}} if wrapped else {"type": "object"}), wrapped
        return made, wrapped

    def envelope(self, ops: list[OperationModel]) -> dict[str, Any]:
        """``call_operation``'s (and ``wait_for``'s) output schema: the envelope, ``result`` typed by the
        operation's answer when ``shape`` is ``answer``."""
        by_answer: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for op in ops:
            typed = self.of(op.response_schema)
            if typed:  # operations with the same answer share one branch
                key = json.dumps(typed, sort_keys=True)
                by_answer.setdefault(key, (typed, []))[1].append(op.name)
        branches = []
        for typed, names in by_answer.values():
            which = {"const": names[0]} if len(names) == 1 else {"enum": sorted(names)}
            branches.append({"if": {"properties": {"operation": which, "shape": {"const": "answer"}},
                                    "required": ["operation", "shape"]},
                             "then": {"properties": {"result": typed}}})
        root: dict[str, Any] = {
            "type": "object",
            "properties": {
                "operation": {"type": "string", "description": "the operation whose answer result is"},
                "shape": {"enum": list(ENVELOPE_SHAPES),
                          "description": "answer: the operation's answer as its schema says; query: after the "
                                         "JMESPath; drift: the answer does not fit the spec's schema; binary: a file"},
                "result": {"description": "the answer (describe_operation gives its fields)"},
                "note": {"type": "string", "description": "what was cut to fit the size limit, and how to narrow it"},
            },
            "required": ["operation", "shape", "result"],
        }
        if branches:
            typed = self._rooted({**root, "allOf": branches})
            size = len(json.dumps(typed))
            if size <= MAX_SCHEMA:
                return typed
            root["properties"]["result"]["description"] = (  # a big spec: tools/list stays small enough to read
                f"the answer, untyped here: the answer schemas of this spec come to {size // 1024} KB as JSON "
                "Schema (describe_operation gives each answer's fields)")
        return root

    def _rooted(self, root: dict[str, Any]) -> dict[str, Any]:
        """``root`` with the ``$defs`` it reaches (and only those)."""
        needed: dict[str, Any] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    key = ref[len("#/$defs/"):]
                    if key not in needed and key in self.defs:
                        needed[key] = self.defs[key]
                        stack.append(self.defs[key])
                stack.extend(v for k, v in node.items() if k != "$ref")
            elif isinstance(node, list):
                stack.extend(node)
        if needed:
            return {**root, "$defs": dict(sorted(needed.items()))}
        return root


def fit(value: Any, limit: int) -> tuple[Any, bool]:
    """``value`` made to fit ``limit`` bytes as JSON by shortening its longest lists (then its longest
    strings), and whether anything was cut. Lists keep their first items; nothing else changes shape."""
    def size(v: Any) -> int:
        return len(json.dumps(v, ensure_ascii=False, default=str).encode("utf-8"))

    if size(value) <= limit:
        return value, False
    value = json.loads(json.dumps(value, default=str))  # a copy to cut
    for _ in range(200):
        longest: list[Any] | None = None
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                if len(node) > 1 and (longest is None or len(node) > len(longest)):
                    longest = node
                stack.extend(node)
            elif isinstance(node, dict):
                stack.extend(node.values())
        if longest is None:
            break
        del longest[max(1, len(longest) // 2):]
        if size(value) <= limit:
            return value, True
    for _ in range(200):  # one item is still too big: shorten the longest strings
        holder, key, text = None, None, ""
        stack = [value]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for k, v in items:
                if isinstance(v, str) and len(v) > len(text):
                    holder, key, text = node, k, v
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        if holder is None or len(text) < 64:
            break
        holder[key] = text[: len(text) // 2] + "…"
        if size(value) <= limit:
            return value, True
    return None, True
