"""Completion for the REPL: operations, parameters, enum values, request-class fields,
result fields after ``|``, attributes and names in scope.

``suggest()`` is plain Python over the text before the cursor, fed by callables
(the namespace, the last operation), so it is tested on its own and timed by the
benchmark; ``ReplCompleter`` adapts it to prompt_toolkit.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document

from ..livevalues import LiveValues
from ..output import cut
from ..schema import Schema, type_label
from .commands import scan, split_filter

__all__ = ["ReplCompleter", "Suggester", "Suggestion"]

_CALL_HEAD = re.compile(r"(?:\bapi\.)?([A-Za-z_][A-Za-z0-9_]*)\s*$")
_ATTR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.([A-Za-z0-9_]*)$")
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)$")
_KWARG_VALUE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(['\"]?)([^'\"]*)$")
_POSITIONAL = re.compile(r"^\s*(['\"]?)([^'\"=]*)$")
_KWARG_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)?$")
_MAX = 200


@dataclass(frozen=True)
class Suggestion:
    text: str
    start: int  # negative: how many characters before the cursor it replaces
    display: str
    meta: str = ""


class Suggester:
    """Works out completions from the namespace and the client's model."""

    def __init__(self, namespace: Callable[[], dict[str, Any]], last_operation: Callable[[], str | None] = lambda: None,
                 live: LiveValues | None = None) -> None:
        self._namespace = namespace
        self._last_operation = last_operation
        self._ops_cache: tuple[int, list[tuple[str, str]]] | None = None
        self.live = live
        self.waiting = ""  # the list whose values are on their way (for the toolbar)

    # -------------------------------------------------------------- helpers

    def _api(self) -> Any:
        return self._namespace().get("api")

    def _operations(self) -> list[tuple[str, str]]:
        api = self._api()
        model = getattr(api, "model", None)
        if model is None:
            return []
        key = id(model)
        if self._ops_cache is None or self._ops_cache[0] != key:
            # By name; _attributes puts the exact name first, then the names it begins, then the others.
            self._ops_cache = (key, sorted((name, op.summary) for name, op in model.operations.items()))
        return self._ops_cache[1]

    def _schema_names(self) -> list[str]:
        model = getattr(self._api(), "model", None)
        return sorted(model.schema_names()) if model is not None else []

    # -------------------------------------------------------------- entry point

    def suggest(self, text: str) -> list[Suggestion]:
        if text.lstrip().startswith("."):
            return self._dot(text.lstrip())
        parts = split_filter(text)
        if parts is not None or text.rstrip().endswith("|"):
            left, right = parts if parts is not None else (text.rstrip()[:-1], "")
            if parts is None and text.rstrip().endswith("||"):
                return []
            return self._jmespath(left, right if parts is not None else "")
        call = _open_call(text)
        if call is not None:
            head, inside = call
            found = self._in_call(head, inside)
            if found is not None:
                return found
        attr = _ATTR.search(text)
        if attr:
            return self._attributes(attr.group(1), attr.group(2))
        name = _NAME.search(text)
        if name:
            return self._names(name.group(1))
        return []

    # -------------------------------------------------------------- contexts

    def _dot(self, text: str) -> list[Suggestion]:
        commands = {".ops": "table of operations", ".help": "docs of an operation", ".output": "json, yaml or table",
                    ".refresh": "re-fetch the spec", ".save": "write statements as a script",
                    ".drift": "answers that differed from the spec", ".curl": "the last call as curl",
                    ".har": "requests and answers as HAR", ".tb": "last traceback", ".exit": "leave",
                    ".explain": "a schema or OP.body, field by field"}
        word, space, arg = text.partition(" ")
        if not space:
            return [Suggestion(c, -len(word), c, m) for c, m in commands.items() if c.startswith(word)]
        if word == ".help":
            return [Suggestion(n, -len(arg), n, s) for n, s in self._operations() if n.startswith(arg)][:_MAX]
        if word == ".explain" and " " not in arg:
            ops = [Suggestion(n, -len(arg), n, s) for n, s in self._operations() if n.startswith(arg)]
            names = [Suggestion(n, -len(arg), n, "schema") for n in self._schema_names() if n.startswith(arg)]
            return (names + ops)[:_MAX]
        if word == ".output":
            return [Suggestion(f, -len(arg), f) for f in ("json", "yaml", "table") if f.startswith(arg)]
        return []

    def _attributes(self, base: str, prefix: str) -> list[Suggestion]:
        namespace = self._namespace()
        value = _resolve_chain(base, namespace)
        if value is _MISSING:
            return []
        api = self._api()
        if api is not None and value is api:
            out = [Suggestion(n, -len(prefix), n, cut(s, 80)) for n, s in self._operations() if n.startswith(prefix)]
            out.sort(key=lambda s: s.text != prefix)  # stable: the exact name, then the rest by name
            if len(out) < _MAX and prefix:
                out += [
                    Suggestion(n, -len(prefix), n, cut(s, 80))
                    for n, s in self._operations()
                    if prefix in n and not n.startswith(prefix)
                ]
            members = ("call", "raw", "operations", "models", "spec_warnings", "refresh", "close")
            out += [Suggestion(m, -len(prefix), m, "client") for m in members if m.startswith(prefix)]
            return out[:_MAX]
        try:
            names = dir(value)
        except Exception:
            return []
        return [
            Suggestion(n, -len(prefix), n)
            for n in names
            if n.startswith(prefix) and (prefix.startswith("_") or not n.startswith("_"))
        ][:_MAX]

    def _names(self, prefix: str) -> list[Suggestion]:
        namespace = self._namespace()
        pool = set(namespace) | set(dir(builtins)) | set(keyword.kwlist)
        return [
            Suggestion(n, -len(prefix), n)
            for n in sorted(pool)
            if n.startswith(prefix) and not n.startswith("__") and n != prefix
        ][:_MAX]

    def _in_call(self, head: str, inside: str) -> list[Suggestion] | None:
        """Inside ``api.op(`` or ``RequestClass(``: parameter names, then enum values and live values."""
        self.waiting = ""
        fields = self._call_fields(head)
        if fields is None:
            return None
        fragment = _last_argument(inside)
        value = _KWARG_VALUE.match(fragment)
        if value:
            name, quote, typed = value.groups()
            schema = fields.get(name, ("", False, None))[2]
            enum = _enum_of(schema)
            if not enum:
                return self._live(head, name, inside, quote, typed)
            q = quote or '"'
            return [Suggestion(f"{q}{v}{q}", -(len(typed) + len(quote)), str(v), name) for v in enum if str(v).startswith(typed)]
        positional = _POSITIONAL.match(fragment)
        if positional and positional.group(1):  # a quote opened in a positional place: values only
            name = self._positional_name(head, inside)
            return self._live(head, name, inside, positional.group(1), positional.group(2)) if name else []
        match = _KWARG_NAME.match(fragment)
        if not match:
            return []
        prefix = match.group(1) or ""
        taken = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", inside))
        out = []
        for name, (label, required, _schema) in fields.items():
            if name.startswith(prefix) and name not in taken:
                meta = label + (" · required" if required else "")
                out.append(Suggestion(name + "=", -len(prefix), name + "=", meta))
        out.sort(key=lambda s: ("required" not in s.meta, s.text))
        if not prefix:  # an empty positional place: the values that fit it first
            name = self._positional_name(head, inside)
            if name:
                out = self._live(head, name, inside, "", "") + out
        return out[:_MAX]

    def _positional_name(self, head: str, inside: str) -> str | None:
        """The parameter the argument being typed stands for, when it is positional (cmlapi's order)."""
        api = self._api()
        if api is None or not head.startswith("api."):
            return None
        op = api.model.find(head[4:])
        if op is None:
            return None
        before = _arguments(inside)[:-1]
        if any("=" in a.split("(")[0] for a in before):
            return None  # keywords came first: Python allows no positional one after them
        if len(before) >= len(op.positional):
            return None
        param = op.positional[len(before)]
        return None if param.location == "body" else param.name

    def _live(self, head: str, name: str, inside: str, quote: str, typed: str) -> list[Suggestion]:
        """Existing values of a parameter, from the cache of its list; a fetch started if none are kept."""
        api, live = self._api(), self.live
        if live is None or api is None or not head.startswith("api."):
            return []
        op = api.model.find(head[4:])
        source = live.source(op, name) if op is not None else None
        if source is None:
            return []
        parents = live.parents(source, self._given(op, inside))
        if parents is None:
            return []
        found = live.values(source, parents)
        if found is None:
            self.waiting = source.list_op
            return []
        param = op.param_index.get(name)
        schema = param.schema if param is not None else op.body_fields.get(name)
        numeric = schema is not None and schema.type in ("integer", "number") and not quote
        q = "" if numeric else (quote or '"')
        width = max((len(v) for v, _ in found), default=0)
        lowered = typed.lower()
        first = [(v, label) for v, label in found if v.startswith(typed)]
        also = [(v, label) for v, label in found if lowered and not v.startswith(typed) and lowered in label.lower()]
        return [Suggestion(f"{q}{v}{q}", -(len(typed) + len(quote)), v.ljust(width), label or name)
                for v, label in first + also][:_MAX]

    def _given(self, op: Any, inside: str) -> dict[str, Any]:
        """What the call has been given so far: string keywords, and positional strings in cmlapi's order."""
        given: dict[str, Any] = {}
        namespace = self._namespace()
        arguments = _arguments(inside)[:-1]
        for i, argument in enumerate(arguments):
            keyword_arg = re.match(r"\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*$", argument, re.S)
            text = keyword_arg.group(2) if keyword_arg else argument.strip()
            literal = re.fullmatch(r"(['\"])(.*)\1", text, re.S)
            value = literal.group(2) if literal else namespace.get(text) if re.fullmatch(r"[A-Za-z_]\w*", text) else None
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue
            if keyword_arg:
                given[keyword_arg.group(1)] = value
            elif i < len(op.positional):
                given[op.positional[i].name] = value
        return given

    def _call_fields(self, head: str) -> dict[str, tuple[str, bool, Schema | None]] | None:
        api = self._api()
        is_api = head.startswith("api.")
        name = head[4:] if is_api else head
        if api is not None and (is_api or name not in self._namespace()):
            op = api.model.find(name) if is_api else None
            if op is not None:
                fields: dict[str, tuple[str, bool, Schema | None]] = {
                    p.name: (p.type_label, p.required, p.schema) for p in op.params
                }
                for key, prop in op.body_fields.items():  # keywords too: api.create_project(name=...)
                    fields[key] = (f"body field {type_label(prop, 1)}", False, prop)
                return fields
        value = self._namespace().get(name)
        declared = getattr(value, "_fields", None)
        if isinstance(value, type) and isinstance(declared, dict):
            return {k: (type_label(v, 1), False, v) for k, v in declared.items()}
        if api is not None and callable(value) and getattr(value, "operation", None) is not None:
            op = value.operation
            return {p.name: (p.type_label, p.required, p.schema) for p in op.params}
        return None

    def _jmespath(self, left: str, right: str) -> list[Suggestion]:
        """Field names after ``|``, from the response schema of the call on the left (or from ``_``)."""
        if "|" in right:
            return []  # after a JMESPath pipe the shape is the pipe's output: not known without running it
        segment = right
        schema, value = self._left_shape(left.strip())
        if schema is None and value is None:
            return []
        path, prefix = _jmes_path(segment)
        if path is None:
            return []
        names = _fields_at(schema, value, path)
        return [Suggestion(n, -len(prefix), n, label) for n, label in names if n.startswith(prefix)][:_MAX]

    def _left_shape(self, left: str) -> tuple[Schema | None, Any]:
        api = self._api()
        match = re.match(r"^api\.([A-Za-z_][A-Za-z0-9_]*)\s*\(", left)
        if match and api is not None:
            op = api.model.find(match.group(1))
            if op is not None:
                return op.response_schema, None
        namespace = self._namespace()
        if left == "_" and api is not None:
            last = self._last_operation()
            if last:
                op = api.model.find(last)
                if op is not None:
                    return op.response_schema, namespace.get("_")
        value = _resolve_chain(left, namespace) if re.fullmatch(r"[A-Za-z_][\w.]*", left) else _MISSING
        if value is not _MISSING:
            from ..jsonvalue import to_plain

            return None, to_plain(value)
        return None, None


