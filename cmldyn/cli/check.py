"""``cmldyn check``: a read-only conformance crawl of a server against its spec.

Makes the client with a read-only transport (nothing but GET, HEAD and OPTIONS can be sent), runs
the crawl (crawl.py) within its bounds, and reports: a table on a terminal (operation, calls,
statuses, findings) with the coverage and why the rest was not reached, ``-o json``, and
``--junit FILE`` (one test case per operation). Exits 6 when findings reach ``--fail-on``. A crawl
cannot pass by accident: every answer a 401 or 403 is an authentication failure (exit 4), every call
failing to connect a network failure (exit 3), no call at all a failure (exit 1), each saying so.
May import: crawl, errors, output, storage.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from ..errors import AuthError, CmldynError, ContractError, Secrets, TransportError, redact
from .context import Context
from .exits import Exit

if TYPE_CHECKING:
    from ..crawl import Crawl, OperationReport

__all__ = ["junit_xml", "refused", "run"]


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
    _nothing_checked(found, ctx.settings.host or "")
    counts = found.counts()
    failing = counts["error"] + (counts["info"] + counts["advice"] if args.fail_on == "warning" else 0)
    if args.fail_on != "never" and failing:
        raise ContractError(f"{failing} finding(s) at or above --fail-on {args.fail_on} in {found.reached} operations",
                            hint="the table (or -o json) lists them; 'cmldyn spec drift' keeps them too")
    return Exit.OK


def refused(report: OperationReport) -> int | None:
    """401 or 403 when every call of a reached operation was refused with it, else None."""
    codes = set(report.statuses)
    return min(codes) if report.reached and codes and codes <= {401, 403} else None


def _nothing_checked(found: Crawl, host: str) -> None:
    """Raise when the crawl checked nothing: every answer refused the key, no call connected, or no call."""
    reached = [r for r in found.operations if r.reached]
    if not reached:
        why = found.stopped or next((r.skipped for r in found.operations if r.skipped), "") or "no read-only operation"
        raise CmldynError(f"the crawl reached no operation ({why}); nothing was checked",
                          hint="cmldyn check needs list operations it can call without arguments")
    statuses = {code for r in reached for code in r.statuses}
    if statuses <= {401, 403}:
        code = 401 if 401 in statuses else 403
        raise AuthError(f"every call was refused ({code} on {len(reached)} operation{'s' if len(reached) != 1 else ''}); "
                        "nothing was checked", status=code, hint=f"check the API key for {host}")
    if statuses <= {0}:
        first = next((e for r in reached for e in r.errors), "no answer")
        raise TransportError(f"no call got an answer ({len(reached)} operations tried; {first}); nothing was checked")


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
        if refused(r):
            cell = f"refused ({refused(r)}): not checked"
        lines.append(f"{r.name:{width}}  {r.calls:5}  {statuses:14}  {cell}")
        lines += [f"{'':{width}}    {d.severity}: {d}" for d in r.findings[:5]]
        if r.reproduce and (r.findings or r.errors):
            lines.append(f"{'':{width}}    reproduce: {r.reproduce}")
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
    """JUnit XML: one test case per read-only operation; a failure per error finding and per operation whose every
    call was refused with 401 (a 403 is skipped: the key lacks that permission), skipped if not reached."""
    errors = sum(1 for r in found.operations for d in r.findings if d.severity == "error")
    failed = [r for r in found.operations if refused(r) == 401 or any(d.severity == "error" for d in r.findings)]
    suite = ElementTree.Element("testsuite", name="cmldyn check", tests=str(len(found.operations)),
                                failures=str(len(failed)),
                                skipped=str(sum(1 for r in found.operations if not r.reached or refused(r) == 403)),
                                time=f"{found.seconds:.3f}")
    for report in found.operations:
        case = ElementTree.SubElement(suite, "testcase", classname="cmldyn.check", name=report.name)
        bad = [d for d in report.findings if d.severity == "error"]
        if not report.reached:
            ElementTree.SubElement(case, "skipped", message=redact(report.skipped, secrets))
        elif refused(report) == 401:
            failure = ElementTree.SubElement(case, "failure", message="HTTP 401 on every call: the key was not accepted",
                                             type="auth")
            failure.text = redact("\n".join(report.errors), secrets)
        elif refused(report) == 403:
            ElementTree.SubElement(case, "skipped", message="HTTP 403 on every call: the key lacks this permission")
        elif bad:
            failure = ElementTree.SubElement(case, "failure", message=redact(str(bad[0]), secrets), type="drift")
            failure.text = redact("\n".join([str(d) for d in bad] + ([f"reproduce: {report.reproduce}"]
                                                                      if report.reproduce else [])), secrets)
        notes = [f"{d.severity}: {d}" for d in report.findings if d.severity != "error"] + report.errors
        if notes:
            ElementTree.SubElement(case, "system-out").text = redact("\n".join(notes), secrets)
    root = ElementTree.Element("testsuites", tests=suite.get("tests", "0"),
                               failures=str(errors + sum(1 for r in found.operations if refused(r) == 401)))
    root.append(suite)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))
