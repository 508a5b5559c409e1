"""``cmldyn check``'s crawl: the spec's read-only operations called against a server, answers checked.

Owns: choosing what to call and with which values. Lists first (GET operations that need no
value), then operations whose path parameters are filled with ids found in earlier answers: the
items of ``GET /projects`` give ``project_id`` (the last word of the list's path, singular, plus
``_id``; or the item path parameter of the same collection), and every ``*_id`` field of an item
comes along, so ``list_jobs(project_id=...)`` then ``get_job(project_id, job_id)`` use values that
belong together. Bounded by calls, depth (how many answers an id is away from a list that needs
none), rate and a deadline; what was not reached is said, with why. The client it is given must
have a read-only transport (the CLI sets one): this module never builds a write, and the transport
refuses one anyway. May import: errors, contract, jsonvalue, model, naming.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .contract import Drift
from .errors import ApiError, CmldynError
from .jsonvalue import list_items
from .naming import singular

if TYPE_CHECKING:
    from .client import Client
    from .model import OperationModel

__all__ = ["Crawl", "OperationReport", "crawl"]

JSON = Any
Binding = dict[str, str]  # parameter name -> a value that belongs with the others


@dataclass
class OperationReport:
    """What happened to one read-only operation."""

    name: str
    method: str
    path: str
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[Drift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str = ""  # why it was not called
    reproduce: str = ""  # the first call with a finding or an error, as a curl command (the key as "$CML_API_KEY")

    @property
    def reached(self) -> bool:
        return self.calls > 0

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.name, "method": self.method.upper(), "path": self.path, "calls": self.calls,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "findings": [d.to_dict() for d in self.findings], "errors": self.errors, "skipped": self.skipped,
                "reproduce": self.reproduce or None}


@dataclass
class Crawl:
    """The whole crawl: one report per read-only operation, and what bounded it."""

    operations: list[OperationReport]
    calls: int
    seconds: float
    stopped: str = ""  # the bound that ended the crawl early, if one did

    @property
    def reached(self) -> int:
        return sum(1 for r in self.operations if r.reached)

    def counts(self) -> dict[str, int]:
        found = [d for r in self.operations for d in r.findings]
        return {s: sum(1 for d in found if d.severity == s) for s in ("error", "info", "advice")}

    def to_dict(self) -> dict[str, Any]:
        return {"reached": self.reached, "read_only_operations": len(self.operations), "calls": self.calls,
                "seconds": round(self.seconds, 3), "stopped": self.stopped, "counts": self.counts(),
                "operations": [r.to_dict() for r in self.operations]}


def _id_names(op: OperationModel, item_params: dict[str, str]) -> list[str]:
    """What an item of this list is called as a parameter: the collection's item path parameter, and
    ``<singular of the last literal path word>_id``."""
    words = [w for w in op.path.strip("/").split("/") if w and not w.startswith("{")]
    names = []
    prefix = op.path.rstrip("/")
    if prefix in item_params:
        names.append(item_params[prefix])
    if words:
        last = singular(words[-1].split(":")[0].replace("-", "_"))
        names += [f"{last}_id", f"{last}Id"]
    return names


def crawl(api: Client, *, max_calls: int = 200, max_depth: int = 4, rate: float = 10.0, deadline: float = 60.0,
          per_operation: int = 3, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep,
          on_answer: Callable[[OperationModel, dict[str, str], JSON], None] | None = None) -> Crawl:
    """Call the spec's read-only operations, lists first, then those whose ids earlier answers gave.

    ``on_answer(op, arguments, answer)`` sees every answer that came back (``sim capture`` keeps them)."""
    started = clock()
    ops = [op for op in api.model.operations.values() if op.method in ("get", "head")]
    reports = {op.name: OperationReport(op.name, op.method, op.path) for op in ops}
    # "/projects/{project_id}" -> "project_id": how a collection's items are named as parameters
    item_params: dict[str, str] = {}
    for op in ops:
        head, _, last = op.path.rstrip("/").rpartition("/")
        if last.startswith("{") and last.endswith("}"):
            item_params.setdefault(head, last[1:-1])
    bindings: list[tuple[int, Binding]] = [(0, {})]  # (depth, values that belong together)
    done: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    calls = 0
    stopped = ""
    interval = 1.0 / rate if rate > 0 else 0.0
    last_call = None
    pending = [op for op in ops if not op.binary_response]
    for op in ops:
        if op.binary_response:
            reports[op.name].skipped = "its answer is a file (binary): not fetched"
    progress = True
    while progress and not stopped:
        progress = False
        # Operations needing fewer values first: lists before items, parents before children.
        for op in sorted(pending, key=lambda o: (sum(1 for p in o.params if p.required), o.path)):
            needed = [p for p in op.params if p.required and p.location in ("path", "query", "header")]
            if reports[op.name].calls >= per_operation:
                continue
            for depth, binding in sorted(bindings, key=lambda b: (b[0], -len(b[1]))):
                args = _arguments(op, needed, binding)
                if args is None or depth > max_depth:
                    continue
                key = (op.name, tuple(sorted(args.items())))
                if key in done:
                    continue
                if calls >= max_calls:
                    stopped = f"--max-calls {max_calls} reached"
                    break
                if clock() - started > deadline:
                    stopped = f"--deadline {deadline:g} s reached"
                    break
                if last_call is not None and interval:
                    wait = interval - (clock() - last_call)
                    if wait > 0:
                        sleep(wait)
                done.add(key)
                calls += 1
                last_call = clock()
                progress = True
                data = _call(api, op, args, reports[op.name])
                if on_answer is not None and data is not None:
                    on_answer(op, args, data)
                used = {p.wire: args[p.name] for p in op.params if p.name in args}  # what this call was given
                names = _id_names(op, item_params)
                level = (depth if args else 0) + 1  # how many answers away from a list that needs nothing
                for item in list_items(data)[:5]:
                    new = dict(used)
                    if isinstance(item.get("id"), (str, int)):
                        new.update((name, str(item["id"])) for name in names)
                    for key_name, value in item.items():
                        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "" and (
                                key_name.endswith(("_id", "Id")) or key_name in ("name", "identifier")
                                or key_name.endswith("identifier")):
                            new.setdefault(key_name, str(value))
                    if new and (level, new) not in bindings:
                        bindings.append((level, new))
                break  # one call per operation and round; more values come in later rounds
            if stopped:
                break
    for op in pending:
        report = reports[op.name]
        if report.reached or report.skipped:
            continue
        needed = [p for p in op.params if p.required and p.location in ("path", "query", "header")]
        missing = sorted({p.wire for p in needed} - set().union(*(b.keys() for _, b in bindings)))
        together = any(_arguments(op, needed, b) is not None for _, b in bindings)
        queries = [p.wire for p in needed if p.location != "path" and p.wire in missing]
        if stopped and not missing:
            report.skipped = f"not reached: {stopped}"
        elif queries:
            report.skipped = f"needs a required {'query' if needed else ''} value: {', '.join(queries)}"
        elif missing:
            report.skipped = f"no value found for {', '.join(missing)}"
        elif not together:
            report.skipped = f"no answer gave {', '.join(p.wire for p in needed)} together"
        else:
            report.skipped = f"ids deeper than --max-depth {max_depth}"
    return Crawl(list(reports.values()), calls, clock() - started, stopped)


def _arguments(op: OperationModel, needed: list[Any], binding: Binding) -> dict[str, str] | None:
    """Keyword arguments for ``op`` from one binding (by wire name, then Python name; an enum's first
    value or the default for a required query value), or None where one is missing."""
    args: dict[str, str] = {}
    for param in needed:
        value = binding.get(param.wire, binding.get(param.name))
        if value is None:  # not an id: an enum's first value, the default, or false
            enum = param.enum
            default = param.schema.default
            value = str(enum[0]) if enum else (str(default) if default is not None else None)
            if value is None and param.schema.type == "boolean":
                value = "false"
        if value is None:
            return None
        args[param.name] = value.lower() if value in ("True", "False") else value
    return args


def _call(api: Client, op: OperationModel, args: dict[str, str], report: OperationReport) -> JSON:
    mark = api.contract.mark()
    report.calls += 1
    data: JSON = None
    try:
        result = api.call(op, **args)
        report.statuses[int(getattr(result, "_status", 200) or 200)] += 1
        data = result.to_dict() if hasattr(result, "to_dict") else result
    except ApiError as error:
        report.statuses[error.status] += 1
        report.errors.append(str(error)[:300])
    except CmldynError as error:
        report.statuses[0] += 1
        report.errors.append(str(error)[:300])
    found = api.contract.since(mark)
    report.findings.extend(found)
    if (found or report.errors) and not report.reproduce:
        report.reproduce = api.last_curl() or ""
    return data
