"""``cmldyn repl`` and ``cmldyn sim``: the two commands that stay in the foreground.

``repl`` resolves what the console needs here (the simulator for ``--demo``, the key asked
without echo when none was given) and hands the REPL an explicit client, settings and
streams. May import: errors, output, repl, simulator.
"""

from __future__ import annotations

import argparse
import shlex
import time
from dataclasses import replace
from typing import Any

from ..errors import CmldynError, CredentialError, TransportError
from .context import Context
from .exits import Exit

__all__ = ["run_repl", "run_sim"]


def run_repl(ctx: Context, args: argparse.Namespace) -> int:
    from ..output import is_terminal
    from ..repl.session import ask_key
    from ..repl.session import run_repl as start

    started = time.perf_counter()
    interactive = is_terminal(ctx.stdin)
    if ctx.settings.demo:
        ctx.start_demo()
    settings = ctx.settings
    deferred = _from_cache_first(ctx)  # the cached spec now, its revalidation once the prompt is up
    try:
        api = ctx.client()  # a spec that needs no key (or says how to send one) starts without asking
    except CredentialError:
        if not (settings.host and interactive):
            raise CredentialError("no API key: set CML_API_KEY or pass --token (stdin is not a terminal, so it "
                                  "cannot be asked)") from None
        key = ask_key(settings.host)
        if not key:
            raise CredentialError("no API key given at the prompt", hint="set CML_API_KEY or pass --token") from None
        ctx.settings = replace(settings, token=key)
        api = ctx.client()
    check = None
    if deferred:
        api.loader.offline = False  # from now on the spec is revalidated as usual (.refresh, the check below)
    if deferred or (not settings.demo and api.transport.token):
        from .configure import verify_key

        def check() -> str:
            """Bounded requests after the first prompt is drawn: is the cached spec still the server's, and is
            the key accepted; a problem is said at the start, not at the first call."""
            said = []
            if deferred:
                try:
                    added, removed = api.refresh(conditional=True)
                except TransportError as error:
                    return (f"cmldyn: cannot reach the server ({error.message}); working from the cached spec "
                            "(--offline skips this check)")
                except CmldynError as error:
                    said.append(f"cmldyn: the cached spec could not be checked against the server: {error.message}")
                else:
                    from ..errors import redact
                    from ..loader import UNREACHABLE

                    if api.spec_state == UNREACHABLE:  # the server is not there: say so, as every command does
                        note = next((n for n in api.loaded.notes if n.startswith("cannot reach")), "")
                        return f"cmldyn: {redact(note, settings.secrets)}"
                    if added or removed:
                        said.append(f"cmldyn: the spec changed: {len(added)} operation(s) added, {len(removed)} "
                                    "removed (.refresh lists them)")
            if not settings.demo and api.transport.token:
                accepted, line = verify_key(api, settings.host or api.host)
                if accepted is False:
                    said.append(f"cmldyn: {line}; calls will fail until you start again with another key")
                elif accepted and interactive:
                    said.append(f"cmldyn: {line}")
            return "; ".join(s.removeprefix("cmldyn: ") if i else s for i, s in enumerate(said))

    return start(api, ctx.settings, stdin=ctx.stdin, stdout=ctx.stdout, stderr=ctx.stderr, started=started,
                 interactive=interactive, history="" if args.no_history else args.history, values_ttl=args.values_ttl,
                 output=args.output, check=check)


def _from_cache_first(ctx: Context) -> bool:
    """For the REPL against a host whose spec is cached: start from the cache with no request (no network
    library is even imported before the prompt), and say True so that it is revalidated in the background."""
    settings = ctx.settings
    if settings.demo or settings.offline or settings.refresh or not settings.host:
        return False
    ctx.settings = replace(settings, offline=True)
    try:
        ctx.client()
    except CmldynError:  # nothing cached (or no key yet): start as usual
        ctx.settings = settings
        if ctx.api is not None:
            ctx.api.close()
            ctx.api = None
        return False
    ctx.settings = settings
    return True


def seed_words(text: str) -> tuple[str, int | None]:
    """``--seed``: ``demo``, ``empty``, ``N``, ``demo:N`` or ``empty:N`` -> (the data, the random seed)."""
    from ..errors import UsageError

    name, _, number = text.partition(":") if not text.isdigit() else ("demo", "", text)
    if name not in ("demo", "empty") or (number and not number.isdigit()):
        raise UsageError(f"--seed takes demo, empty, a number N, demo:N or empty:N; not {text!r}")
    return name, int(number) if number else None


