"""Doing an AMP plan: its steps in order, each waited for, stopping at the first failure with its task.

    plan = amp_plan(api, "./my-amp", project="churn-demo")
    result = amp_apply(api, plan, progress=print)    # one line per step as it is done
    result.done                                     # the steps that changed something

A job run, model build or deployment, or application that ends in a failure state stops the apply with a
WorkloadError (exit 7) whose message starts with the task (``tasks[3] run job 'Train'``); any other error
(the API said no, the network) keeps its own class and gets the same prefix. What was done before the
failure stays done, and a second apply carries on from there: everything is found again by name.
May import: errors, amp.plan, workflows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import CmldynError, WorkloadError
from ..workflows.environment import ProjectEnvironment
from .plan import AmpPlan, Step

__all__ = ["ApplyResult", "amp_apply"]

Client = Any  # a cmldyn Client


@dataclass
class ApplyResult:
    """What an apply did: the project, and each step that changed something, with the id it made or used."""

    project_id: str
    done: list[tuple[Step, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "changes": len(self.done),
                "done": [{**step.to_dict(), "id": ident or None} for step, ident in self.done]}


def _update_body(step: Step) -> dict[str, Any]:
    """An update's body: a Job or Application carries its environment as JSON text, not as a map."""
    body = dict(step.body)
    if isinstance(body.get("environment"), dict):
        body["environment"] = json.dumps(body["environment"])
    return body


class _Run:
    def __init__(self, api: Client, plan: AmpPlan, timeout: float, delay: float, sleep: Any,
                 progress: Callable[[str], None]) -> None:
        self.api, self.plan, self.timeout, self.delay, self.sleep, self.say = api, plan, timeout, delay, sleep, progress
        self.project_id = plan.project_id
        self.ids: dict[str, str] = {}     # entity_label -> the id made or found
        self.builds: dict[str, str] = {}  # model entity_label -> the build this apply made
        for step in plan.steps:
            if step.label and step.target and step.kind in ("job", "model"):
                self.ids.setdefault(step.label, step.target)

    def wait(self, getter: Any, *args: str) -> Any:
        import time

        return self.api.wait(getter, *args, timeout=self.timeout, delay=self.delay, sleep=self.sleep or time.sleep)

    def do(self, step: Step) -> str:
        handler = getattr(self, f"_{step.action}_{step.kind}")
        return str(handler(step) or "")

    # ----------------------------------------------------------------- the project and its environment

    def _create_project(self, step: Step) -> str:
        made = self.api.create_project(step.body)
        self.project_id = str(made.id)
        self.wait(self.api.get_project, self.project_id)
        return self.project_id

    def _set_environment(self, step: Step) -> str:
        values = dict(step.body["environment"])
        if "model" in step.extra:  # a model's access key, read now (the plan shows it masked)
            model = self.api.get_model(self.project_id, step.extra["model"])
            values = {step.name: str(model.get("access_key") or "")}
        ProjectEnvironment(self.api, self.project_id).set(values)
        return self.project_id

    # ----------------------------------------------------------------- jobs

    def _create_job(self, step: Step) -> str:
        made = self.api.create_job(step.body, self.project_id)
        self.ids[step.label] = str(made.id)
        return str(made.id)

    def _update_job(self, step: Step) -> str:
        self.api.update_job(_update_body(step), self.project_id, step.target)
        self.ids[step.label] = step.target
        return step.target

    def _run_job(self, step: Step) -> str:
        job_id = self.ids[step.label]
        resources = step.extra.get("resources") or {}
        if resources:  # the task's own resources, set on the job before this run
            self.api.update_job(resources, self.project_id, job_id)
        run = self.api.create_job_run(step.body, self.project_id, job_id)
        self.wait(self.api.get_job_run, self.project_id, job_id, str(run.id))
        return str(run.id)

    # ----------------------------------------------------------------- models

    def _create_model(self, step: Step) -> str:
        made = self.api.create_model(step.body, self.project_id)
        self.ids[step.label] = str(made.id)
        variable = step.extra.get("access_key_variable")
        if variable:
            ProjectEnvironment(self.api, self.project_id).set({variable: str(made.get("access_key") or "")})
        return str(made.id)

    def _build_model(self, step: Step) -> str:
        model_id = self.ids[step.label]
        build = self.api.create_model_build(step.body, self.project_id, model_id)
        self.wait(self.api.get_model_build, self.project_id, model_id, str(build.id))
        self.builds[step.label] = str(build.id)
        return str(build.id)

    def _deploy_model(self, step: Step) -> str:
        model_id = self.ids[step.label]
        build_id = self.builds.get(step.label) or step.extra.get("build")
        if not build_id:
            raise CmldynError(f"model {step.name} has no build to deploy: a build_model task must come before this one")
        dep = self.api.create_model_deployment(step.body, self.project_id, model_id, build_id)
        self.wait(self.api.get_model_deployment, self.project_id, model_id, build_id, str(dep.id))
        return str(dep.id)

    # ----------------------------------------------------------------- applications

    def _create_application(self, step: Step) -> str:
        made = self.api.create_application(step.body, self.project_id)
        self.wait(self.api.get_application, self.project_id, str(made.id))
        return str(made.id)

    def _update_application(self, step: Step) -> str:
        self.api.update_application(_update_body(step), self.project_id, step.target)
        return self._restart_application(step)

    def _restart_application(self, step: Step) -> str:
        self.api.restart_application(self.project_id, step.target)
        self.wait(self.api.get_application, self.project_id, step.target)
        return step.target


def amp_apply(api: Client, plan: AmpPlan, *, timeout: float = 1800.0, delay: float = 5.0, sleep: Any = None,
              progress: Callable[[str], None] | None = None) -> ApplyResult:
    """Do the plan's changes in order, waiting for each run, build, deployment and application.

    Raises:
        WorkloadError: a run, build, deployment or application ended in a failure state (the message starts
            with the task); other errors keep their class and get the same prefix.
    """
    plan.ready()
    run = _Run(api, plan, timeout, delay, sleep, progress or (lambda line: None))
    result = ApplyResult(plan.project_id)
    for step in plan.steps:
        if not step.change:
            continue
        run.say(f"{step} ...")
        try:
            ident = run.do(step)
        except CmldynError as error:
            where = f"{step.where} {step.action} {step.kind} {step.name!r}"
            error.message = f"{where}: {error.message}"
            error.args = (error.message, *error.args[1:])
            if isinstance(error, WorkloadError):
                error.step = where
            raise
        result.project_id = run.project_id
        result.done.append((step, ident))
    result.project_id = run.project_id
    return result
