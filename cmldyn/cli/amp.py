"""``cmldyn amp``: an AMP's ``.project-metadata.yaml`` linted, planned against a project, applied.

    cmldyn amp lint PATH ... [-o json]                          exit 0 clean, 1 findings, 2 unusable file
    cmldyn amp plan PATH [--project P] [--env NAME=value ...] [-o json]
    cmldyn amp apply PATH [--project P] [--env NAME=value ...] [--git-url URL [--git-ref REF]] [-o json]
    cmldyn --demo amp apply PATH ...                            the same against a fresh built-in simulator

``lint`` needs no workspace. ``plan`` and ``apply`` find the project by id or exact name (default: the
AMP's name), and ``apply`` stops at the first failed task (exit 7 where its workload failed). The verbs
are cmldyn.amp's; this module parses the words and prints. May import: errors, output, amp.
"""

from __future__ import annotations

import argparse
import json
import time

from ..errors import UsageError
from .context import Context
from .exits import Exit

__all__ = ["run"]

#: How fast the simulator's clock runs for ``--demo``: an AMP's runs and builds take a moment, not minutes.
DEMO_SPEED = 60.0


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "lint":
        return _lint(ctx, args)
    if len(args.paths) != 1:
        raise UsageError(f"amp {args.action} takes one PATH (a .project-metadata.yaml, or the directory holding it)")
    from ..amp import amp_apply, amp_plan, read_metadata
    from ..output import safe_text

    meta = read_metadata(args.paths[0])
    env = _env_words(args.env or [])
    demo = ctx.settings.demo
    if demo:
        ctx.start_demo(speed=DEMO_SPEED)
    api = ctx.client()
    project = args.project or str(meta.data.get("name") or "").strip()
    if not project:
        raise UsageError("the AMP has no name to name its project after: pass --project P")
    plan = amp_plan(api, meta, project=project, env=env, git_url=args.git_url, git_ref=args.git_ref)
    as_json = args.output == "json"
    if args.action == "plan":
        ctx.stdout.write((json.dumps(plan.to_dict(), indent=2) if as_json else safe_text(str(plan))) + "\n")
        return Exit.OK
    if not as_json:
        ctx.stdout.write(safe_text(str(plan)) + "\n")
    plan.ready()
    if demo and not as_json:
        ctx.stdout.write(f"--demo: applying to the built-in simulator (its clock runs {DEMO_SPEED:g}x fast)\n")
    started = time.monotonic()

    def progress(line: str) -> None:  # what is being done, as the command's output; the JSON lists it at the end
        if not as_json:
            ctx.stdout.write(safe_text(line) + "\n")
            ctx.stdout.flush()

    poll = args.poll if args.poll is not None else (0.05 if demo else 5.0)
    if not 0 < poll <= 600:
        raise UsageError(f"--poll takes seconds between 0 and 600; not {args.poll}")
    result = amp_apply(api, plan, timeout=args.wait_timeout, delay=poll, progress=progress)
    took = time.monotonic() - started
    if as_json:
        ctx.stdout.write(json.dumps({**result.to_dict(), "seconds": round(took, 2)}, indent=2) + "\n")
    else:
        count = len(result.done)
        ctx.stdout.write(f"applied {count} change{'s' if count != 1 else ''} in {took:.1f} s to project "
                         f"{plan.project} ({result.project_id})\n")
    return Exit.OK


def _env_words(words: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise UsageError(f"--env takes NAME=value; not {word!r}")
        values[name] = value
    return values


def _lint(ctx: Context, args: argparse.Namespace) -> int:
    from ..amp import AmpError, lint, read_metadata
    from ..output import safe_text

    if not args.paths:
        raise UsageError("amp lint needs a PATH (a .project-metadata.yaml, or the directory holding it)")
    worst = Exit.OK
    report = []
    for path in args.paths:
        try:
            meta = read_metadata(path)
        except AmpError as error:
            if args.output == "json":
                report.append({"file": path, "error": error.message, "findings": []})
            else:
                ctx.stderr.write(safe_text(f"cmldyn: error: {error.message}") + "\n")
            worst = Exit.USAGE
            continue
        findings = lint(meta)
        if any(f.severity in ("error", "warning") for f in findings) and worst == Exit.OK:
            worst = Exit.API
        if args.output == "json":
            report.append({"file": meta.path, "findings": [f.to_dict() for f in findings]})
            continue
        for f in findings:
            line = f"{meta.path}:{f.line}: {f.severity} {f.rule} {f.path or '(file)'}: {f.message}"
            ctx.stdout.write(safe_text(line + (f" (valid: {f.valid})" if f.valid else "")) + "\n")
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())
        ctx.stderr.write(f"{meta.path}: {summary}\n")
    if args.output == "json":
        ctx.stdout.write(json.dumps(report if len(args.paths) > 1 else report[0], indent=2) + "\n")
    return worst
