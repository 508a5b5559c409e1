"""Profiles: what one API's simulator does beyond what the engine infers from any spec.

A :class:`Profile` is a plain object whose tables are filled in explicitly (never found by
building a method name from a string):

- ``operations``: operationId -> handler, for operations no inference gets right;
- ``on_create``: collection -> hook run on a new object (fill fields, start a lifecycle);
- ``actions``: custom verb (``stop`` of ``POST /x/{id}:stop``) -> hook on the object;
- ``extra_required``: required fields a spec leaves to prose, by schema name;
- and a few methods: how a request proves who it is, the error shape, list answers, seed data.

The base class is the generic profile: the spec's own security schemes, its declared error shape,
lists paged in the spec's own style. ``PROFILES`` names every profile; :func:`detect` picks one for
a spec (CML's when the spec is CML's API, else the generic one).
"""

from __future__ import annotations

from typing import Callable

from ..routes import SpecIndex
from .cml import cml_profile
from .generic import Profile

__all__ = ["PROFILES", "Profile", "detect"]


def detect(index: SpecIndex) -> str:
    """The profile for a spec: CML's for the CML API (its projects and job runs), else the generic one."""
    ids = set(index.by_id)
    return "cml" if {"ListProjects", "CreateJobRun"} <= ids and any(
        r.template.startswith("/api/v2/projects") for r in index.routes) else "generic"


PROFILES: dict[str, Callable[[], Profile]] = {"generic": Profile, "cml": cml_profile}
