"""JMESPath: compile (cached), search, and bad expressions as FilterError with a position.

The one home of jmespath. May import: errors, jsonvalue.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jp_exceptions

from .errors import FilterError
from .jsonvalue import JSON, to_plain

__all__ = ["caret_line", "compile_expression", "search"]


@lru_cache(maxsize=256)
def compile_expression(expression: str) -> Any:
    """Compile once; raises FilterError naming the position of the fault."""
    try:
        return jmespath.compile(expression)
    except jp_exceptions.ParseError as exc:
        position = getattr(exc, "lex_position", None)
        token = getattr(exc, "token_value", None)
        reason = str(getattr(exc, "msg", "") or "invalid syntax")
        near = f" near {token!r}" if token not in (None, "") else ""
        where = f" at column {position + 1}" if isinstance(position, int) else ""
        raise FilterError(f"invalid JMESPath{where}{near}: {reason}", expression=expression, position=position) from None
    except jp_exceptions.JMESPathError as exc:
        raise FilterError(f"invalid JMESPath: {exc}", expression=expression) from None


def search(expression: str, value: Any) -> JSON:
    """Apply a JMESPath expression to a result (Results become plain JSON first)."""
    compiled = compile_expression(expression)
    try:
        return compiled.search(to_plain(value))
    except jp_exceptions.JMESPathError as exc:
        raise FilterError(f"JMESPath failed: {exc}", expression=expression) from None


def caret_line(error: FilterError) -> str:
    """The expression with a caret under the fault, for the REPL and the CLI."""
    if error.position is None:
        return error.expression
    return f"{error.expression}\n{' ' * error.position}^"
