"""Installed dependencies are at or above the floors pyproject.toml declares ("Dependency floors" in ARCHITECTURE.md)."""

from __future__ import annotations

import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
SECURITY_FLOORS = {"requests": (2, 32, 4), "urllib3": (2, 6, 3)}


def parse(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


@pytest.mark.parametrize("requirement", DEPENDENCIES)
def test_installed_version_meets_the_declared_floor(requirement: str) -> None:
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    if req.marker is not None and not req.marker.evaluate():
        pytest.skip(f"{req.name} is not needed on this Python")
    floor = next(spec.version for spec in req.specifier if spec.operator == ">=")
    assert parse(version(req.name)) >= parse(floor), f"{req.name} {version(req.name)} is below {floor}"


@pytest.mark.parametrize("name,floor", sorted(SECURITY_FLOORS.items()))
def test_security_floors_are_declared_and_met(name: str, floor: tuple[int, ...]) -> None:
    declared = next(parse(r.split(">=")[1]) for r in DEPENDENCIES if r.lower().startswith(name + ">="))
    assert declared >= floor
    assert parse(version(name)) >= floor


def test_no_ceilings() -> None:
    assert not any("<" in r.split(";")[0] or "==" in r for r in DEPENDENCIES)
