"""What the workflow verbs share: finding a project, an application or a runtime by what a person types,
and waiting for a workload with its failure named as a step.

Each function takes a client and never builds one. May import: errors, jsonvalue.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import NotFoundError, ParamError, WaiterError, WorkloadError

# `api` is a cmldyn Client (typed loosely: the client offers these verbs, so this module cannot import it).
Client = Any

__all__ = ["find_application", "find_project", "resolve_runtime", "wait_for"]


def find_project(api: Client, ref: Any) -> Any:
    """The project ``ref`` names: a project result, its id, or its exact name (names match case and all).

    Raises:
        NotFoundError: no project has that id or name.
        ParamError: several projects have that name (their ids are listed).
    """
    if not isinstance(ref, str):
        return ref
    try:
        return api.get_project(ref)
    except NotFoundError:
        pass
    found = [p for p in api.list_projects.items(search_filter=json.dumps({"name": ref}), page_size=100)
             if p.get("name") == ref]
    if not found:
        raise NotFoundError(f"no project with the id or name {ref!r}", status=404)
    if len(found) > 1:
        raise ParamError(f"{len(found)} projects are named {ref!r}: give one's id ({', '.join(p.id for p in found)})")
    return found[0]


def find_application(api: Client, project_id: str, ref: Any) -> Any:
    """The application ``ref`` names in the project: a result, its id, or its exact name."""
    if not isinstance(ref, str):
        return ref
    found = [a for a in api.list_applications.items(project_id, page_size=100) if ref in (a.get("id"), a.get("name"))]
    if not found:
        raise NotFoundError(f"no application with the id or name {ref!r} in project {project_id}", status=404)
    if len(found) > 1:
        raise ParamError(f"{len(found)} applications are named {ref!r}: give one's id ({', '.join(a.id for a in found)})")
    return found[0]


_RUNTIME_FIELDS = ("editor", "kernel", "edition", "full_version")


def resolve_runtime(api: Client, text: str) -> str:
    """A runtime's image identifier from what a person writes: the identifier itself (it has a ``:tag``), or
    ``editor/kernel/edition[/version]`` compared exactly (``Python 3.1`` never picks 3.10); a version matches
    the start of ``full_version``. The newest version wins among several of one editor, kernel and edition.

    Raises:
        ParamError: no runtime matches, or several do that differ in more than version (listed).
    """
    every = [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in api.list_runtimes.items(page_size=100)]
    if ":" in text:
        if any(r.get("image_identifier") == text for r in every):
            return text
        raise ParamError(f"no runtime {text!r} in this workspace", hint="cmldyn call list_runtimes -o table lists them")
    parts = [p.strip() for p in text.split("/")]
    if not 2 <= len(parts) <= 4:
        raise ParamError(f"a runtime is an image identifier or editor/kernel/edition[/version]; not {text!r}")
    wanted = dict(zip(_RUNTIME_FIELDS, parts, strict=False))
    version = wanted.pop("full_version", "")
    found = [r for r in every if all(str(r.get(k, "")) == v for k, v in wanted.items())
             and str(r.get("full_version", "")).startswith(version)]
    if not found:
        raise ParamError(f"no runtime matches {text!r} (editor/kernel/edition/version, compared exactly)",
                         hint="cmldyn call list_runtimes -o table lists them")
    kinds = {(r.get("editor"), r.get("kernel"), r.get("edition")) for r in found}
    if len(kinds) > 1:
        listed = "; ".join(f"{r.get('editor')}/{r.get('kernel')}/{r.get('edition')}" for r in found[:8])
        raise ParamError(f"{text!r} matches {len(found)} runtimes: {listed}; say which")
    return str(max(found, key=lambda r: str(r.get("full_version", "")))["image_identifier"])


def wait_for(api: Client, getter: Any, *args: str, step: str, until: str = "success", timeout: float = 600.0,
             delay: float = 2.0, sleep: Any = None) -> Any:
    """Wait for what ``getter`` reads to reach a final status; a failure (or running out of time) names ``step``."""
    import time

    try:
        return api.wait(getter, *args, until=until, timeout=timeout, delay=delay, sleep=sleep or time.sleep)
    except WorkloadError as error:
        raise WorkloadError(f"{step}: {error.message}", last_result=error.last_result, step=step) from None
    except WaiterError as error:
        raise WaiterError(f"{step}: {error.message}", last_result=error.last_result) from None