def run_sim(ctx: Context, args: argparse.Namespace) -> int:
    from ..simulator import Simulator
    from .context import simulator_spec

    if args.action == "capture":
        from .capture import capture

        return capture(ctx, args)
    if args.save and not args.state:
        from ..errors import UsageError

        raise UsageError("--save writes the state back to --state FILE: give one (it is made if missing)")
    data, rng_seed = seed_words(args.seed)
    spec = simulator_spec(ctx.settings)
    import os

    state = args.state if args.state and os.path.exists(args.state) else None
    sim = Simulator(args.bind_host, args.port, token=args.sim_token, seed=data, speed=args.speed, spec=spec,
                    progression=args.progression, state=state, rng_seed=rng_seed)
    if args.drift:
        from ..errors import UsageError
        from ..simulator.drift import KINDS

        unknown = [k for k in args.drift.split(",") if k.strip() not in KINDS]
        if unknown:
            sim.close()
            raise UsageError(f"unknown drift {unknown[0]!r}; use {', '.join(KINDS)}")
        sim.faults.add(drift=args.drift)
    from ..output import safe_text

    out = ctx.stdout
    if sim.profile.name == "cml":
        out.write(f"cmldyn sim: CML API v2 simulator at {sim.url}\n")
        out.write(f"  API key:  {sim.token}\n")
        for user, key in list(sim.keys.items())[1:]:
            out.write(f"  {user}:  {key}  (an observability machine user's key: it may list workload executions)\n")
        out.write(f"  try:      cmldyn --host {sim.url} --token {sim.token} call list_projects -q 'projects[].name'\n")
    else:
        spec_flag = f" --spec {shlex.quote(str(ctx.settings.spec))}"
        base = f" (the API's paths start at {safe_text(sim.index.base_path)})" if sim.index.base_path else ""
        out.write(f"cmldyn sim: {safe_text(sim.title)} simulator at {sim.url}{base}\n")
        out.write(f"  --host:   {sim.url}\n")
        schemes = sorted({s.describe() for s in sim.index.schemes.values()})
        if schemes:
            out.write(f"  API key:  {sim.token}  (as {' or '.join(schemes)}; HTTP basic: any user, the key as password)\n")
            token = f" --token {sim.token}"
        else:
            out.write("  API key:  none needed (the spec declares no security)\n")
            token = ""
        out.write(f"  try:      cmldyn --host {sim.url}{token}{spec_flag} repl\n")
        out.write(f"            cmldyn --host {sim.url}{token}{spec_flag} ops\n")
    if args.drift:
        out.write(f"  drift:    every answer differs from the spec: {args.drift}\n")
    if state is not None:
        out.write(f"  state:    {safe_text(state)}" + (", written back on exit and every "
                                                           f"{args.save_every:g} s" if args.save else "") + "\n")
        for note in sim.state_notes:
            out.write(f"  state:    {safe_text(note)}\n")
    notes = sim.notes
    for note in notes[:10]:  # said once: what the spec asks that cannot be honoured, or contradicts
        out.write(f"  note:     {safe_text(note)}\n")
    if len(notes) > 10:
        out.write(f"  note:     and {len(notes) - 10} more of the kind\n")
    out.write("  stop with Ctrl-C\n")
    out.flush()
    saver = _Saver(sim, args.state, args.save_every, args.keep_env, ctx.stderr) if args.save else None
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        out.write("cmldyn sim: stopped\n")
    finally:
        if saver is not None:
            saver.stop()  # and the last write, whatever ended the run
        sim.close()
    return Exit.OK


class _Saver:
    """``--save``: the state written every ``every`` seconds on a thread, and once more at the end."""

    def __init__(self, sim: Any, path: str, every: float, keep_env: bool, log: Any) -> None:
        import threading

        self.sim, self.path, self.keep_env, self.log = sim, path, keep_env, log
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, args=(max(1.0, every),), name="cmldyn-sim-save", daemon=True)
        self.thread.start()

    def _loop(self, every: float) -> None:
        while not self.done.wait(every):
            self.write()

    def write(self) -> None:
        from ..errors import CmldynError

        try:
            self.sim.save(self.path, keep_env=self.keep_env)
        except CmldynError as error:
            self.log.write(f"cmldyn sim: state not saved: {error.message}\n")

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        self.write()
