"""``cmldyn spec [show|refresh|diff|validate|resolve|drift]``: the spec itself, its cached copy, and drift.

``diff`` compares the server's spec now with the cached copy through the spec loader,
leaving the cache as it is; ``drift`` lists where recent answers differed from the spec (driftlog.py);
``resolve`` prints the spec with its references inlined (by prance,
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
    if args.action == "drift":
        return _drift(ctx, args)
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


def _drift(ctx: Context, args: argparse.Namespace) -> int:
    """Where the server's answers to the last commands differed from its spec (the drift log)."""
    from .driftlog import drift_path, read_drift

    if not ctx.settings.host and not ctx.settings.demo:
        raise UsageError("this needs --host (or --demo)")
    rows = read_drift(drift_path(ctx.settings, ctx.cache_dir))
    if args.output == "table":
        from ..output import safe_text

        if not rows:
            ctx.stdout.write("no differences from the spec recorded for this server\n")
        for row in rows:
            where = row.get("path", "$")
            ctx.stdout.write(safe_text(f"{row.get('at', '')}  {row.get('severity', ''):6}  {row.get('operation', '')} "
                                       f"({row.get('status', '')})  {row.get('kind', '')}  {where}  "
                                       f"expected {row.get('expected', '')}  got {row.get('given', '')}") + "\n")
        return Exit.OK
    ctx.emit({"findings": rows}, args.output)
    return Exit.OK
