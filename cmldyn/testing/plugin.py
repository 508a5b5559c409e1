"""cmldyn's pytest plugin (the ``pytest11`` entry point ``cmldyn``; ``-p no:cmldyn`` turns it off).

- ``import cmlapi`` resolves to cmldyn from the start of the run, before collection, so modules under
  test that import it at the top import cleanly; not where a real ``cmlapi`` is installed.
- The ``cml`` fixture: a simulator started once per run (per spec) on 127.0.0.1 and reset for each test
  (a few milliseconds), with the session's variables pointed at it and a fake key (see cmldyn.testing).
- ``@pytest.mark.cml(seed=..., progression=..., speed=..., spec=..., drift=..., faults=[...], project=...)``
  configures it for one test (or a module, with ``pytestmark``).

The only module of cmldyn that imports pytest; only pytest imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

from . import Workspace, simulate

if TYPE_CHECKING:
    from ..client import Client
    from ..simulator import Simulator

__all__ = ["cml", "pytest_configure", "pytest_unconfigure"]

_MARKER = ("cml(seed='demo', progression='auto', speed=60, spec=None, drift=None, faults=(), project=None): "
           "the simulated workspace of the cml fixture for this test (cmldyn)")


def pytest_configure(config: pytest.Config) -> None:
    from ..compat import alias

    config.addinivalue_line("markers", _MARKER)
    if not alias.is_enabled():
        config.stash[_ALIASED] = alias.enable()  # False where a real cmlapi is installed: it wins


def pytest_unconfigure(config: pytest.Config) -> None:
    from ..compat import alias

    if config.stash.get(_ALIASED, False):
        alias.disable()


_ALIASED = pytest.StashKey[bool]()


class _Simulators:
    """The run's simulators, one per spec, started on first use; each with the client tests share."""

    def __init__(self) -> None:
        self.running: dict[str, tuple[Simulator, list[Client]]] = {}

    def get(self, spec: Any) -> tuple[Simulator, list[Client]]:
        import secrets

        from ..simulator import Simulator

        key = str(spec)
        if key not in self.running:
            sim = Simulator(token="cmldyn-test-" + secrets.token_hex(12), spec=spec).start()
            self.running[key] = (sim, [])
        return self.running[key]

    def close(self) -> None:
        for sim, clients in self.running.values():
            for api in clients:
                api.close()
            sim.stop()


@pytest.fixture(scope="session")
def _cmldyn_simulators() -> Iterator[_Simulators]:
    pool = _Simulators()
    yield pool
    pool.close()


@pytest.fixture()
def cml(request: pytest.FixtureRequest, _cmldyn_simulators: _Simulators) -> Iterator[Workspace]:
    """A simulated CML workspace for this test (see cmldyn.testing.Workspace): ``cml.api``, ``cml.url``,
    ``cml.token``, ``cml.seen``, ``cml.advance()``, ``cml.next_outcome()``, ``cml.fault()``, factories."""
    marker = request.node.get_closest_marker("cml")
    options = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        raise pytest.UsageError("@pytest.mark.cml takes keywords only: seed=, progression=, speed=, spec=, drift=, "
                                "faults=, project=")
    sim, clients = _cmldyn_simulators.get(options.pop("spec", None))
    with simulate(simulator=sim, client=clients[0] if clients else None, keep=clients.append, **options) as workspace:
        yield workspace
