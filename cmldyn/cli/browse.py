"""``cmldyn ops [PATTERN]`` and ``cmldyn describe OPERATION``: what the spec offers.

Both work from a local ``--spec`` file with no host and no key. May import: errors, output, callwords.
"""

from __future__ import annotations

import argparse

from ..errors import UsageError
from .callwords import cli_usage
from .context import Context
from .exits import Exit

__all__ = ["run_describe", "run_explain", "run_help", "run_ops", "run_stubs"]


def run_ops(ctx: Context, args: argparse.Namespace) -> int:
    from ..output import operations_table

    api = ctx.client(need_host=False)
    pattern = (args.pattern or "").lower()
    rows = [(o.name, o.method, o.path, o.summary) for o in api.operations
            if not pattern or pattern in o.name.lower() or pattern in o.path.lower() or pattern in o.summary.lower()]
    if args.output == "json":
        ctx.emit([dict(name=n, method=m, path=p, summary=s) for n, m, p, s in rows], "json")
    else:
        ctx.stdout.write(operations_table(rows) + "\n")
    return Exit.OK


def run_describe(ctx: Context, args: argparse.Namespace) -> int:
    from ..docs import render_doc
    from ..output import safe_text

    api = ctx.client(need_host=False)
    op = api.operation(args.operation)
    depth = getattr(args, "depth", 2)
    if depth < 1:
        raise UsageError(f"--depth takes a whole number from 1; not {depth}")
    ctx.stdout.write(safe_text(render_doc(op, depth=depth)) + "\n\nCommand line: " + safe_text(cli_usage(op)) + "\n")
    return Exit.OK


def run_explain(ctx: Context, args: argparse.Namespace) -> int:
    """``cmldyn explain NAME[.field.path] [--depth N] [--recursive]``."""
    from ..explain import explain
    from ..output import safe_text

    if args.depth < 1:
        raise UsageError(f"--depth takes a whole number from 1; not {args.depth}")
    api = ctx.client(need_host=False)
    ctx.stdout.write(safe_text(explain(api.model, args.target, depth=args.depth, recursive=args.recursive)) + "\n")
    return Exit.OK


def run_help(ctx: Context, args: argparse.Namespace) -> int:
    """``cmldyn help OP``: as ``describe``; ``cmldyn help``: the command's own help."""
    if args.operation is None:
        ctx.stdout.write(args.top_help())
        return Exit.OK
    return run_describe(ctx, args)


def run_stubs(ctx: Context, args: argparse.Namespace) -> int:
    """``cmldyn stubs [--out DIR] [--check]``."""
    from ..jsonvalue import spec_digest
    from ..output import safe_text
    from ..stubs import read_digest, write_stubs

    ctx.stub_note = False
    api = ctx.client(need_host=False)
    out = args.out
    if args.check:
        made = read_digest(out)
        if made is None:
            ctx.stderr.write(f"cmldyn: no stubs in {safe_text(out)}/: 'cmldyn stubs' writes them\n")
            return Exit.API
        if made != spec_digest(api.model.spec.raw):
            ctx.stderr.write(f"cmldyn: the stubs in {safe_text(out)}/ are stale: they were made from another spec; "
                             "'cmldyn stubs' writes them again\n")
            return Exit.API
        ctx.stdout.write(f"the stubs in {safe_text(out)}/ match this spec\n")
        return Exit.OK
    source = ctx.settings.spec or (ctx.settings.host or "")
    report = write_stubs(api.model, out, source="the built-in simulator" if ctx.settings.demo else source)
    ctx.stdout.write(f"wrote {report.files} stub files ({report.bytes // 1024} KB) to {safe_text(out)}/: "
                     f"{report.operations} operations, {report.classes} classes\n"
                     f"pyright and Pylance read ./typings by themselves; for mypy set mypy_path = {safe_text(out)}\n")
    return Exit.OK