_MISSING = object()


def _resolve_chain(chain: str, namespace: dict[str, Any]) -> Any:
    """``a.b.c`` by getattr only (no calls), so completion never runs an API call."""
    head, *rest = chain.split(".")
    if head not in namespace:
        value = getattr(builtins, head, _MISSING)
        if value is _MISSING:
            return _MISSING
    else:
        value = namespace[head]
    for part in rest:
        try:
            value = getattr(value, part)
        except Exception:
            return _MISSING
        if callable(value) and getattr(value, "operation", None) is not None:
            return _MISSING
    return value


def _open_call(text: str) -> tuple[str, str] | None:
    """The innermost unclosed ``(``: (what is called, text after the paren)."""
    opens: list[int] = []
    for i, ch, _ in scan(text):
        if ch in "([{":
            opens.append(i if ch == "(" else -1)
        elif ch in ")]}" and opens:
            opens.pop()
    if not opens or opens[-1] < 0:
        return None
    pos = opens[-1]
    match = re.search(r"((?:api\.)?[A-Za-z_][A-Za-z0-9_]*)\s*$", text[:pos])
    if not match:
        return None
    return match.group(1), text[pos + 1 :]


def _last_argument(inside: str) -> str:
    return _arguments(inside)[-1]


def _arguments(inside: str) -> list[str]:
    """The text of each argument so far, split at top-level commas (the last one is being typed)."""
    out, start = [], 0
    for i, ch, depth in scan(inside):
        if ch == "," and depth == 0:
            out.append(inside[start:i])
            start = i + 1
    out.append(inside[start:])
    return out


