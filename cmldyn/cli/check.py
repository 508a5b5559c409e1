"""``cmldyn check``: a read-only conformance crawl of a server against its spec.

Makes the client with a read-only transport (nothing but GET, HEAD and OPTIONS can be sent), runs
the crawl (crawl.py) within its bounds, and reports: a table on a terminal (operation, calls,
statuses, findings) with the coverage and why the rest was not reached, ``-o json``, and
``--junit FILE`` (one test case per operation). Exits 6 when findings reach ``--fail-on``.
May import: crawl, errors, output, storage.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from ..errors import ContractError, Secrets, redact
from .context import Context
from .exits import Exit

if TYPE_CHECKING:
    from ..crawl import Crawl

__all__ = ["junit_xml", "run"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    from ..crawl import crawl

    api = ctx.client()
    api.transport.read_only = True
    api.contract.enabled = True
    rate = args.rate if args.rate is not None else (0.0 if ctx.settings.demo else 10.0)  # the simulator needs no care
    found = crawl(api, max_calls=args.max_calls, max_depth=args.max_depth, rate=rate, deadline=args.check_deadline)
    secrets = ctx.secrets
    if args.junit:
        from ..storage import write_private

        write_private(args.junit, junit_xml(found, secrets))
    if args.output == "json":
        ctx.emit(found.to_dict(), "json")
    else:
        ctx.stdout.write(redact(_table(found), secrets) + "\n")
    counts = found.counts()
    failing = counts["error"] + (counts["info"] + counts["advice"] if args.fail_on == "warning" else 0)
    if args.fail_on != "never" and failing:
        raise ContractError(f"{failing} finding(s) at or above --fail-on {args.fail_on} in {found.reached} operations",
                            hint="the table (or -o json) lists them; 'cmldyn spec drift' keeps them too")
    return Exit.OK


def _table(found: Crawl) -> str:
    from ..output import safe_text

    rows = [r for r in found.operations if r.reached]
    width = max([len(r.name) for r in rows] + [9])
    lines = [f"{'operation':{width}}  calls  statuses        findings"]
    for r in rows:
        statuses = " ".join(f"{code}×{n}" if n > 1 else str(code) for code, n in sorted(r.statuses.items()))
        errors = sum(1 for d in r.findings if d.severity == "error")
        infos = len(r.findings) - errors
        cell = "-" if not r.findings else f"{errors} error" + (f", {infos} info" if infos else "")
        lines.append(f"{r.name:{width}}  {r.calls:5}  {statuses:14}  {cell}")
        lines += [f"{'':{width}}    {d.severity}: {d}" for d in r.findings[:5]]
    counts = found.counts()
    total = len(found.operations)
    lines.append("")
    lines.append(f"reached {found.reached} of {total} read-only operations in {found.calls} calls "
                 f"({found.seconds:.1f} s); findings: {counts['error']} error, {counts['info']} info, "
                 f"{counts['advice']} advice" + (f"; stopped: {found.stopped}" if found.stopped else ""))
    reasons: dict[str, list[str]] = {}
    for r in found.operations:
        if not r.reached:
            reasons.setdefault(r.skipped or "not reached", []).append(r.name)
    for reason, names in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        lines.append(f"  not reached ({len(names)}): {reason}: {shown}")
    return safe_text("\n".join(lines))


def junit_xml(found: Crawl, secrets: Secrets = ()) -> bytes:
    """JUnit XML: one test case per read-only operation; a failure per error finding, skipped if not reached."""
    errors = sum(1 for r in found.operations for d in r.findings if d.severity == "error")
    suite = ElementTree.Element("testsuite", name="cmldyn check", tests=str(len(found.operations)),
                                failures=str(sum(1 for r in found.operations if any(d.severity == "error" for d in r.findings))),
                                skipped=str(sum(1 for r in found.operations if not r.reached)),
                                time=f"{found.seconds:.3f}")
    for report in found.operations:
        case = ElementTree.SubElement(suite, "testcase", classname="cmldyn.check", name=report.name)
        bad = [d for d in report.findings if d.severity == "error"]
        if not report.reached:
            ElementTree.SubElement(case, "skipped", message=redact(report.skipped, secrets))
        elif bad:
            failure = ElementTree.SubElement(case, "failure", message=redact(str(bad[0]), secrets), type="drift")
            failure.text = redact("\n".join(str(d) for d in bad), secrets)
        notes = [f"{d.severity}: {d}" for d in report.findings if d.severity != "error"] + report.errors
        if notes:
            ElementTree.SubElement(case, "system-out").text = redact("\n".join(notes), secrets)
    root = ElementTree.Element("testsuites", tests=suite.get("tests", "0"), failures=str(errors))
    root.append(suite)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))
