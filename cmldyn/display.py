"""Results as people read them: in a notebook (HTML), in IPython (pretty text), and with ``print``.

Owns: the HTML of a result (an object: a compact field table, nested objects folded to a one-line
summary; a list answer such as ``projects``: a table of its items, the columns that matter first,
chosen from the schema and the data: identifier, name, status, times, then the rest up to a width,
with the item count and a note when there is a next page), the text IPython shows, and the
cmlapi-style dict that ``str()`` gives. Every server string is HTML-escaped (it is untrusted) and
long values are cut with an ellipsis; and, in a Jupyter kernel, one updating progress line. Plain
functions over JSON values; IPython is imported only where the user's session already has it.
May import: jsonvalue, output.
"""

from __future__ import annotations

import html
import pprint
import re
import sys
from typing import Any, Callable

from .jsonvalue import JSON
from .output import safe_text

__all__ = ["columns", "html_of", "notebook_progress", "pretty_text", "summary"]

MAX_COLUMNS = 8
MAX_ROWS = 200
MAX_CELL = 80
_FIRST = re.compile(r"^(id|uuid|identifier|name|title|username|display_name|status|state|phase|kind|type)$")
_IDS = re.compile(r"(^|_)(id|identifier)$|Id$")
_TIMES = re.compile(r"(_at|At|_time|Time|date|Date)$")
_NEXT = ("next_page_token", "nextPageToken", "next", "next_cursor", "nextCursor")


def _cut(text: str, width: int = MAX_CELL) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summary(value: JSON, width: int = MAX_CELL) -> str:
    """One line for any value: objects folded to ``{key: value, …}``, lists to their length and first items."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_rank(k), list(value).index(k)))[:3]  # name-like fields first
        inner = ", ".join(f"{k}: {summary(value[k], 30)}" for k in keys)
        return _cut("{" + inner + (", …" if len(value) > 3 else "") + "}", width)
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, (dict, list)) for v in value):
            return _cut("[" + ", ".join(summary(v, 30) for v in value[:6]) + (", …" if len(value) > 6 else "") + "]", width)
        return f"[{_items(len(value))}]"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _cut(safe_text(str(value)), width)


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def _rank(key: str) -> tuple[int, int]:
    """Columns that matter first: identifier, name, status, times, then the rest in their order."""
    if _FIRST.match(key):
        order = ("id", "uuid", "identifier", "name", "title", "username", "display_name", "status", "state", "phase",
                 "kind", "type")
        return 0, order.index(key)
    if _IDS.search(key):
        return 1, 0
    if _TIMES.search(key):
        return 2, 0
    return 3, 0


def columns(items: list[dict[str, JSON]], schema_fields: list[str] | None = None) -> list[str]:
    """The columns of a table of items: present in the data (or named by the schema), ranked, at most eight."""
    seen: dict[str, None] = {}
    for name in schema_fields or []:
        seen[name] = None
    for item in items[:50]:
        for key in item:
            seen.setdefault(key, None)
    present = [k for k in seen if any(isinstance(i, dict) and i.get(k) not in (None, "", [], {}) for i in items[:50])]
    nested = {k for k in present if any(isinstance(i.get(k), (dict, list)) for i in items[:50] if isinstance(i, dict))}
    order = list(seen)
    ranked = sorted(present, key=lambda k: (k in nested, _rank(k), order.index(k)))  # plain values before nested ones
    return ranked[:MAX_COLUMNS]


def _list_field(data: JSON) -> str | None:
    if isinstance(data, dict):
        arrays = [k for k, v in data.items() if isinstance(v, list) and (not v or isinstance(v[0], dict))]
        return arrays[0] if len(arrays) == 1 else None
    return None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _table(items: list[dict[str, JSON]], fields: list[str] | None) -> str:
    cols = columns(items, fields)
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    rows = []
    for item in items[:MAX_ROWS]:
        cells = "".join(f"<td>{_esc(summary(item.get(c)))}</td>" for c in cols)
        rows.append(f"<tr>{cells}</tr>")
    more = f"<tr><td colspan='{len(cols) or 1}'>… {len(items) - MAX_ROWS} more</td></tr>" if len(items) > MAX_ROWS else ""
    return f"<table class='cmldyn'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{more}</tbody></table>"


def html_of(data: JSON, *, item_fields: list[str] | None = None, title: str = "") -> str:
    """The notebook view of an answer (see the module's docstring)."""
    caption = f"<b>{_esc(title)}</b> " if title else ""
    if isinstance(data, list):
        items = [i for i in data if isinstance(i, dict)]
        if len(items) == len(data):
            return f"<div>{caption}<small>{_items(len(items))}</small>{_table(items, item_fields)}</div>"
        return f"<div>{caption}<code>{_esc(summary(data, 400))}</code></div>"
    if not isinstance(data, dict):
        return f"<code>{_esc(summary(data, 400))}</code>"
    field = _list_field(data)
    if field is not None:
        items = data[field]
        more = next((k for k in _NEXT if data.get(k)), None)
        note = f"; more on the next page ({_esc(more)})" if more else ""
        rest = {k: v for k, v in data.items() if k != field and k not in _NEXT and v not in (None, "", [], {})}
        extra = "".join(f" · {_esc(k)}: {_esc(summary(v, 40))}" for k, v in list(rest.items())[:4])
        return (f"<div>{caption}<small>{_esc(field)}: {_items(len(items))}{note}{extra}</small>"
                f"{_table(items, item_fields)}</div>")
    rows = "".join(f"<tr><th style='text-align:left'>{_esc(k)}</th><td style='text-align:left'>{_esc(summary(v))}</td></tr>"
                   for k, v in sorted(data.items(), key=lambda kv: (_rank(kv[0]), list(data).index(kv[0]))))
    return f"<div>{caption}<table class='cmldyn'>{rows}</table></div>"


def pretty_text(data: JSON) -> str:
    """What ``print(result)`` shows: the dict as cmlapi's models print it (``pprint``), terminal-safe."""
    return safe_text(pprint.pformat(data, width=100, sort_dicts=False))


def notebook_progress() -> Callable[[str], None] | None:
    """In a Jupyter kernel, a progress callable that keeps one output line up to date (through IPython's
    display, with a display id); None anywhere else, where the REPL and CLI print their own."""
    if "IPython" not in sys.modules:  # never imported here: only where the user's session already has it
        return None
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    handle: list[Any] = []

    def show(text: str) -> None:
        line = safe_text(text)
        if handle:
            handle[0].update({"text/plain": line}, raw=True)
        else:
            handle.append(display({"text/plain": line}, raw=True, display_id=True))  # type: ignore[no-untyped-call]

    return show
