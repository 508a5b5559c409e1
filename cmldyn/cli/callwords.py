"""The words after ``cmldyn call OPERATION``: the command line's item syntax, in one place.

    cmldyn call create_job_run PROJECT_ID JOB_ID      path values, in path order
    cmldyn call list_projects --page-size 2           a parameter as a --kebab option
    cmldyn call list_projects page_size=2             a parameter, or a body field, as name=value
    cmldyn call create_project cpu:=2 tags:='["a"]'   a JSON value (numbers, lists, objects)
    cmldyn call create_project --body @project.json   the whole body: JSON text, @file or - (stdin)

``name=value`` text is converted to the parameter's type from the spec (integer, number,
boolean, comma-separated arrays); ``:=`` takes JSON as it is. Options of the call itself
(``-q``, ``-o``, ``--all``, ``--dry-run``, ``--curl``, ``--wait``) and the global options are taken by
the parser before these words arrive. :func:`cli_usage` writes an operation's words back out
(what ``describe`` and argument errors show). May import: errors, model (for schema fields).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ParamError, UsageError, did_you_mean
from ..schema import Schema

if TYPE_CHECKING:
    from ..model import OperationModel

__all__ = ["cli_usage", "coerce", "parse_call_words", "read_body", "unknown_option"]


def cli_usage(op: OperationModel) -> str:
    """``cmldyn call create_job PROJECT_ID [--body JSON | field=value ...]``: the call as typed in a shell."""
    words = ["cmldyn call", op.name]
    words += [p.name.upper() for p in op.path_params]
    for param in op.params:
        if param.location in ("path", "body"):
            continue
        flag = "--" + param.name.replace("_", "-") + " " + param.name.upper()
        words.append(flag if param.required else f"[{flag}]")
    if op.body_param is not None:
        words.append("[--body JSON|@FILE|- | field=value field:=json ...]")
    return " ".join(words)



def parse_call_words(op: OperationModel, words: list[str], stdin: TextIO) -> dict[str, Any]:
    """The keyword arguments for ``op`` that ``words`` spell.

    Raises:
        UsageError: a flag without its value, JSON that does not parse, too many path values,
            a body given both whole and as fields.
        ParamError: an unknown parameter (with a did-you-mean), a value of the wrong type.
    """
    positional: list[str] = []
    kwargs: dict[str, Any] = {}
    body_fields: dict[str, Any] = {}
    body_text: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, inline = word.partition("=")
        if name == "--body":
            if not eq:
                if i + 1 >= len(words):
                    raise UsageError("--body needs a value")
                i += 1
                inline = words[i]
            body_text = inline
        elif word.startswith("--") and len(word) > 2:
            key = name[2:].replace("-", "_")
            param = op.param_index.get(key)
            if param is None:
                raise ParamError(unknown_option(op, name))
            if not eq:
                if param.schema.type == "boolean" and (i + 1 >= len(words) or words[i + 1].startswith("--")):
                    inline = "true"
                elif i + 1 < len(words):
                    i += 1
                    inline = words[i]
                else:
                    raise UsageError(f"{name} needs a value")
            _put(kwargs, param.name, coerce(param.schema, inline, param.name))
        elif ":=" in word and word.index(":=") > 0 and "=" not in word[: word.index(":=")]:
            key, _, raw = word.partition(":=")
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise UsageError(f"{key}:= needs a JSON value ({exc})") from None
            _assign(op, key, value, kwargs, body_fields, raw=False)
        elif eq and name.isidentifier():
            _assign(op, name, inline, kwargs, body_fields, raw=True)
        else:
            positional.append(word)
        i += 1
    path_params = list(op.path_params)
    if len(positional) > len(path_params):
        names = ", ".join(p.name for p in path_params) or "none"
        raise UsageError(f"{op.name} takes {len(path_params)} positional value(s) ({names}), got {len(positional)}")
    for param, value in zip(path_params, positional, strict=False):
        kwargs[param.name] = value
    if body_text is not None:
        if body_fields:
            raise UsageError("give the body either with --body or as field=value words, not both")
        kwargs["body"] = read_body(body_text, stdin)
    else:
        kwargs.update(body_fields)
    return kwargs


def _put(kwargs: dict[str, Any], name: str, value: Any) -> None:
    """A repeated option adds to a list parameter (``--tag a --tag b``); otherwise the last one wins."""
    if name in kwargs and isinstance(kwargs[name], list):
        kwargs[name] = kwargs[name] + (value if isinstance(value, list) else [value])
    else:
        kwargs[name] = value


def _assign(op: OperationModel, key: str, value: Any, kwargs: dict[str, Any], body_fields: dict[str, Any], *,
            raw: bool) -> None:
    param = op.param_index.get(key)
    if param is not None and param.location != "body":
        kwargs[param.name] = coerce(param.schema, value, param.name) if raw else value
        return
    if op.body_param is None:
        raise ParamError(unknown_option(op, key))
    prop = op.body_param.schema.properties.get(key)
    if raw and prop is not None and prop.type in ("integer", "number", "boolean"):
        value = coerce(prop, value, key)
    body_fields[key] = value


def unknown_option(op: OperationModel, word: str) -> str:
    """``unknown parameter '--page-sise' for list_projects; did you mean --page-size?``"""
    key = word.lstrip("-").replace("-", "_")
    hint = did_you_mean(key, op.param_index, show=lambda name: "--" + name.replace("_", "-"))
    return f"unknown parameter {word!r} for {op.name}{hint}"


def coerce(schema: Schema | None, text: str, name: str) -> Any:
    """A command-line word -> the parameter's type (integer, number, boolean, array of those)."""
    kind = schema.type if schema is not None else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(text)
        if kind == "array" and schema is not None:
            return [coerce(schema.items, part, name) for part in text.split(",") if part != ""]
    except ValueError:
        raise ParamError(f"wrong type for {name}: expected {kind}, got {text!r}") from None
    return text


def read_body(source: str, stdin: TextIO) -> Any:
    """``--body '<json>'``, ``--body @file.json`` or ``--body -`` (standard input)."""
    if source == "-":
        text = stdin.read()
        origin = "standard input"
    elif source.startswith("@"):
        try:
            with open(source[1:], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read body file {source[1:]}: {exc.strerror}") from None
        origin = source[1:]
    else:
        text = source
        origin = "--body"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"body from {origin} is not JSON: {exc}") from None