def _enum_of(schema: Schema | None) -> list[Any]:
    if schema is None:
        return []
    if schema.enum:
        return schema.enum
    items = schema.items
    return items.enum or [] if items is not None else []


_JMES_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\]|\.")


def _jmes_path(segment: str) -> tuple[list[str] | None, str]:
    """``projects[].na`` -> (["projects", "[]"], "na"); ``projects[?na`` -> (["projects", "[]"], "na")."""
    open_filter = segment.rfind("[?")
    if open_filter >= 0 and "]" not in segment[open_filter:]:
        inner = segment[open_filter + 2 :]
        prefix_match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)?$", inner)
        prefix = prefix_match.group(1) or "" if prefix_match else ""
        outer, _ = _jmes_path(segment[:open_filter] + ".")
        if outer is None:
            return None, ""
        return outer + ["[]"], prefix
    match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)?$", segment)
    prefix = match.group(1) or "" if match else ""
    body = segment[: len(segment) - len(prefix)]
    if body and not body.endswith((".", "]")):
        return None, ""
    tokens = [t for t in _JMES_TOKEN.findall(body) if t != "."]
    path: list[str] = []
    for token in tokens:
        path.append("[]" if token.startswith("[") else token)
    return path, prefix


def _fields_at(schema: Schema | None, value: Any, path: list[str]) -> list[tuple[str, str]]:
    """Walk the schema (or a real value) along path; the object fields there with their types."""
    if schema is not None:
        current: Schema | None = schema
        for step in path:
            if current is None:
                return []
            if step == "[]":
                if current.type == "array":
                    current = current.items
                continue
            current = current.properties.get(step)
        if current is not None and current.type == "array":
            current = current.items
        return [(k, type_label(v, 1)) for k, v in current.properties.items()] if current is not None else []
    current = value
    for step in path:
        if step == "[]":
            if isinstance(current, list):
                current = current[0] if current else None
            continue
        current = current.get(step) if isinstance(current, dict) else None
    if isinstance(current, list):
        current = next((c for c in current if isinstance(c, dict)), None)
    if isinstance(current, dict):
        return [(k, type(v).__name__) for k, v in current.items()]
    return []


class ReplCompleter(Completer):
    """prompt_toolkit adapter: Suggestions -> Completions with display meta."""

    def __init__(self, suggester: Suggester) -> None:
        self.suggester = suggester

    def get_completions(self, document: Document, complete_event: Any) -> Iterable[Completion]:
        try:
            found = self.suggester.suggest(document.text_before_cursor)
        except Exception:  # completion must never break typing
            return
        for s in found:
            yield Completion(s.text, start_position=s.start, display=s.display, display_meta=s.meta)
