"""What a command runs with: the resolved settings, its streams, and a client made on demand.

Owns: building the client from the settings (through ``client.connect``, the same route
as every other entry point), starting the built-in simulator for ``--demo`` (the one
lazy import of it), and closing both. May import: client, errors, output, settings, simulator.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import CredentialError, Secrets, UsageError, redact
from ..settings import Settings

if TYPE_CHECKING:
    from ..client import Client
    from ..export import HarRecorder
    from ..loader import SpecLoader
    from ..simulator import Simulator

__all__ = ["Context", "simulator_spec"]

# A local spec read for `ops` or `describe` needs a URL to build a transport with; never contacted.
_UNUSED_HOST = "http://127.0.0.1"


@dataclass
class Context:
    """The settings and streams of one command, and the client and simulator it started."""

    settings: Settings
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO
    cache_dir: str | None = None  # None: the user's cache directory (tests point it elsewhere)
    api: Client | None = field(default=None, init=False)
    sim: Simulator | None = field(default=None, init=False)
    har_path: str | None = None  # --har FILE: every exchange of the run, written when the command ends
    har: HarRecorder | None = field(default=None, init=False)
    stub_note: bool = True  # say when ./typings was made from another spec (not for `cmldyn stubs` itself)

    @property
    def secrets(self) -> Secrets:
        return self.settings.secrets

    @property
    def cache(self) -> str | bool:
        return self.cache_dir or True

    def start_demo(self, *, speed: float = 1.0) -> None:
        """Start the built-in simulator in-process, for ``--spec`` where one is given (CML's by
        default), and point the settings at it (``speed``: simulated seconds per real second)."""
        if self.sim is not None:
            return
        from ..simulator import Simulator

        self.sim = Simulator(port=0, seed="demo", speed=speed, spec=simulator_spec(self.settings)).start()
        self.settings = self.settings.with_server(self.sim.url, self.sim.token)
        if any(s.kind == "basic" for s in self.sim.index.schemes.values()):
            # The simulator takes any user with its key as the password.
            self.settings = replace(self.settings, user=self.settings.user or "sim", password=self.sim.token)

    def client(self, *, need_host: bool = True) -> Client:
        """The client for these settings, made once. ``need_host=False``: a local ``--spec`` is enough."""
        if self.api is not None:
            return self.api
        from ..client import connect

        if self.settings.demo:
            self.start_demo()
        settings = self.settings
        if not settings.host:
            if settings.spec and not need_host:
                settings = replace(settings, host=_UNUSED_HOST)
            else:  # the built-in simulator serves any spec, so --demo always works
                raise UsageError("no host: pass --host https://<workspace>, set CML_HOST, or try --demo")
        if settings.user and not settings.password:
            settings = self.settings = replace(settings, password=self._ask_password(settings.user))
        if settings.insecure:
            self.stderr.write(f"cmldyn: warning: TLS verification is off for {settings.host}\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The built-in simulator's spec is in this process: caching it would leave a file per random port.
            self.api = connect(settings, cache=False if self.sim is not None else self.cache)
        if self.har_path is not None:
            from ..export import HarRecorder

            self.har = self.har or HarRecorder()
            self.har.attach(self.api.transport)
        if need_host and self.api.needs_key:
            self.api.close()
            self.api = None  # the next call, with a key, builds it again
            raise CredentialError("no API key: pass --token, set CML_API_KEY, or use 'cmldyn repl' to be asked for it")
        for note in self.api.loaded.notes:
            if note.startswith("spec cache"):  # a cache file not trusted (and remade), or not written
                from ..output import safe_text

                self.stderr.write(f"cmldyn: warning: {safe_text(redact(note, self.secrets))}\n")
        from ..loader import UNREACHABLE

        if self.api.spec_state == UNREACHABLE:
            note = next((n for n in self.api.loaded.notes if n.startswith("cannot reach")), "")
            self.stderr.write(f"cmldyn: warning: {redact(note, self.secrets)}\n")
        if self.stub_note:
            from ..stubs import stale_note

            stale = stale_note(self.api.model)  # ./typings made from another spec: said once per change
            if stale:
                self.stderr.write(f"cmldyn: warning: {stale}\n")
        if self.api.spec_changes:
            added, removed = self.api.spec_changes
            plus = f" (+{', '.join(added[:5])})" if added else ""
            minus = f" (-{', '.join(removed[:5])})" if removed else ""
            self.stderr.write(f"cmldyn: the spec changed: {len(added)} operation(s) added, {len(removed)} removed{plus}{minus}\n")
        return self.api

    def save_har(self) -> None:
        """Write ``--har``'s file (0600; the run's exchanges, credentials redacted), even after a failure."""
        if self.har_path is None:
            return
        from ..export import HarRecorder
        from ..output import safe_text

        recorder = self.har or HarRecorder()
        try:
            recorder.save(self.har_path)
        except Exception as error:  # a file that cannot be written is said, the command's own result stands
            message = getattr(error, "message", None) or getattr(error, "strerror", None) or str(error)
            self.stderr.write(f"cmldyn: warning: --har {safe_text(self.har_path)}: not written: {safe_text(message)}\n")
            return

    def _ask_password(self, user: str) -> str:
        """The password for ``--user``, asked without echo on a terminal; never read from argv."""
        from ..output import is_terminal

        if not is_terminal(self.stdin):
            raise CredentialError(f"no password for user {user!r}: set CMLDYN_PASSWORD",
                                  hint="standard input is not a terminal, so it cannot be asked")
        import getpass

        return getpass.getpass(f"Password for {user} (not shown): ", stream=self.stderr)

    def loader(self) -> SpecLoader:
        """The spec loader these settings would use, without making a client."""
        from ..client import spec_loader

        if not self.settings.host:  # a key only where the server wants one: a spec is usually served without
            raise UsageError("this needs --host (or --demo)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return spec_loader(self.settings, cache=self.cache)

    def emit(self, value: Any, fmt: str | None, *, more: str = "") -> None:
        """Print a result: pretty and coloured on a terminal, compact JSON in a pipe, bytes as they are;
        a table fits the terminal (or ``COLUMNS``), and ``more`` says how to get the next pages."""
        from ..output import highlight_json, is_terminal, render, terminal_width

        tty = is_terminal(self.stdout)
        if isinstance(value, (bytes, bytearray)) and fmt in (None, "raw"):
            buffer = getattr(self.stdout, "buffer", None)
            if buffer is not None and not tty:
                self.stdout.flush()
                buffer.write(value)
                buffer.flush()
                return
        chosen = fmt or "json"
        text = render(value, chosen, pretty=tty or chosen != "json", width=terminal_width(self.stdout), more=more)
        if tty and chosen == "json" and not os.environ.get("NO_COLOR"):
            text = highlight_json(text)
        self.stdout.write(text + "\n")

    def close(self) -> None:
        if self.api is not None:
            if self.api.contract.enabled:
                from .driftlog import record_drift

                record_drift(self.api, self.settings, self.cache_dir)
            self.api.close()
        if self.sim is not None:
            self.sim.stop()


def simulator_spec(settings: Settings) -> str | dict[str, Any] | None:
    """What the simulator of ``--demo`` or ``cmldyn sim`` serves: the ``--spec`` file, a ``--spec``
    URL fetched once (through the transport, with the same TLS settings), or None for CML's."""
    source = settings.spec
    if not source or not source.startswith(("http://", "https://")):
        return source
    from urllib.parse import urlsplit

    from ..client import spec_loader

    parts = urlsplit(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loader = spec_loader(replace(settings, host=f"{parts.scheme}://{parts.netloc}", demo=False), cache=False)
        return loader.load(source).spec.raw
