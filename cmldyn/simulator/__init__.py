"""cmldyn sim: a stateful local server for any spec (the CML API v2 by default), for the offline
demo and for every test.

    from cmldyn.simulator import Simulator
    with Simulator(speed=0) as sim:          # CML; a frozen clock: tests move it by hand
        ...  # sim.url, sim.token
        sim.clock.step(10)                   # runs finish, builds build, apps start
        sim.faults.add(path="/projects$", status=503, times=2, retry_after="1")
        sim.faults.add(path="/projects$", drift="extra-field,bad-enum")   # answers that differ from the spec
    with Simulator(spec="petstore.yaml") as sim:   # any Swagger 2.0 / OpenAPI 3.x spec
        ...

It serves its spec at /api/v2/swagger.json (no auth, with an ETag; any other spec also at
/openapi.json) and answers every operation of it: the engine (engine.py) infers collections from
paths, the profile (profiles/) adds what one API does beyond that. Imports nothing from the
cmldyn client, and nothing in the client imports it.
"""

from __future__ import annotations

import os
import secrets
import threading
from typing import Any, Union

from .engine import PROGRESSIONS, Engine, SimClock
from .profiles import PROFILES, detect
from .routes import SpecIndex
from .server import Drifted, Faults, Seen, SimServer

__all__ = ["Drifted", "Faults", "PROFILES", "PROGRESSIONS", "Seen", "SimClock", "Simulator"]

SpecSource = Union[str, "os.PathLike[str]", bytes, dict[str, Any], None]


