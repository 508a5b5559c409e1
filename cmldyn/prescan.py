"""The safety pre-scan: what a spec must pass before anything walks, resolves or validates it.

Owns: the bounds (size, depth, object count, shared-object size for YAML anchors, inlined
size over the ref graph), the refusal of any ``$ref`` that is not an internal ``#/...``
pointer, and following such a pointer. Runs before prance sees the document, because
prance (and its validators) follow every reference they meet, remote or local.
May import: errors. Must not: open files or touch the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from .errors import SpecError
from .jsonvalue import JSON

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_SPEC_BYTES", "follow", "prescan"]

MAX_SPEC_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 200
MAX_NODES = 1_000_000  # containers (objects and arrays); the CML spec has about 3,400

def prescan(doc: JSON, warnings: list[str] | None = None, *, may_share: bool = True) -> None:
    """Refuse external refs and bound the document's size and depth.

    Walks the raw document once, iteratively, so deep nesting cannot overflow the stack.
    Nothing is inlined, so there is no bound on how much the refs would expand: shared
    schemas and cycles are normal in real specs, and every walker above has its own budget.
    A ``$ref`` is a reference only with a string value; a property named ``$ref`` (its value
    is a schema) is a property. Dangling internal refs become a described empty schema, with
    a warning.
    """
    warnings = warnings if warnings is not None else []
    if may_share:  # JSON text never shares objects; YAML anchors and hand-built dicts can
        _check_shared_size(doc)
    nodes = 0
    refs: list[dict[str, JSON]] = []
    # A stack of iterators, not of nodes: memory stays proportional to the depth, however wide
    # the document (a million-element array would otherwise be a million stack entries).
    # Scalars are skipped inside the for loop (most of a spec's values); only a container leaves it, to be
    # entered, and its parent's iterator resumes where it stopped when the container is done.
    stack: list[Iterator[JSON]] = [iter((doc,))]
    while stack:
        for node in stack[-1]:
            kind = type(node)
            if kind is not dict and kind is not list and not isinstance(node, (dict, list)):
                continue
            nodes += 1
            if nodes > MAX_NODES:
                raise SpecError(f"spec is too large or expands too much (more than {MAX_NODES:,} nodes)")
            if len(stack) > MAX_DEPTH:
                raise SpecError(f"spec is nested too deeply (more than {MAX_DEPTH} levels)")
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    if not ref.startswith("#"):
                        raise SpecError(f"external $ref not allowed: {ref[:120]!r} "
                                        "(only '#/...' pointers inside the spec are followed)")
                    refs.append(node)
                stack.append(iter(node.values()))
            else:
                stack.append(iter(node))
            break
        else:
            stack.pop()
    resolved: set[str] = set()  # shared schemas are referred to many times: each pointer is followed once
    for node in refs:
        if node["$ref"] in resolved:
            continue
        try:
            follow(doc, node["$ref"])
            resolved.add(node["$ref"])
        except KeyError:
            warnings.append(f"unresolvable $ref {node['$ref']!r}; treated as an empty schema")
            target = node.pop("$ref")
            node["description"] = f"(unresolvable reference {target})"


def _check_shared_size(doc: JSON) -> None:
    """Count containers as a walk would see them, with each shared object sized once.

    JSON never shares objects, but YAML anchors do: a 1 KB alias bomb is a few
    hundred objects that a walk would visit billions of times. Sizes are memoised
    by identity, so this costs one pass over the distinct objects.
    """
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[JSON, bool]] = [(doc, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = node.values() if isinstance(node, dict) else node
            total = 1 + sum(size[id(c)] for c in children if isinstance(c, (dict, list)))
            if total > MAX_NODES:
                raise SpecError(f"spec is too large or expands too much (more than {MAX_NODES:,} nodes)")
            size[key] = total
            active.discard(key)
            continue
        if key in size:
            continue
        if key in active:
            raise SpecError("spec contains a recursive YAML alias")
        active.add(key)
        stack.append((node, True))
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if id(child) in active:
                    raise SpecError("spec contains a recursive YAML alias")
                stack.append((child, False))


def follow(doc: JSON, pointer: str) -> JSON:
    node = doc
    if pointer in ("#", "#/"):
        return doc
    for raw_part in pointer[2:].split("/") if pointer.startswith("#/") else [pointer]:
        part = unquote(raw_part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(pointer)
    return node
