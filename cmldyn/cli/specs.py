"""``cmldyn spec [show|refresh|diff|validate|resolve]``: the spec itself, and its cached copy.

``diff`` compares the server's spec now with the cached copy through the spec loader,
leaving the cache as it is; ``resolve`` prints the spec with its references inlined (by prance,
cycles kept as references, bounded in size). May import: errors, loader, spec.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from ..errors import UsageError
from .context import Context
from .exits import Exit

__all__ = ["run"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "diff":
        return _diff(ctx, args)
    if args.action == "refresh":
        ctx.settings = replace(ctx.settings, refresh=True)
    api = ctx.client(need_host=not ctx.settings.spec)
    spec = api.spec
    if args.action == "resolve":
        from ..spec import resolved_text

        ctx.stdout.write(resolved_text(spec) + "\n")
        return Exit.OK
    if args.action == "validate":
        ctx.emit({"source": spec.source, "findings": api.spec_warnings}, args.output)
        return Exit.OK
    info: dict[str, Any] = {
        "source": spec.source, "cache": api.cache_path, "state": api.spec_state, "title": spec.title,
        "version": spec.api_version, "format": spec.version, "operations": len(api.operations),
        "schemas": len(api.model.schema_names()), "base_path": spec.base_path, "warnings": len(api.model.warnings),
    }
    if args.action == "refresh":
        added, removed = api.spec_changes or ([], [])
        info.update(added=added, removed=removed)
    ctx.emit(info, args.output)
    return Exit.OK


def _diff(ctx: Context, args: argparse.Namespace) -> int:
    """Operations added and removed on the server since the cached copy."""
    from ..loader import default_spec_url

    if ctx.settings.demo:
        ctx.start_demo()
    loader = ctx.loader()
    url = ctx.settings.spec or default_spec_url(ctx.settings.base_url)
    found = loader.diff(url)
    if found is None:
        raise UsageError("no cached copy of this spec to compare with; run any command once to cache it")
    path, added, removed = found
    ctx.emit({"cached": path, "added": added, "removed": removed}, args.output)
    return Exit.OK
