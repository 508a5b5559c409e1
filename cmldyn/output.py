"""Render results for people and scripts: json, yaml, table, raw; terminal-safe always.

Pure functions, no I/O. Every string that came from the API or the spec passes
through :func:`safe_text`, which turns C0 controls (except tab and newline), DEL,
C1 controls and bidi overrides into visible escapes (see "Safety rules" in ARCHITECTURE.md), so
another tenant's project name cannot move the cursor, set the title, or reorder
what the user reads.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ApiError, CmldynError, FilterError, Secrets, redact
from .jsonvalue import JSON, to_plain

__all__ = [
    "FORMATS",
    "cut",
    "cut_cell",
    "error_lines",
    "highlight_json",
    "is_terminal",
    "operations_table",
    "progress_printer",
    "render",
    "render_table",
    "render_yaml",
    "safe_text",
    "terminal_width",
    "traceback_text",
]

FORMATS = ("json", "yaml", "table", "raw")

# Controls, bidi marks, and lone surrogates (bytes that were not UTF-8): none may reach a terminal raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """Make text safe to write to a terminal: control and bidi characters become visible escapes."""
    return _UNSAFE.sub(_escape, text)


def render(value: Any, fmt: str = "json", *, pretty: bool = True, width: int | None = None, more: str = "") -> str:
    """Render any result as text in the given format (json, yaml, table, raw).

    For a table: ``width`` is the terminal's (None: no limit), ``more`` says how to get the next
    pages when the answer has one (``--all gathers every page``; ``{token}`` stands for the next page's
    token)."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    data = to_plain(value)
    if fmt == "yaml":
        return render_yaml(data)
    if fmt == "table":
        return render_table(data, width=width, more=more)
    if fmt == "raw":
        if isinstance(data, str):
            return safe_text(data)
        if isinstance(data, list) and all(not isinstance(v, (dict, list)) for v in data):
            return "\n".join(safe_text(str(v)) for v in data)
    text = json.dumps(
        data, indent=2 if pretty else None, ensure_ascii=False, separators=None if pretty else (",", ":"), default=str
    )
    return safe_text(text)


def render_yaml(data: JSON) -> str:
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False).rstrip("\n")
    if not isinstance(data, (dict, list)):
        text = text.removesuffix("\n...")  # a lone scalar ends its document with "..."; the value is enough
    return safe_text(text)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: cut at a word boundary where one is near, with "…"."""
    if len(text) <= width:
        return text
    head = text[: width - 1]
    space = head.rfind(" ")
    if space >= width // 2:
        head = head[:space]
    return head.rstrip(" ,;:-") + "…"


def cut_cell(text: str, width: int) -> str:
    """A table cell in ``width`` characters: prose cut at a word with "…" at the end; an identifier (no
    spaces: an image, a path, an id) keeps its start and its end around "…", where ids differ."""
    if len(text) <= width:
        return text
    if " " in text.strip() or width < 8:
        return cut(text, width)
    head = (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _cell(value: JSON, width: int = 48) -> str:
    if isinstance(value, dict):
        # A nested reference (creator, project) reads best as its name.
        label = next((value[k] for k in ("username", "name", "public_identifier", "id") if value.get(k)), None)
        text = str(label) if label is not None else ", ".join(f"{k}={_cell(v, 20)}" for k, v in list(value.items())[:3])
    elif isinstance(value, list):
        text = f"[{len(value)}]" if value and isinstance(value[0], (dict, list)) else ", ".join(str(v) for v in value)
    elif value is None:
        text = ""
    else:
        text = str(value)
    text = safe_text(" ".join(text.split()))
    return cut(text, width)


def _rows_of(data: JSON) -> list[dict[str, JSON]] | None:
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return data
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
        if len(lists) == 1:
            return lists[0]
    return None


_NEXT_PAGE = ("next_page_token", "nextPageToken", "next_cursor", "nextCursor", "next")
_CELL = 48  # the widest a cell starts; narrower where the terminal needs it
_PROSE = 12  # how narrow text with spaces (a description) may be cut before a column is left out


def _fit(widths: list[int], narrowest: list[int], width: int) -> list[int]:
    """Column widths that fit in ``width``: text columns give way first (down to ``narrowest``), then
    columns are left out from the right (the first ones matter most); a lone column is cut to fit."""
    for count in range(len(widths), 0, -1):
        fitted = widths[:count]
        while sum(fitted) + 2 * (count - 1) > width:
            room = [i for i in range(count) if fitted[i] > narrowest[i]]
            if not room:
                break
            fitted[max(room, key=lambda i: fitted[i])] -= 1
        if sum(fitted) + 2 * (count - 1) <= width:
            return fitted
    return [max(1, width)]


def render_table(data: JSON, *, max_columns: int = 8, width: int | None = None, more: str = "") -> str:
    """A plain-text table: a list of objects gets one row each (the list inside a list response too).

    Lines fit in ``width`` columns (the widest columns give way first; columns that cannot fit are left
    out and named); an answer with a next page ends with a line saying so, and ``more`` (how to fetch it).
    """
    rows = _rows_of(data)
    if rows is None:
        if isinstance(data, dict):
            width = max((len(k) for k in data), default=0)
            return "\n".join(f"{safe_text(k).ljust(width)}  {_cell(v, 80)}" for k, v in data.items())
        if isinstance(data, list):
            return "\n".join(_cell(v, 120) for v in data)
        return _cell(data, 200)
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and not isinstance(value, (list,)):
                columns.append(key)
    preferred = [c for c in ("name", "id", "image_identifier", "path", "status") if c in columns]
    columns = (preferred + [c for c in columns if c not in preferred])[:max_columns]
    heads = [safe_text(c).upper() for c in columns]
    full = [[_cell(row.get(c), 10_000) for c in columns] for row in rows]
    widths = [min(_CELL, max(len(h), *(len(r[i]) for r in full))) for i, h in enumerate(heads)]
    if width is not None:
        prose = [any(" " in r[i] for r in full) for i in range(len(columns))]
        widths = _fit(widths, [max(_PROSE, len(h)) if p else w for h, w, p in zip(heads, widths, prose, strict=True)], width)
    dropped = columns[len(widths):]
    lines = ["  ".join(cut_cell(h, w).ljust(w) for h, w in zip(heads, widths, strict=False)).rstrip()]
    lines += ["  ".join(cut_cell(v, w).ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in full]
    if dropped:
        lines.append(f"({len(dropped)} more column{'s' if len(dropped) != 1 else ''} not shown: {', '.join(dropped)}; "
                     "a wider terminal or -o json shows them)")
    token = next((data.get(k) for k in _NEXT_PAGE if isinstance(data, dict) and data.get(k)), None)
    if token:
        shown = safe_text(cut_cell(str(token), 40))
        lines.append(f"({len(rows)} shown; more pages: " + (more.replace("{token}", shown) if more else
                                                              f"next_page_token {shown}") + ")")
    return "\n".join(lines)


def operations_table(rows: list[tuple[str, str, str, str]]) -> str:
    """name / method / path / summary, for `cmldyn ops` and the REPL's `.ops`."""
    if not rows:
        return "(no operations match)"
    w_name = max(len(r[0]) for r in rows)
    w_method = max(len(r[1]) for r in rows)
    w_path = min(70, max(len(r[2]) for r in rows))
    return "\n".join(
        safe_text(f"{n.ljust(w_name)}  {m.ljust(w_method)}  {p.ljust(w_path)}  {cut(s, 60)}".rstrip()) for n, m, p, s in rows
    )


