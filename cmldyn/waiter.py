"""Poll a callable until a resource reaches a final status.

Owns: which status values are final, which of those are success, and the polling
loop (delay, timeout, attempts, progress, an injected sleep and clock). Takes a
callable, never a Client. May import: errors.

Final states come from the spec's enum where the field has one: a value ending
in a success word (SUCCEEDED, COMPLETED, FINISHED...) succeeds, one ending in a
failure word (FAILED, TIMEDOUT, KILLED...) fails, STOPPED / SKIPPED / CANCELLED
end without success; where the enum has no success word at all (an application:
STARTING, RUNNING, STOPPED, FAILED), RUNNING, AVAILABLE, READY and ACTIVE are the
success. CML's free-string statuses (model builds and deployments, a project's
creation_status) come from a small table of the values clients poll for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .errors import WaiterError, WorkloadError
from .results import field_of

__all__ = ["StatusRule", "rule_from_enum", "wait_until"]

SUCCESS_WORDS = ("SUCCEEDED", "SUCCESS", "COMPLETED", "FINISHED", "DONE", "BUILT", "DEPLOYED")
FAILURE_WORDS = ("FAILED", "FAILURE", "ERROR", "TIMEDOUT", "TIMED_OUT", "KILLED", "ABORTED")
ENDED_WORDS = ("STOPPED", "SKIPPED", "CANCELLED", "CANCELED", "DELETED")
LIVE_WORDS = ("RUNNING", "AVAILABLE", "READY", "ACTIVE")
# Free-string statuses of CML (not enums in the spec): what scripts poll for.
FREE_STRING_STATES = {
    "built": "success", "build failed": "failure",
    "deployed": "success", "stopped": "ended", "failed": "failure",
    "success": "success", "failure": "failure", "timedout": "failure",
}


@dataclass(frozen=True)
class StatusRule:
    """How to read one resource's status: the field and the class of each value."""

    field: str
    classes: dict[str, str]  # value -> success | failure | ended

    def classify(self, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value)
        return self.classes.get(text) or FREE_STRING_STATES.get(text.lower())


def rule_from_enum(field: str, values: Iterable[Any]) -> StatusRule:
    values = [str(v) for v in values]
    upper = {v: v.upper() for v in values}
    has_success = any(u.endswith(SUCCESS_WORDS) for u in upper.values())
    classes: dict[str, str] = {}
    for value, u in upper.items():
        if u.endswith(SUCCESS_WORDS) or (not has_success and u.endswith(LIVE_WORDS)):
            classes[value] = "success"
        elif u.endswith(FAILURE_WORDS):
            classes[value] = "failure"
        elif u.endswith(ENDED_WORDS):
            classes[value] = "ended"
    return StatusRule(field, classes)


def wait_until(
    poll: Callable[[], Any],
    rule: StatusRule,
    *,
    until: str = "success",
    delay: float = 2.0,
    timeout: float = 600.0,
    max_attempts: int | None = None,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    first: Any = None,
    noun: str = "",
) -> Any:
    """Call ``poll`` until the status field is final; return the last result.

    Args:
        until: "success" raises WorkloadError on a final state that is not success;
            "done" returns on any final state.
        noun: what is waited on (``job run``), named with its id in the errors.
    Raises:
        WorkloadError: failed (or ended, with until="success"), with ``last_result``.
        WaiterError: timed out, or out of attempts, with ``last_result``.
    """
    if until not in ("success", "done"):
        raise ValueError("until takes 'success' or 'done'")
    started = clock()
    attempts = 0
    result = first
    while True:
        if attempts > 0 or result is None:
            result = poll()
        attempts += 1
        value = field_of(result, rule.field)
        kind = rule.classify(value)
        if progress is not None:
            progress(f"{rule.field}: {value} ({clock() - started:.0f} s, attempt {attempts})")
        if kind == "success" or (kind is not None and until == "done"):
            return result
        who = _named(result, noun)
        if kind in ("failure", "ended"):
            raise WorkloadError(f"{who}{rule.field} is {value}: it will not reach success", last_result=result)
        if max_attempts is not None and attempts >= max_attempts:
            raise WaiterError(f"gave up after {attempts} attempts; {who}{rule.field} is still {value}", last_result=result)
        if clock() - started + delay > timeout:
            raise WaiterError(f"gave up after {timeout:.0f} s; {who}{rule.field} is still {value}", last_result=result)
        sleep(delay)


def _named(result: Any, noun: str) -> str:
    """``job run 4kq2-…: `` for a message: what was waited on, by its id (or name)."""
    ident = next((v for v in (field_of(result, "id"), field_of(result, "name")) if isinstance(v, (str, int)) and v != ""),
                 None)
    if ident is None:
        return f"{noun}: " if noun else ""
    return f"{noun + ' ' if noun else ''}{ident}: "