class Simulator:
    """A simulated API on ``host:port`` (port 0 picks a free one): a CML workspace unless ``spec`` says otherwise.

    Args:
        token: the API key it accepts, in whatever way the spec's security schemes say (for HTTP
            basic: any user, this as the password); a random one when not given (see ``.token``).
        seed: ``demo`` (CML: projects, jobs, runs, a model, an application; any other spec: a few
            generated objects in each collection) or ``empty``.
        speed: simulated seconds per real second; 0 freezes the clock (step it by hand).
        spec: a spec file (JSON or YAML), its JSON bytes or a parsed dict; None for the packaged CML spec.
        profile: ``cml`` or ``generic``; by default CML's for the CML API, else the generic one.
        progression: how enum statuses move: ``time`` (with the clock), ``manual`` (the clock is
            frozen; ``clock.step()`` moves it) or ``immediate`` (straight to their final value).
        state: a state file (or its parsed JSON) to start from instead of the seed's data: one written by
            ``save()``, ``cmldyn sim --save`` or ``cmldyn sim capture`` (``state_notes`` says what of it
            did not fit this spec and was dropped).
        rng_seed: the seed of every made-up value (ids, samples); with it, the clock starts at a fixed
            moment, so the same calls get byte-identical answers (the clock still runs unless frozen).

    Raises:
        SpecError: the spec cannot be read or is refused (the same checks as the client's).
        ValueError: an unknown seed, profile or progression.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None,
                 seed: str = "demo", speed: float = 1.0, spec: SpecSource = None, profile: str | None = None,
                 progression: str = "time", state: str | dict[str, Any] | None = None,
                 rng_seed: int | None = None) -> None:
        self.token = token or "sim-" + secrets.token_hex(16)
        self.rng_seed = rng_seed
        self.clock = SimClock(0 if progression == "manual" else speed, fixed=rng_seed is not None)
        self.index = _index(spec)
        name = profile or detect(self.index)
        if name not in PROFILES:
            raise ValueError(f"unknown simulator profile {name!r}; use {' or '.join(sorted(PROFILES))}")
        self.profile = PROFILES[name]()
        self.index.extra_required = dict(self.profile.extra_required)
        self.workspace = Engine(self.index, self.clock, self.profile, seed="empty" if state is not None else seed,
                                progression=progression, rng_seed=7 if rng_seed is None else rng_seed)
        self.state_notes: list[str] = []
        if state is not None:
            self.load(state)
        self.faults = Faults()
        self._server = SimServer((host, port), index=self.index, workspace=self.workspace, profile=self.profile,
                                 token=self.token, faults=self.faults)
        self._thread: threading.Thread | None = None
        self._linted = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        address = self._server.server_address[0]
        host = address.decode() if isinstance(address, bytes) else str(address)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        """Requests received, oldest first (for tests: what reached the server)."""
        return list(self._server.seen)

    @property
    def drifted(self) -> list[Drifted]:
        """Changes the drift rules made to answers, oldest first (``faults.add(drift="extra-field")``)."""
        return list(self._server.drifted)

    def forget(self) -> None:
        self._server.seen.clear()

    def snapshot(self, *, keep_env: bool = False) -> dict[str, Any]:
        """The state as JSON (see state.py), secret-named fields and environment values redacted unless
        ``keep_env`` (environments)."""
        from .state import snapshot

        return snapshot(self.workspace, keep_env=keep_env)

    def save(self, path: str, *, keep_env: bool = False) -> None:
        """Write the state to ``path``: atomically, mode 0600, never through a link."""
        from .state import write_state

        write_state(path, self.snapshot(keep_env=keep_env))

    def load(self, state: str | dict[str, Any]) -> list[str]:
        """Replace the state with a saved or captured one (a file or its JSON); return (and keep in
        ``state_notes``) what did not fit this spec and was dropped.

        Raises:
            SpecError: a file that cannot be read, is damaged, or is no simulator state.
        """
        from .state import read_state, restore

        self.state_notes = restore(self.workspace, read_state(state) if isinstance(state, str) else state)
        return self.state_notes

    def reset(self, *, seed: str = "demo", progression: str = "time", speed: float = 1.0) -> None:
        """A fresh workspace at the same address with the same key: new state (``seed``), the clock at zero
        (frozen for ``manual``), no faults, no requests seen. A few milliseconds: what a test fixture
        does before each test instead of starting a simulator.

        Raises:
            ValueError: an unknown seed or progression.
        """
        clock = SimClock(0 if progression == "manual" else speed, fixed=self.rng_seed is not None)
        workspace = Engine(self.index, clock, self.profile, seed=seed, progression=progression,
                           rng_seed=7 if self.rng_seed is None else self.rng_seed)
        self.clock, self.workspace = clock, workspace
        self._server.workspace = workspace
        self.faults.clear()
        self._server.seen.clear()
        self._server.drifted.clear()

    def start(self) -> "Simulator":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="cmldyn-sim", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop a simulator started with start() (on its thread)."""
        self._server.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close(self) -> None:
        """Release the listening socket (after serve_forever() returned)."""
        self._server.server_close()

    def __enter__(self) -> "Simulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def keys(self) -> dict[str, str]:
        """Every user the simulator knows and its key: the simulator's own key first (CML's profile adds an
        observability machine user, who may list workload executions)."""
        return self.profile.keys(self.token)

    @property
    def notes(self) -> list[str]:
        """What the spec asks that the simulator cannot honour, or where the spec contradicts itself (a
        reference that leads nowhere, an example that breaks its schema, a pattern no string could be made
        for), each once: ``cmldyn sim`` says them at start-up, and the simulator serves on."""
        from .samples import lint

        sampler = self.workspace.sampler
        if not self._linted:
            roots = [view for route in self.index.routes
                     for view in (self.index.response_view(route), self.index.body_view(route)) if view is not None]
            lint(roots, sampler)
            self._linted = True
        notes = [w for w in self.index.spec.warnings if "$ref" in w]
        notes += [f"{pointer}: {text}" for pointer, text in sorted(sampler.unhonoured.items())]
        return notes

    @property
    def title(self) -> str:
        """The spec's own title (what ``cmldyn sim`` names on start)."""
        return self.index.title or "API"


def _index(spec: SpecSource) -> SpecIndex:
    if spec is None:
        return SpecIndex()
    if isinstance(spec, bytes):
        return SpecIndex(spec)
    from ..spec import load_spec

    return SpecIndex(spec=load_spec(spec))