def highlight_json(text: str) -> str:
    """Colour JSON for a terminal with pygments (ANSI codes; the text was made safe before)."""
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import JsonLexer
    except ImportError:
        return text
    coloured: str = highlight(text, JsonLexer(), TerminalFormatter())
    return coloured.rstrip("\n")


def progress_printer(stream: Any) -> Any:
    """A progress callback for waiters that writes a line each time the status changes."""
    last: list[str] = [""]

    def show(text: str) -> None:
        state = text.split(" (", 1)[0]
        if state != last[0]:
            last[0] = state
            stream.write(f"waiting: {safe_text(text)}\n")
            stream.flush()

    return show


def terminal_width(stream: Any) -> int | None:
    """How wide a table written to ``stream`` may be: the terminal's columns, else ``COLUMNS`` when set
    (a pager, a test), else None (a pipe: no limit)."""
    import os
    import shutil

    if is_terminal(stream):
        return shutil.get_terminal_size().columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def is_terminal(stream: Any) -> bool:
    """Whether a stream is an interactive terminal (False for pipes, files, closed streams)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def error_lines(error: BaseException, secrets: Secrets, *, python: bool = False) -> tuple[str, str | None]:
    """The one-line message and the optional hint for any error, redacted and terminal-safe.

    The CLI and the REPL both show errors through this. ``python`` is the REPL's view, where
    the user writes Python and an error is named by its class (``ParamError: ...``, or a
    ``TypeError`` from their own code); an API error is its status and the server's message
    in both. In the CLI an error that is not cmldyn's own is a bug of ours, and says so.
    """
    if isinstance(error, ApiError) or (isinstance(error, CmldynError) and not python):
        text = error.message
    elif isinstance(error, CmldynError):
        text = f"{type(error).__name__}: {error.message}"
    elif python:
        text = f"{type(error).__name__}: {_message_of(error)}"
    else:
        text = f"unexpected {type(error).__name__}: {_message_of(error)} (run with --debug for details)"
    if not python and isinstance(error, FilterError) and error.position is not None:
        text += f" in {_excerpt(error.expression, error.position)!r}"
    line = safe_text(" ".join(redact(text, secrets).split()))
    hint = getattr(error, "hint", None) if isinstance(error, CmldynError) else None
    return line, (safe_text(redact(hint, secrets)) if hint else None)


def _excerpt(text: str, position: int, width: int = 60) -> str:
    """``text`` around ``position``, at most ``width`` characters, "…" where it is cut."""
    if len(text) <= width:
        return text
    start = max(0, min(position - width // 2, len(text) - width))
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")


def _message_of(error: BaseException) -> str:
    """``str(error)``, or what to say when the exception's own ``__str__`` fails."""
    try:
        return str(error)
    except Exception as inner:  # noqa: BLE001 - someone's __str__ raised: say so instead
        return f"(its message cannot be shown: str() raised {type(inner).__name__})"


def traceback_text(error: BaseException, secrets: Secrets) -> str:
    """The full traceback (for --debug and the REPL's .tb), redacted and terminal-safe."""
    import traceback

    return safe_text(redact("".join(traceback.format_exception(error)), secrets))
