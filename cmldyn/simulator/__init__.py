"""cmldyn sim: a stateful local CML API v2 server for the offline demo and for every test.

    from cmldyn.simulator import Simulator
    with Simulator(speed=0) as sim:          # a frozen clock: tests move it by hand
        ...  # sim.url, sim.token
        sim.clock.step(10)                   # runs finish, builds build, apps start
        sim.faults.add(path="/projects$", status=503, times=2, retry_after="1")

It serves the packaged copy of the CML spec at /api/v2/swagger.json (no auth, with
an ETag) and answers every operation of it. Imports nothing from the cmldyn client,
and nothing in the client imports it.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from .routes import SpecIndex
from .server import Faults, Seen, SimServer
from .state import SimClock, Workspace

__all__ = ["Faults", "Seen", "SimClock", "Simulator"]


class Simulator:
    """A simulated CML workspace on ``host:port`` (port 0 picks a free one).

    Args:
        token: the API key it accepts; a random one when not given (see ``.token``).
        seed: ``demo`` (projects, jobs, runs, a model, an application) or ``empty``.
        speed: simulated seconds per real second; 0 freezes the clock (step it by hand).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None,
                 seed: str = "demo", speed: float = 1.0) -> None:
        self.token = token or "sim-" + secrets.token_hex(16)
        self.clock = SimClock(speed)
        self.index = SpecIndex()
        self.workspace = Workspace(self.index, self.clock, seed=seed)
        self.faults = Faults()
        self._server = SimServer((host, port), index=self.index, workspace=self.workspace,
                                 token=self.token, faults=self.faults)
        self._thread: threading.Thread | None = None

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

    def forget(self) -> None:
        self._server.seen.clear()

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
