"""``cmlapi.models``: every class of the shipped CML spec (``CreateJobRequest``, ``Project`` ...), made on
first use from the spec's named schemas; a call checks a body against the workspace's own schema.
``from cmlapi.models import CreateJobRequest`` and ``cmlapi.models.CreateJobRequest`` both work.
May import: classes.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # the classes are made on first use; dir() lists them


def __getattr__(name: str) -> Any:
    from ...classes import builtin_class

    found = builtin_class(name) if name[:1].isupper() else None
    if found is None:
        raise AttributeError(f"module 'cmlapi.models' has no attribute {name!r}")
    return found


def __dir__() -> list[str]:
    from ...classes import builtin_names

    return sorted(builtin_names())
