"""``cmldyn sim capture --out FILE``: a workspace's state, crawled read-only, as a file the simulator serves.

The crawl is ``cmldyn check``'s (crawl.py): GET, HEAD and OPTIONS only (the transport refuses the
rest before sending), bounded by ``--max-calls``, ``--rate`` and ``--deadline``. Every answer is filed
the way the simulator keeps state: an operation's collection and parents come from the simulator's
own reading of the spec (its engine, made empty), so ``cmldyn sim --state FILE`` serves the objects
back with their ids. The file is written by simulator/state.py: secret-named fields and environment
values redacted unless ``--keep-env`` (environments), atomically, mode 0600. A progress line on a
terminal; a summary of what was captured and what was not reached. May import: crawl, errors, output,
simulator.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .context import Context
from .exits import Exit

if TYPE_CHECKING:
    from ..model import OperationModel

__all__ = ["capture"]

_KEYS = ("id", "image_identifier", "name", "username", "identifier")  # where an object's own key may be


def capture(ctx: Context, args: argparse.Namespace) -> int:
    from ..crawl import crawl
    from ..jsonvalue import list_items, to_plain
    from ..output import is_terminal, safe_text
    from ..simulator.engine import Engine, SimClock
    from ..simulator.profiles import PROFILES, detect
    from ..simulator.routes import SpecIndex
    from ..simulator.state import snapshot, write_state

    if not args.out:
        raise UsageError("sim capture needs --out FILE, where the state is written")
    started = time.monotonic()
    api = ctx.client()
    api.transport.read_only = True  # the workspace is only read: nothing but GET, HEAD and OPTIONS is sent
    index = SpecIndex(spec=api.spec)
    profile = PROFILES[detect(index)]()
    index.extra_required = dict(profile.extra_required)
    engine = Engine(index, SimClock(0), profile, seed="empty")
    engine.items.clear()  # a profile's own catalogue (CML's runtimes) is not the workspace's
    engine.files.clear()
    kept: Counter[str] = Counter()
    progress = is_terminal(ctx.stderr)

    def file_answer(op: OperationModel, given: dict[str, str], answer: Any) -> None:
        route = index.by_id.get(op.operation_id)
        if route is None:
            return
        kind = engine.kinds[route.operation_id]
        wires = {p.wire: given[p.name] for p in op.params if p.location == "path" and p.name in given}
        parents = tuple(wires.get(name, "") for name in route.names[:kind.parents])
        plain = to_plain(answer)
        objects = list_items(plain) if kind.kind == "list" else ([plain] if isinstance(plain, dict) else [])
        if kind.kind not in ("list", "get") or not objects or (kind.kind == "get" and _key_of(plain, None, nested=False)
                                                              is None):
            # No collection behind it (a settings read): its answer is kept as it came, for these path values.
            engine.recorded[(route.operation_id, tuple(wires.get(n, "") for n in route.names))] = plain
            return
        field = engine.id_field(kind.collection, route)
        store = engine.store(kind.collection, parents)
        for obj in objects:
            key = _key_of(obj, field, nested=kind.kind == "list")
            if key is None:
                continue
            if str(key) not in store:
                kept[kind.collection] += 1
            store[str(key)] = {**store.get(str(key), {}), **obj}  # a get answer adds to what its list said
        if progress:
            ctx.stderr.write(f"\rcapture: {sum(kept.values())} objects")
            ctx.stderr.flush()

    found = crawl(api, max_calls=args.max_calls, rate=args.rate, deadline=args.capture_deadline, on_answer=file_answer)
    if progress:
        ctx.stderr.write("\n")
    write_state(args.out, snapshot(engine, keep_env=args.keep_env, source=ctx.settings.base_url))
    out = ctx.stdout
    collections = ", ".join(f"{c} {n}" for c, n in sorted(kept.items())) or "none"
    redacted = "secret-named fields redacted" if args.keep_env else "environment values and secret-named fields redacted"
    out.write(f"captured {sum(kept.values())} objects from {found.calls} calls in {time.monotonic() - started:.1f} s "
              f"into {safe_text(args.out)} (0600; {redacted})\n")
    out.write(f"  by collection: {safe_text(collections)}; and {len(engine.recorded)} answers of operations with no "
              "collection behind them, kept as they came\n")
    out.write(f"  reached {found.reached} of {len(found.operations)} read-only operations"
              + (f"; stopped: {found.stopped}" if found.stopped else "") + "\n")
    missed: dict[str, list[str]] = {}
    for report in found.operations:
        if not report.reached:
            missed.setdefault(report.skipped or "not reached", []).append(report.name)
    for why, names in sorted(missed.items(), key=lambda kv: -len(kv[1]))[:6]:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.write(f"  not captured ({len(names)}): {safe_text(why)}: {safe_text(shown)}\n")
    return Exit.OK


def _key_of(obj: dict[str, Any], field: str | None, *, nested: bool) -> str | int | None:
    """What names an object in its collection: its id field, a usual key, or (an item of a list) one of a
    nested object's (a collaborator is named by its user's username)."""
    for candidate in (obj, *(v for v in obj.values() if isinstance(v, dict) and nested)):
        key = next((candidate[k] for k in ((field,) if field else ()) + _KEYS
                    if isinstance(candidate.get(k), (str, int)) and not isinstance(candidate.get(k), bool)), None)
        if key is not None:
            return key  # type: ignore[no-any-return]
    return None
