"""Figures the fault suite collects while it runs and prints at the end (the checklist in ARCHITECTURE.md)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ERROR_LINE = re.compile(r"^cmldyn: error: .+$")


@dataclass
class Dashboard:
    rows: dict[str, bool] = field(default_factory=dict)  # checklist id -> passed
    failures_seen: int = 0  # CLI runs that were meant to fail
    clean_failures: int = 0  # ... with the right exit code and one error line
    tracebacks: int = 0
    texts: list[str] = field(default_factory=list)  # every output captured, for the canary sweep
    permission_checks: int = 0
    permission_violations: int = 0
    hostile: list[tuple[str, int, float, int]] = field(default_factory=list)  # name, code, seconds, peak KB
    hostile_opens: int = 0
    hostile_connects: int = 0
    faults: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # kind -> [ok, total]
    duplicated_posts: int = 0
    retry_timing: list[str] = field(default_factory=list)
    deadlines: list[tuple[str, float, float]] = field(default_factory=list)  # case, limit, took
    memory: list[tuple[str, int]] = field(default_factory=list)  # case, peak KB
    interrupts: list[bool] = field(default_factory=list)
    concurrency: tuple[int, int, int] | None = None  # calls, errors, mismatches
    canary_hits: int | None = None
    properties: dict[str, int] = field(default_factory=dict)
    spec_load: tuple[float, float, int] | None = None  # cold with validation, warm, operations
    floors: tuple[int, int] | None = None  # packages below floor, packages checked

    def record_failure(self, code: int, expected: int, stderr: str) -> bool:
        """A CLI run that should fail: the expected code and exactly one error line (+ optional hint)."""
        self.failures_seen += 1
        lines = [line for line in stderr.splitlines() if line.strip()]
        errors = [line for line in lines if not line.startswith(("hint: ", "cmldyn: warning: ", "cmldyn: retrying"))]
        clean = code == expected and len(errors) == 1 and bool(ERROR_LINE.match(errors[0]))
        if "Traceback" in stderr:
            self.tracebacks += 1
            clean = False
        self.clean_failures += clean
        return clean

    def report(self) -> list[str]:
        passed = sum(self.rows.values())
        lines = ["", "cmldyn fault-suite dashboard", "-" * 72]

        def row(figure: str, value: Any, goal: str) -> None:
            lines.append(f"{figure:34} {str(value):22} goal: {goal}")

        row("checklist cases passing", f"{passed} / {len(self.rows)}", "every case of the checklist")
        pct = 100 * self.clean_failures / self.failures_seen if self.failures_seen else 100
        row("clean failures", f"{pct:.0f} % of {self.failures_seen}", "100 %")
        row("tracebacks without --debug", self.tracebacks, "0")
        row("token leaks (canary sightings)", "not swept" if self.canary_hits is None else self.canary_hits, "0")
        row("file-permission violations", f"{self.permission_violations} of {self.permission_checks}", "0")
        slowest = max((h[2] for h in self.hostile), default=0.0)
        biggest = max((h[3] for h in self.hostile), default=0) // 1024
        contained = sum(1 for h in self.hostile if h[1] == 5)
        loaded = sum(1 for h in self.hostile if h[1] == 0)
        row("hostile specs contained", f"{contained} exit 5, {loaded} load / {len(self.hostile)}",
            ">= 12; refused, or loaded as a graph")
        row("  connects / file opens", f"{self.hostile_connects} / {self.hostile_opens}", "0 / 0")
        row("  slowest / largest", f"{slowest:.2f} s / {biggest} MB", "< 2 s / < 200 MB")
        for kind, (ok, total) in sorted(self.faults.items()):
            row(f"fault survival: {kind}", f"{ok} / {total}", "100 %")
        row("duplicated POSTs", self.duplicated_posts, "0")
        for note in self.retry_timing:
            row("retry timing", note, "sleeps <= cap, Retry-After +-10 %")
        for case, limit, took in self.deadlines:
            row(f"deadline: {case}", f"{took:.2f} s (limit {limit:.0f})", "<= deadline + 1 s")
        for case, kb in self.memory:
            row(f"peak RSS: {case}", f"{kb // 1024} MB", "<= 150 MB")
        row("Ctrl-C", f"{sum(self.interrupts)} of {len(self.interrupts)}", "all: prompt back / exit 130")
        if self.concurrency:
            calls, errors, mismatched = self.concurrency
            row("concurrency (8 threads)", f"{calls} calls, {errors} errors, {mismatched} mismatched", "0 errors, 0 mismatched")
        if self.spec_load:
            cold, warm, ops = self.spec_load
            row(f"spec load ({ops} ops)", f"cold+validate {cold:.2f} s, warm {warm:.3f} s", "<= 20 s, <= 0.5 s")
        if self.floors:
            row("dependency floors", f"{self.floors[0]} below, of {self.floors[1]}", "0 below")
        for name, count in sorted(self.properties.items()):
            row(f"property: {name}", f"{count} examples", "0 exceptions outside cmldyn.errors")
        return lines


DASHBOARD = Dashboard()
