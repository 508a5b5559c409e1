"""Reading an AMP's ``.project-metadata.yaml`` with the line of every value.

Owns: :func:`read_metadata` (a file, or a directory holding one) -> :class:`Metadata`: the values as
PyYAML's safe loader reads them, and beside them, by field path (``tasks[3].subdomain``), the line each
came from, whether a scalar was quoted and its source text (an unquoted ``1.10`` loads as ``1.1``),
and the keys a mapping repeats (the last wins in YAML). A file that cannot be read or is not YAML is
an :class:`AmpError` with its line (exit 2). May import: errors, storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..storage import read_capped

__all__ = ["AmpError", "FILE_NAME", "Metadata", "read_metadata"]

FILE_NAME = ".project-metadata.yaml"
MAX_BYTES = 2 * 1024 * 1024


class AmpError(UsageError):
    """An AMP file that cannot be used at all: missing, unreadable, not YAML (with its line), not a mapping."""


@dataclass
class Metadata:
    """An AMP metadata file as read: ``data`` and, by field path, ``lines``, ``quoted`` and ``text``."""

    path: str
    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    quoted: dict[str, bool] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    duplicates: list[tuple[str, int]] = field(default_factory=list)

    def line(self, path: str) -> int:
        """The line of a field, or of the nearest field above it that has one (1 when none)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            tail = path.rsplit("]", 1)[-1]
            if "." in tail:
                path = path.rsplit(".", 1)[0]
            elif "[" in path:
                path = path.rsplit("[", 1)[0]
            else:
                break
        return self.lines.get("", 1)


def read_metadata(path: str) -> Metadata:
    """Read ``path`` (the file, or a directory with ``.project-metadata.yaml`` in it).

    Raises:
        AmpError: missing, unreadable, too large, not UTF-8, not YAML (naming the line), or not a mapping.
    """
    if os.path.isdir(path):
        path = os.path.join(path, FILE_NAME)
    try:
        raw = read_capped(path, MAX_BYTES)
    except OSError as error:
        raise AmpError(f"cannot read {path}: {error.strerror}") from None
    if raw is None:
        raise AmpError(f"{path} is larger than {MAX_BYTES // 2**20} MB: not an AMP metadata file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AmpError(f"{path} is not UTF-8 text (byte {error.start})") from None
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        found = Metadata(path, None)
        found.data = _value(loader, node, "", found) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        raise AmpError(f"{where}: not valid YAML: {error.problem or error.context}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        raise AmpError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
    finally:
        loader.dispose()
    if found.data is None:
        raise AmpError(f"{path} is empty: an AMP's metadata has name:, description:, author:, tasks: ...")
    if not isinstance(found.data, dict):
        raise AmpError(f"{path}: the metadata is not a mapping of fields (name:, description:, tasks: ...)")
    return found


MAX_VALUES = 100_000  # an AMP file has hundreds; YAML aliases that repeat a subtree must not explode


def _value(loader: Any, node: Any, path: str, into: Metadata) -> Any:
    import yaml

    if len(into.lines) > MAX_VALUES:
        raise ValueError(f"more than {MAX_VALUES:,} values (YAML aliases repeating a part?)")
    into.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            name = str(key)
            inner = f"{path}.{name}" if path else name
            if key in out:
                into.duplicates.append((inner, key_node.start_mark.line + 1))
            into.lines[inner] = key_node.start_mark.line + 1
            out[key] = _value(loader, value_node, inner, into)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, f"{path}[{i}]", into) for i, item in enumerate(node.value)]
    into.quoted[path] = node.style in ("'", '"')
    into.text[path] = str(node.value)
    return loader.construct_object(node, deep=True)
