"""JMESPath: compile (cached), search, and bad expressions as FilterError with a position.

The one home of jmespath, and the one place an expression is bounded, so no caller needs
bounds of its own (the REPL, ``-q`` on the command line and the MCP server all come here):

- at most :data:`MAX_LENGTH` characters, checked before anything reads the text;
- brackets, parentheses, braces and filters nested at most :data:`MAX_NESTING` deep, counted
  on the lexer's tokens before the (recursive) parser sees them;
- a parsed expression at most :data:`MAX_NESTING` levels deep (``a || a || …`` parses flat
  but is searched by recursion);
- a number too large to convert, a value too deep to walk: a FilterError, never a
  RecursionError, MemoryError or ValueError.

May import: errors, jsonvalue.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jp_exceptions
from jmespath.lexer import Lexer

from .errors import FilterError
from .jsonvalue import JSON, to_plain

__all__ = ["MAX_LENGTH", "MAX_NESTING", "caret_line", "compile_expression", "search"]

#: The longest expression accepted, in characters (real ones are well under a thousand).
MAX_LENGTH = 10_000
#: How deep brackets and the parsed expression may nest.
MAX_NESTING = 100

_OPENERS = frozenset({"lbracket", "lparen", "lbrace", "filter"})
_CLOSERS = frozenset({"rbracket", "rparen", "rbrace"})


def compile_expression(expression: str) -> Any:
    """Compile once; raises FilterError naming the position of the fault, or the bound it passes."""
    if not isinstance(expression, str):
        raise FilterError(f"a JMESPath expression is text, not {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise FilterError(f"JMESPath expression too long: {len(expression):,} characters (the limit is {MAX_LENGTH:,})",
                          expression=expression[:60] + "…", bound=True)
    return _compile(expression)


@lru_cache(maxsize=256)
def _compile(expression: str) -> Any:
    deep = _bracket_depth(expression)
    if deep is not None:
        raise FilterError(f"JMESPath expression nested too deeply (more than {MAX_NESTING} levels)",
                          expression=expression, position=deep, bound=True)
    try:
        compiled = jmespath.compile(expression)
    except jp_exceptions.ParseError as exc:
        position = getattr(exc, "lex_position", None)
        token = getattr(exc, "token_value", None)
        reason = str(getattr(exc, "msg", "") or "invalid syntax")
        near = f" near {token!r}" if token not in (None, "") else ""
        where = f" at column {position + 1}" if isinstance(position, int) else ""
        raise FilterError(f"invalid JMESPath{where}{near}: {reason}", expression=expression, position=position) from None
    except jp_exceptions.JMESPathError as exc:
        raise FilterError(f"invalid JMESPath: {exc}", expression=expression) from None
    except (RecursionError, MemoryError):
        raise FilterError(f"JMESPath expression nested too deeply (more than {MAX_NESTING} levels)",
                          expression=expression, bound=True) from None
    except ValueError:  # a number past Python's digit limit
        raise FilterError("a number in the JMESPath expression is too large", expression=expression, bound=True) from None
    if _tree_depth(compiled.parsed) > MAX_NESTING:
        raise FilterError(f"JMESPath expression nested too deeply (more than {MAX_NESTING} levels)", expression=expression,
                          bound=True)
    return compiled


def _bracket_depth(expression: str) -> int | None:
    """The column where brackets first nest past the bound, or None (also when the text does not lex:
    the parser says why then)."""
    depth = 0
    try:
        for token in Lexer().tokenize(expression):
            kind = token["type"]
            if kind in _OPENERS:
                depth += 1
                if depth > MAX_NESTING:
                    return int(token["start"])
            elif kind in _CLOSERS:
                depth -= 1
    except (jp_exceptions.JMESPathError, ValueError):
        return None
    return None


def _tree_depth(node: Any) -> int:
    """How deep a parsed expression is, walked without recursion."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_NESTING:
            break
        for child in item.get("children", ()) if isinstance(item, dict) else ():
            if isinstance(child, dict):
                stack.append((child, level + 1))
    return deepest


def search(expression: str, value: Any) -> JSON:
    """Apply a JMESPath expression to a result (Results become plain JSON first)."""
    compiled = compile_expression(expression)
    try:
        return compiled.search(to_plain(value))
    except jp_exceptions.JMESPathError as exc:
        raise FilterError(f"JMESPath failed: {exc}", expression=expression) from None
    except (RecursionError, MemoryError):
        raise FilterError("the value is too deeply nested to filter", expression=expression) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise FilterError(f"JMESPath failed: {type(exc).__name__}: {str(exc)[:200]}", expression=expression) from None


def caret_line(error: FilterError) -> str:
    """The expression with a caret under the fault, for the REPL and the CLI."""
    if error.position is None:
        return error.expression
    return f"{error.expression}\n{' ' * error.position}^"
