"""Fault suite fixtures: the dashboard printed after the run, and a CLI runner that records every output."""

from __future__ import annotations

import io
from typing import Any

import pytest

from cmldyn.cli import main

from .dashboard import DASHBOARD


def cli(argv: list[str], *, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """cmldyn's main() in-process; the outputs join the canary sweep."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin), env=env if env is not None else {})
    DASHBOARD.texts.extend([out.getvalue(), err.getvalue()])
    return int(code), out.getvalue(), err.getvalue()


def fails_cleanly(code: int, expected: int, stderr: str) -> bool:
    return DASHBOARD.record_failure(code, expected, stderr)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if DASHBOARD.rows or DASHBOARD.hostile:
        for line in DASHBOARD.report():
            terminalreporter.write_line(line)


@pytest.fixture()
def record_row(request: pytest.FixtureRequest) -> Any:
    """Mark this checklist row passed when the test gets to the end."""
    row_id = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    DASHBOARD.rows[row_id] = False

    def done() -> None:
        DASHBOARD.rows[row_id] = True

    return done

