"""A simulator's state as a file: what ``--state``, ``--save``, ``sim.save()`` and ``sim capture`` read and write.

Owns: :func:`snapshot` (the engine's collections and files as plain JSON, secrets redacted unless
asked), :func:`restore` (a snapshot into an engine: what still fits this spec is loaded, what does not
is named and dropped), :func:`read_state` and :func:`write_state` (the file: strict JSON, a format
marker, written atomically with mode 0600 and never through a link; a damaged or foreign file is a
SpecError, and is left as it was).

The format, ``cmldyn-sim-state/1``::

    {"format": "cmldyn-sim-state/1", "spec": {"title": ..., "version": ..., "sha256": ...},
     "source": "where it was captured, if it was", "redacted": true,
     "collections": [{"collection": "projects/*/jobs", "parents": ["<project id>"], "objects": {"<id>": {...}}}],
     "answers": [{"operation": "GetDefaultQuota", "path": [], "answer": {...}}],
     "files": {"<project id>": {"path/in/project": "<base64>"}}}

Objects are kept as the API answered them (ids preserved), in the order they were listed; ``answers``
are what operations with no collection behind them answered (a settings read), served as they were. Statuses
that were moving when the state was written stay where they were: nothing resumes on load.
May import: errors, jsonvalue, storage, and the simulator's own modules.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ..errors import ResponseError, SpecError, StorageError
from ..jsonvalue import loads_strict, mask
from ..jsonvalue import spec_digest as digest_of
from ..storage import read_capped
from ..validator import RESPONSE_RULES, check

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["FORMAT", "REDACTED", "read_state", "restore", "snapshot", "spec_digest", "write_state"]

FORMAT = "cmldyn-sim-state/1"
REDACTED = "<redacted>"
MAX_STATE_BYTES = 256 * 1024 * 1024


def spec_digest(engine: Engine) -> str:
    """The spec's digest, whatever its bytes looked like (read from a file, or fetched and parsed)."""
    return digest_of(engine.index.doc)


def snapshot(engine: Engine, *, keep_env: bool = False, source: str = "") -> dict[str, Any]:
    """The engine's state as JSON: every collection's objects by parents, and project files. Secret-named
    fields and environment values are redacted (``<redacted>``) unless ``keep_env`` (environments only:
    secret-named fields are always redacted)."""
    collections = []
    with engine.lock:
        for collection, by_parents in engine.items.items():
            for parents, objects in by_parents.items():
                if objects:
                    made = {key: mask(engine.public(o), reveal_env=keep_env, placeholder=REDACTED) for key, o in objects.items()}
                    collections.append({"collection": collection, "parents": list(parents), "objects": made})
        files = {owner: {path: base64.b64encode(data).decode("ascii") for path, data in entries.items()}
                 for owner, entries in engine.files.items()}
        answers = [{"operation": op, "path": list(values), "answer": mask(answer, reveal_env=keep_env, placeholder=REDACTED)}
                   for (op, values), answer in engine.recorded.items()]
    index = engine.index
    return {"format": FORMAT, "spec": {"title": index.title, "version": str((index.doc.get("info") or {}).get("version", "")),
                                       "sha256": spec_digest(engine)},
            "source": source, "redacted": True, "collections": collections, "files": files, "answers": answers}


def restore(engine: Engine, state: dict[str, Any]) -> list[str]:
    """Replace the engine's state with ``state``; what does not fit this spec is dropped, and each drop named.

    Raises:
        SpecError: not a state of this format.
    """
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SpecError(f"not a cmldyn simulator state (no \"format\": \"{FORMAT}\")")
    notes: list[str] = []
    other = (state.get("spec") or {}).get("sha256") not in (None, spec_digest(engine))
    if other:  # objects are checked against this spec's schemas; from the same spec they fit by definition
        notes.append(f"the state was written for another version of the spec ({(state.get('spec') or {}).get('version')}); "
                     "what still fits is loaded")
    known = {kind.collection for kind in engine.kinds.values()}
    dropped: dict[str, int] = {}
    with engine.lock:
        engine.items.clear()
        engine.files.clear()
        for entry in state.get("collections") or []:
            collection = str(entry.get("collection", ""))
            found = entry.get("objects") or {}
            objects = {str(k): o for k, o in found.items() if isinstance(o, dict)} if isinstance(found, dict) else {}
            if collection not in known:
                dropped[f"{collection} (no such collection in this spec)"] = len(objects)
                continue
            schema = engine.item_schema(collection) if other else None
            store = engine.store(collection, tuple(str(p) for p in entry.get("parents") or []))
            for key, obj in objects.items():
                if schema is not None and any(
                        f.severity == "error" for f in check(schema, obj, where="$", rules=RESPONSE_RULES, limit=1)):
                    what = f"{collection} (objects that do not fit its schema now)"
                    dropped[what] = dropped.get(what, 0) + 1
                    continue
                store[key] = obj
        for owner, entries in (state.get("files") or {}).items():
            engine.files[str(owner)] = {str(p): base64.b64decode(d) for p, d in (entries or {}).items()}
        engine.recorded.clear()
        for kept in state.get("answers") or []:
            if isinstance(kept, dict) and kept.get("operation") in engine.kinds:
                engine.recorded[(str(kept["operation"]), tuple(str(v) for v in kept.get("path") or []))] = kept.get("answer")
            elif isinstance(kept, dict):
                dropped[f"{kept.get('operation')} (no such operation in this spec)"] = 1
    notes += [f"dropped {count} object{'s' if count != 1 else ''} of {what}" for what, count in dropped.items() if count]
    return notes


def read_state(path: str) -> dict[str, Any]:
    """A state file, read strictly.

    Raises:
        SpecError: missing, unreadable, not JSON (a truncated file), or not a simulator state.
    """
    try:
        data = read_capped(path, MAX_STATE_BYTES)
    except OSError as error:
        raise SpecError(f"cannot read the state file {path}: {error.strerror}") from None
    if data is None:
        raise SpecError(f"the state file {path} is larger than {MAX_STATE_BYTES // 2**20} MB")
    try:
        state = loads_strict(data, what=f"the state file {path}", error=ResponseError)
    except ResponseError as error:
        raise SpecError(f"{error.message} (damaged or cut short?)") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SpecError(f"{path} is not a cmldyn simulator state (it has no \"format\": \"{FORMAT}\")")
    return state


def write_state(path: str, state: dict[str, Any]) -> None:
    """Write a state file atomically, mode 0600, never through a symbolic link (an existing file is replaced).

    Raises:
        StorageError: the name is a link, or the file cannot be written.
    """
    from ..storage import write_user_file

    try:
        write_user_file(path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"), overwrite=True)
    except OSError as error:
        raise StorageError(f"cannot write the state file {path}: {error.strerror}") from None
