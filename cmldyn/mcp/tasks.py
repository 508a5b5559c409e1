"""Long waits as tasks (the MCP Tasks extension, ``io.modelcontextprotocol/tasks``), in plain Python.

``wait_for`` on a 2026-07-28 connection whose client declares the extension makes its first call (the
start: a job run, a build, a deployment) and answers at once with a task; a thread of the task's own
follows the workload, and ``tasks/get`` shows its status as the workload reports it (``status:
ENGINE_RUNNING (12 s, attempt 4)``). When the workload ends the task is ``completed`` with the tool's
result (an ``isError`` result where the workload failed). ``tasks/cancel`` stops following it at the
next poll and stops the workload itself where the spec has a stop operation for it (``POST …:stop``)
and the server's flags allow that operation without a person's approval; otherwise the task says the
workload goes on, and why. Tasks are kept in memory for :data:`KEEP_SECONDS` after they end, at most
:data:`MAX_TASKS`, and at most ``max_running`` follow workloads at once. May import: errors, model, mcp.tools.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..errors import CmldynError
from .tools import Reply, Toolbox, Waiting

__all__ = ["EXTENSION", "KEEP_SECONDS", "MAX_TASKS", "Task", "TaskBoard", "stop_workload"]

EXTENSION = "io.modelcontextprotocol/tasks"
KEEP_SECONDS = 3600.0
MAX_TASKS = 1000
POLL_MS = 1000
TERMINAL = ("completed", "failed", "cancelled")


class _Cancelled(Exception):
    """Raised in a task's thread at its next poll once the task is cancelled."""


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Task:
    """One wait followed in the background."""

    id: str
    created: float
    updated: float
    status: str = "working"
    message: str = ""
    result: dict[str, Any] | None = None
    ended: float | None = None
    owner: str = ""  # who may see it: a digest of the caller's own key, or empty
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def view(self) -> dict[str, Any]:
        """The task as ``tasks/get`` returns it (the detailed form: the result once completed)."""
        with self.lock:
            out: dict[str, Any] = {"taskId": self.id, "status": self.status, "createdAt": _stamp(self.created),
                                   "lastUpdatedAt": _stamp(self.updated), "ttlMs": int(KEEP_SECONDS * 1000),
                                   "pollIntervalMs": POLL_MS}
            if self.message:
                out["statusMessage"] = self.message
            if self.status == "completed" and self.result is not None:
                out["result"] = self.result
            if self.status == "failed":
                out["error"] = {"code": -32603, "message": self.message or "internal error"}
            return out

    def note(self, message: str) -> None:
        with self.lock:
            if self.status not in TERMINAL:
                self.message = message[:500]
                self.updated = time.time()

    def finish(self, status: str, message: str, result: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.status, self.message, self.result = status, message[:500], result
            self.updated = self.ended = time.time()


class TaskBoard:
    """The tasks of one server: started by ``wait_for``, read by ``tasks/get``, stopped by ``tasks/cancel``."""

    def __init__(self, toolbox: Toolbox, *, max_running: int = 32) -> None:
        self.toolbox = toolbox
        self.max_running = max_running
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def running(self) -> int:
        with self._lock:
            return sum(1 for t in self._tasks.values() if t.status not in TERMINAL)

    def start(self, waiting: Waiting, render: Callable[[Reply], dict[str, Any]], owner: str = "") -> Task | None:
        """A task following ``waiting`` on a thread of its own; None when ``max_running`` already run. Only the
        same ``owner`` (a digest of the caller's own key, over HTTP; empty for the server's) sees it again."""
        now = time.time()
        with self._lock:
            self._tasks = {k: t for k, t in self._tasks.items() if t.ended is None or now - t.ended < KEEP_SECONDS}
            if sum(1 for t in self._tasks.values() if t.status not in TERMINAL) >= self.max_running:
                return None
            while len(self._tasks) >= MAX_TASKS:  # the oldest ended task goes first
                ended = [t for t in self._tasks.values() if t.ended is not None]
                if not ended:
                    return None
                del self._tasks[min(ended, key=lambda t: t.ended or 0).id]
            task = Task(secrets.token_urlsafe(16), now, now, message=f"{waiting.noun}: started", owner=owner)
            self._tasks[task.id] = task
        threading.Thread(target=self._follow, args=(task, waiting, render), name=f"cmldyn-task-{task.id[:6]}",
                         daemon=True).start()
        return task

    def get(self, task_id: str, owner: str = "") -> Task | None:
        with self._lock:
            task = self._tasks.get(str(task_id))
        return task if task is not None and task.owner == owner else None

    def cancel(self, task_id: str, owner: str = "") -> Task | None:
        task = self.get(task_id, owner)
        if task is not None:
            task.cancel.set()
        return task

    def _follow(self, task: Task, waiting: Waiting, render: Callable[[Reply], dict[str, Any]]) -> None:
        def sleep(seconds: float) -> None:
            if task.cancel.wait(seconds):
                raise _Cancelled

        try:
            if task.cancel.is_set():
                raise _Cancelled
            reply = self.toolbox.follow(waiting, progress=lambda line: task.note(f"{waiting.noun}: {line}"),
                                        sleep=sleep)
        except _Cancelled:
            task.finish("cancelled", stop_workload(self.toolbox, waiting))
            return
        except Exception as error:  # noqa: BLE001 - a task never ends without a status
            task.finish("failed", f"the wait broke: {type(error).__name__}")
            return
        ended = "ended with an error" if reply.failed else "done"
        task.finish("completed", f"{waiting.noun}: {ended}", render(reply))


def stop_workload(toolbox: Toolbox, waiting: Waiting) -> str:
    """After a cancelled wait: stop what it followed where the spec has a stop operation for it and the
    flags allow that operation without a person's approval; the task's last message either way."""
    from ..model import resource_path

    client = waiting.client or toolbox.api  # the key the wait was started with
    origin = getattr(waiting.first, "_origin", None)
    if origin is None:
        return f"cancelled: stopped waiting; {waiting.noun} was not stopped (cannot tell where it is)"
    path = resource_path(origin[0], origin[1], waiting.first)
    if path is None:
        return f"cancelled: stopped waiting; {waiting.noun} was not stopped (its answer has no id)"
    found = client.model.match("post", path + ":stop")
    if found is None:
        return f"cancelled: stopped waiting; {waiting.noun} goes on (the API has no operation that stops it)"
    stop, values = found
    refusal = toolbox.policy.refusal(stop)
    if refusal:
        return f"cancelled: stopped waiting; {waiting.noun} goes on: {refusal}"
    if toolbox.policy.confirm_writes:
        return (f"cancelled: stopped waiting; {waiting.noun} goes on: stopping it needs a person's approval; "
                f"call {stop.name} to ask for it")
    try:
        client.call(stop, **{p.name: values[p.wire] for p in stop.path_params})
    except CmldynError as error:
        return f"cancelled: stopped waiting; {waiting.noun} could not be stopped: {error.message}"
    return f"cancelled: {waiting.noun} stopped ({stop.name})"
