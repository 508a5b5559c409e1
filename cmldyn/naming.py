"""Python names for what a spec calls its operations and parameters.

Owns: the spelling rules: swagger-codegen's snake_case, as the generated ``cmlapi`` uses
(``ListProjects`` -> ``list_projects``, ``ValidateAPIKey`` -> ``validate_api_key``), lowerCamel
aliases, and valid, non-keyword, non-dunder identifiers (NFKC first), and a name for an
operation that has no operationId. Plain functions on strings; imports nothing from cmldyn.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["derive_operation_id", "identifier", "lower_camel", "singular", "snake_case"]

_ACRONYM_SPLIT = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_SPLIT = re.compile(r"([a-z\d])([A-Z])")
_NOT_IDENT = re.compile(r"\W+")
# Soft keywords of every Python we support (3.12 added "type"), so names do not depend on the version.
_SOFT_KEYWORDS = frozenset(keyword.softkwlist) | {"match", "case", "type", "_"}


@lru_cache(maxsize=4096)  # parameter names repeat across operations
def snake_case(text: str) -> str:
    """``ListProjects`` -> ``list_projects``; ``ValidateAPIKey`` -> ``validate_api_key``."""
    text = unicodedata.normalize("NFKC", text)
    text = _ACRONYM_SPLIT.sub(r"\1_\2", text)
    text = _WORD_SPLIT.sub(r"\1_\2", text)
    return text.replace("-", "_").replace(".", "_").lower()


def singular(word: str) -> str:
    """``projects`` -> ``project``, ``policies`` -> ``policy``, ``shelves`` -> ``shelf``, ``boxes`` -> ``box``."""
    for plural, single in (("ies", "y"), ("lves", "lf"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=4096)
def lower_camel(name: str) -> str:
    """``page_size`` -> ``pageSize``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def identifier(text: str, reserved: Iterable[str] = ()) -> str:
    """Make ``text`` a valid, non-keyword, non-dunder Python identifier (NFKC first)."""
    name = _NOT_IDENT.sub("_", unicodedata.normalize("NFKC", text)).strip("_") or "op"
    name = re.sub(r"_+", "_", name)
    if not name.isidentifier():  # leading digit, or a character \w allows but identifiers do not
        name = "op_" + name
        if not name.isidentifier():
            name = "op_" + "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in name)
    if keyword.iskeyword(name) or name in _SOFT_KEYWORDS or name in reserved or name.startswith("__"):
        name = name.strip("_") + "_"
    return name


def derive_operation_id(method: str, path: str) -> str:
    """``GET /projects/{id}`` -> ``get_projects_id``: the id of an operation the spec left unnamed."""
    words = [w for w in re.split(r"[/{}.:\-]+", path) if w]
    return "_".join([method.lower(), *words]) if words else method.lower() + "_root"
