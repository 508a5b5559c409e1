"""Upgrading an application's runtime, the steps users write by hand, as one verb.

    plan = upgrade_plan(api, "demo", "dashboard", to="JupyterLab/Python 3.12/Standard", addons=["spark352-b1-hadoop3"])
    print(plan)                  # what it will do, to which application, from which runtime to which
    upgrade(api, plan)           # stop, wait until stopped, update runtime and add-ons in ONE request,
                                 # restart, wait until running, check the application reports the new runtime

A failure is named by its step (a WorkloadError where the application ended in a failure state) and
leaves the application as the server has it. May import: errors, workflows.common.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import CmldynError, ParamError, WorkloadError
from .common import find_application, find_project, resolve_runtime, wait_for

__all__ = ["UpgradePlan", "upgrade", "upgrade_plan"]

Client = Any  # a cmldyn Client (see common.py)

STOPPED = ("APPLICATION_STOPPED", "APPLICATION_FAILED")


@dataclass
class UpgradePlan:
    """What an upgrade will do: the application, its runtime now and after, the add-ons, the steps."""

    project_id: str
    app_id: str
    app_name: str
    status: str
    runtime_from: str
    runtime_to: str
    addons: list[str] = field(default_factory=list)

    @property
    def steps(self) -> list[str]:
        running = self.status not in STOPPED
        return ([f"stop application {self.app_name}", "wait until it is stopped"] if running else []) + [
            "update its runtime" + (" and add-ons" if self.addons else "") + " in one request",
            f"{'restart' if running else 'start'} it", "wait until it runs", "check it reports the new runtime"]

    def __str__(self) -> str:
        lines = [f"application {self.app_name} ({self.app_id}), {self.status}",
                 f"  runtime: {self.runtime_from or '(none)'}", f"       to: {self.runtime_to}"]
        if self.addons:
            lines.append(f"  add-ons: {', '.join(self.addons)}")
        lines += [f"  {n}. {step}" for n, step in enumerate(self.steps, start=1)]
        return "\n".join(lines)


def upgrade_plan(api: Client, project: Any, app: Any, *, to: str, addons: list[str] | None = None) -> UpgradePlan:
    """Work out the upgrade without changing anything: the runtime resolved (an identifier, or
    editor/kernel/edition[/version]; an ambiguous one is a ParamError listing the candidates), the add-ons
    checked against the workspace's."""
    found = find_project(api, project)
    application = find_application(api, str(found.id), app)
    runtime = resolve_runtime(api, to)
    known = {a.get("identifier") for a in api.list_runtime_addons.items(page_size=100)} if addons else set()
    unknown = [a for a in addons or [] if a not in known]
    if unknown:
        raise ParamError(f"no runtime add-on {unknown[0]!r} in this workspace",
                         hint=f"known: {', '.join(sorted(str(k) for k in known)) or 'none'}")
    return UpgradePlan(str(found.id), str(application.id), str(application.get("name") or application.id),
                       str(application.get("status", "")), str(application.get("runtime_identifier") or ""), runtime,
                       list(addons or []))


def upgrade(api: Client, plan: UpgradePlan, *, timeout: float = 600.0, delay: float = 2.0, sleep: Any = None) -> Any:
    """Carry a plan out; return the application as it runs afterwards.

    Raises:
        WorkloadError: the application ended in a failure state at a step (named), or reports another runtime.
        CmldynError: a call failed at a step (named in the message).
    """
    pid, aid = plan.project_id, plan.app_id

    def step(name: str, action: Any) -> Any:
        try:
            return action()
        except WorkloadError:
            raise
        except CmldynError as error:
            error.message = f"{name}: {error.message} (the application is left as the server has it)"
            raise

    running = plan.status not in STOPPED
    if running:
        step("stop", lambda: api.stop_application(pid, aid))
        wait_for(api, api.get_application, pid, aid, until="done", timeout=timeout, delay=delay, sleep=sleep,
                 step="wait until stopped")
    body: dict[str, Any] = {"runtime_identifier": plan.runtime_to}
    if plan.addons:
        body["runtime_addon_identifiers"] = plan.addons
    step("update runtime", lambda: api.update_application(body, pid, aid))
    step("restart", lambda: api.restart_application(pid, aid))
    final = wait_for(api, api.get_application, pid, aid, timeout=timeout, delay=delay, sleep=sleep,
                     step="wait until running")
    if final.get("runtime_identifier") != plan.runtime_to:
        raise WorkloadError(f"check: the application reports runtime {final.get('runtime_identifier')!r}, not "
                            f"{plan.runtime_to!r}", last_result=final, step="check")
    return final
