"""``search_operations`` in plain Python: operations ranked by the words of their name (weighted most),
summary, path and tags, with stems, a few synonyms (\"start\" finds create and run) and prefixes; reads
first among equals. May import: errors, mcp.policy, model (TYPE_CHECKING).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import ToolError
from .policy import classify

if TYPE_CHECKING:
    from ..model import OperationModel

__all__ = ["Index", "build_index", "rank"]

Index = list[tuple["OperationModel", dict[str, float], str]]
_SYNONYMS = {"start": ("create", "run", "launch"), "launch": ("create", "start"), "run": ("create", "start"),
             "kill": ("stop", "delete"), "remove": ("delete",), "show": ("get", "list"), "find": ("list", "search"),
             "new": ("create",), "make": ("create",), "add": ("create",), "change": ("update",), "edit": ("update",),
             "fetch": ("get",), "all": ("list",)}



def build_index(operations: Any) -> Index:
    """Each operation with the weight of each of its words, and its kind."""
    index = []
    for op in operations:
        weights: dict[str, float] = {}

        def add(text: str, weight: float, into: dict[str, float] = weights) -> None:
            for word in _words(text):
                into[word] = max(into.get(word, 0.0), weight)

        tags = op.raw_op.get("tags") or []
        add(" ".join(str(t) for t in tags) if isinstance(tags, list) else "", 1.0)
        add(_TEMPLATE.sub(" ", op.path), 1.5)
        add(op.summary, 2.0)
        add(op.name, 3.0)
        index.append((op, weights, classify(op)))
    return index


def rank(index: Index, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """The best ``limit`` operations for ``query`` (at most 50)."""
    words = _words(query)
    if not words:
        raise ToolError("search_operations needs a query of one or more words")
    wanted: list[tuple[str, ...]] = [(w, *(_stem(s) for s in _SYNONYMS.get(w, ()))) for w in words]
    scored = []
    for op, weights, kind in index:
        score = 0.0
        for alternatives in wanted:
            best = 0.0
            for position, word in enumerate(alternatives):
                factor = 1.0 if position == 0 else 0.6
                hit = weights.get(word)
                if hit is None and len(word) >= 4:
                    hit = max((w * 0.5 for t, w in weights.items() if t.startswith(word)), default=None)
                if hit is not None:
                    best = max(best, hit * factor)
            score += best
        if score > 0:
            scored.append((-score, kind != "read", len(op.name), kind, op))
    scored.sort(key=lambda item: item[:3])
    return [{"name": op.name, "method": op.method.upper(), "path": op.path, "summary": op.summary, "kind": kind}
            for *_, kind, op in scored[: max(1, min(limit, 50))]]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_STOP = frozenset({"a", "an", "the", "of", "to", "for", "in", "on", "and", "or", "by", "with", "my", "me", "i", "it",
                   "api", "v2", "v1", "is", "all"})


_TEMPLATE = re.compile(r"\{[^}]*\}")
_CAMEL = re.compile(r"([a-z])([A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _NOT_WORD.split(_CAMEL.sub(r"\1 \2", str(text)).lower()) if w and w not in _STOP]
