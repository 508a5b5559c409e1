"""What applying an AMP to a project would do, worked out against the project as it is, changing nothing.

    plan = amp_plan(api, "./my-amp", project="churn-demo", env={"OPENAI_API_KEY": key})
    print(plan)             # + create job 'Train' (tasks[0]) · > run job 'Train' (tasks[1]) · = keep ...
    plan.changes            # the steps that change something; [] when the project already is as the file says

Rules the plan follows (each is what the AMP's own import does, or the choice cmldyn made where it is silent):

- The project is found by id or exact name; when there is none, it is created (from ``git_url`` when given,
  else blank) with the AMP's variables as its environment.
- Environment variables: a value given with ``env`` wins; a value the project already has is kept; else the
  file's default. Defaults are written as text (``null`` as empty, booleans as ``True``/``False``). A
  required variable with no value anywhere stops the plan and names itself.
- The runtime is the first ``runtimes`` entry that resolves exactly (editor, kernel, edition; a ``version``
  matches the start of ``full_version``), its ``addons`` matched by display name or identifier. With a
  runtime, tasks' ``kernel`` is dropped (it is for legacy engines).
- Things are found by name: a job, model or application with the task's name is reused, and updated
  where the file says otherwise. A job is run when it was made or changed by this apply or has no
  successful run; a model is built when it has no built build, deployed when no build of it is deployed;
  an application is started (or restarted) unless it runs as the file says.
- ``run_session`` is skipped: API v2 has no sessions. Job ``timeout`` is sent as seconds.

May import: errors, jsonvalue, amp.parse, amp.rules, workflows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import CmldynError, NotFoundError, ParamError, UsageError
from ..jsonvalue import MASK, is_secret_name
from ..workflows.common import find_project, resolve_runtime
from .parse import Metadata, read_metadata
from .rules import Finding, env_text, lint

__all__ = ["AmpPlan", "Step", "amp_plan", "env_text"]

Client = Any  # a cmldyn Client

#: Where each task type's environment comes from in the file (both keys are read; the first wins).
ENV_KEYS = ("environment", "environment_variables")
#: Lint rules whose errors would make an apply fail or do the wrong thing; other errors are reported, not fatal.
BLOCKING = frozenset({"AMP002", "AMP010", "AMP013", "AMP016", "AMP017", "AMP019", "AMP020", "AMP021", "AMP022",
                      "AMP023"})
_MARK = {"create": "+", "update": "~", "set": "~", "run": ">", "build": ">", "deploy": ">", "start": ">",
         "restart": ">", "keep": "=", "skip": "-"}


@dataclass
class Step:
    """One thing the apply does (or, for ``keep``/``skip``, does not do), in the file's order."""

    action: str          # create | update | set | run | build | deploy | start | restart | keep | skip
    kind: str            # project | environment | job | model | application | session
    name: str
    why: str = ""
    index: int | None = None   # the task's place in the file (None: the project and its environment)
    body: dict[str, Any] = field(default_factory=dict)
    target: str = ""           # the id of what exists already
    label: str = ""            # the task's entity_label
    extra: dict[str, Any] = field(default_factory=dict)  # what the apply needs beyond the body

    @property
    def change(self) -> bool:
        return self.action not in ("keep", "skip")

    @property
    def where(self) -> str:
        return f"tasks[{self.index}]" if self.index is not None else self.kind

    def shown_body(self) -> dict[str, Any]:
        return _masked(self.body)

    def __str__(self) -> str:
        text = f"{_MARK.get(self.action, '?')} {self.action} {self.kind} {self.name!r}"
        if self.index is not None:
            text += f" (tasks[{self.index}])"
        return text + (f": {self.why}" if self.why else "")

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "kind": self.kind, "name": self.name, "task": self.index, "why": self.why,
                "id": self.target or None, "body": self.shown_body()}


@dataclass
class AmpPlan:
    """The steps of an apply, with the project, runtime and add-ons they use and the file's findings."""

    path: str
    meta: Metadata
    project: str
    project_id: str
    runtime: str | None
    addons: list[str]
    steps: list[Step]
    findings: list[Finding] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required variables with no value anywhere: apply refuses

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.change]

    def ready(self) -> None:
        """Raise ParamError when an apply cannot start: a required variable has no value anywhere."""
        if self.missing:
            raise ParamError(f"the AMP needs a value for {', '.join(self.missing)} (required, no default, not set in "
                             "the project); nothing was changed", hint=" ".join(f"--env {n}=VALUE" for n in self.missing))

    def __str__(self) -> str:
        lines = [f"AMP {self.meta.data.get('name', '?')!r} -> project {self.project!r}"
                 + (f" ({self.project_id})" if self.project_id else " (to be created)"),
                 f"  runtime: {self.runtime or '(none: legacy engines)'}"]
        if self.addons:
            lines.append(f"  add-ons: {', '.join(self.addons)}")
        lines += [f"  {step}" for step in self.steps]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  ! {name} is required and has no value: pass --env {name}=VALUE" for name in self.missing]
        count = len(self.changes)
        lines.append(f"{count} change{'s' if count != 1 else ''}" if count else "0 changes: the project is as the file says")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"amp": self.meta.data.get("name"), "project": self.project, "project_id": self.project_id or None,
                "runtime": self.runtime, "addons": self.addons, "changes": len(self.changes),
                "steps": [s.to_dict() for s in self.steps], "notes": self.notes, "missing": self.missing,
                "findings": [f.to_dict() for f in self.findings]}


def _masked(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "environment" and isinstance(value, dict):
            out[key] = {k: (MASK if is_secret_name(k) and v else v) for k, v in value.items()}
        elif is_secret_name(key) and value:
            out[key] = MASK
        else:
            out[key] = value
    return out


def amp_plan(api: Client, source: str | Metadata, *, project: str, env: dict[str, str] | None = None,
             git_url: str | None = None, git_ref: str | None = None) -> AmpPlan:
    """Work out an apply of the AMP at ``source`` (a file, a directory holding one, or read metadata) to
    ``project`` (an id or exact name; created when there is none). Changes nothing.

    Raises:
        AmpError: the file cannot be read, or has errors an apply cannot get past (listed, with lines).
        ParamError: no runtime entry resolves in this workspace, or an add-on is not in it. (A required
            variable with no value is listed in ``missing``; the apply refuses it.)
    """
    meta = source if isinstance(source, Metadata) else read_metadata(source)
    findings = lint(meta)
    blocking = [f for f in findings if f.severity == "error" and f.rule in BLOCKING]
    if blocking:
        from .parse import AmpError

        listed = "; ".join(f"line {f.line} {f.path}: {f.message}" for f in blocking[:5])
        raise AmpError(f"{meta.path}: {len(blocking)} error{'s' if len(blocking) != 1 else ''} an apply cannot get "
                       f"past: {listed}", hint=f"cmldyn amp lint {meta.path} lists every finding")
    given = {str(k): env_text(v) for k, v in (env or {}).items()}
    data = meta.data
    try:
        found = find_project(api, project)
    except NotFoundError:
        found = None
    steps: list[Step] = []
    current_env = _environment_of(found) if found is not None else {}
    wanted_env, missing = _wanted_env(data, given, current_env)
    if found is None:
        body: dict[str, Any] = {"name": project, "description": str(data.get("description") or "")[:2048],
                                "template": "git" if git_url else "blank", "environment": wanted_env,
                                "default_project_engine_type": "ml_runtime" if data.get("runtimes") else "legacy_engine"}
        if git_url:
            body["git_url"] = git_url
            if git_ref:
                body["git_ref"] = git_ref
        if isinstance(data.get("shared_memory_limit"), (int, float)):
            body["shared_memory_limit"] = max(1, round(float(data["shared_memory_limit"]) * 1024))  # GB -> MB
        steps.append(Step("create", "project", project, "no project has this id or name", body=body))
        project_id = ""
    else:
        project_id = str(found.id)
        differs = {k: v for k, v in wanted_env.items() if current_env.get(k) != v}
        if differs:
            steps.append(Step("set", "environment", ", ".join(sorted(differs)), "variables the file declares",
                              body={"environment": differs}))
        elif wanted_env:
            steps.append(Step("keep", "environment", ", ".join(sorted(wanted_env)), "already set"))
    notes = []
    if git_url is None and found is None and not _no_files_needed(data):
        notes.append("the project is made blank, so its scripts are not in it: --git-url URL makes it from the "
                     "AMP's repository")
    runtime, addons = _runtime(api, data)
    _task_steps(api, data, project_id, runtime, addons, steps)
    for step in list(steps):  # a model's access key written to the variable the file names
        variable = step.extra.get("access_key_variable") if step.kind == "model" else None
        if variable and step.action == "keep" and current_env.get(variable) != step.extra.get("access_key"):
            steps.insert(steps.index(step) + 1, Step("set", "environment", variable, f"model {step.name}'s access key",
                                                     step.index, {"environment": {variable: MASK}},
                                                     extra={"model": step.target}))
    return AmpPlan(meta.path, meta, project if found is None else str(found.get("name") or project), project_id,
                   runtime, addons, steps, findings, wanted_env, notes, missing)


def _no_files_needed(data: dict[str, Any]) -> bool:
    tasks = data.get("tasks") or []
    return not any(isinstance(t, dict) and t.get("script") for t in tasks)


def _environment_of(project: Any) -> dict[str, str]:
    raw = project.get("environment")
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    try:
        loaded = json.loads(raw) if raw else {}
    except ValueError:
        raise CmldynError("the project's environment is not a JSON object; it is left as it is") from None
    return {str(k): env_text(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _wanted_env(data: dict[str, Any], given: dict[str, str], current: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    raw = data.get("environment_variables")
    declared: dict[Any, Any] = raw if isinstance(raw, dict) else {}
    unknown = sorted(set(given) - {str(k) for k in declared})
    if unknown:
        raise ParamError(f"--env {unknown[0]}: the AMP declares no variable {unknown[0]!r}",
                         hint="declared: " + (", ".join(str(k) for k in declared) or "none"))
    wanted: dict[str, str] = {}
    missing = []
    for name, entry in declared.items():
        name = str(name)
        entry = entry if isinstance(entry, dict) else {}
        if name in given:
            wanted[name] = given[name]
        elif name in current:
            wanted[name] = current[name]
        elif entry.get("default") not in (None, ""):
            wanted[name] = env_text(entry["default"])
        elif entry.get("required") is True:
            missing.append(name)
        else:
            wanted[name] = env_text(entry.get("default"))
    return wanted, missing


def _runtime(api: Client, data: dict[str, Any]) -> tuple[str | None, list[str]]:
    entries = [e for e in (data.get("runtimes") or []) if isinstance(e, dict)]
    if not entries:
        return None, []
    tried = []
    for entry in entries:
        text = "/".join(str(entry.get(k, "")) for k in ("editor", "kernel", "edition"))
        if entry.get("version") is not None:
            text += "/" + str(entry["version"])
        tried.append(text)
        try:
            runtime = resolve_runtime(api, text)
        except ParamError:
            continue
        return runtime, _addons(api, [str(a) for a in entry.get("addons") or []])
    raise ParamError(f"no runtime of this workspace matches the AMP's runtimes ({'; '.join(tried)})",
                     hint="cmldyn call list_runtimes -o table lists the workspace's runtimes")


def _addons(api: Client, wanted: list[str]) -> list[str]:
    if not wanted:
        return []
    every = list(api.list_runtime_addons.items(page_size=100))
    out = []
    for name in wanted:
        hits = [a for a in every if name in (a.get("display_name"), a.get("identifier"))]
        if not hits:
            raise ParamError(f"the runtime add-on {name!r} is not in this workspace",
                             hint="cmldyn call list_runtime_addons -o table lists them by display_name")
        out.append(str(hits[0].get("identifier")))
    return out


def _resources(task: dict[str, Any], gpu_field: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("cpu", "memory"):
        if isinstance(task.get(key), (int, float)) and not isinstance(task.get(key), bool):
            out[key] = task[key]
    if isinstance(task.get("gpu"), int) and not isinstance(task.get("gpu"), bool):
        out[gpu_field] = task["gpu"]
    return out


def _task_env(task: dict[str, Any]) -> dict[str, str] | None:
    for key in ENV_KEYS:
        if isinstance(task.get(key), dict):
            return {str(k): env_text(v) for k, v in task[key].items()}
    return None


def _runtime_fields(task: dict[str, Any], runtime: str | None, addons: list[str]) -> dict[str, Any]:
    if runtime:
        return {"runtime_identifier": runtime, **({"runtime_addon_identifiers": addons} if addons else {})}
    return {"kernel": str(task["kernel"])} if task.get("kernel") else {}


def _arguments(task: dict[str, Any]) -> str | None:
    value = task.get("arguments")
    return None if value is None or str(value).strip().lower() == "none" else str(value)


def _differences(existing: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``body`` the existing object holds otherwise (fields it does not report are left alone)."""
    out = {}
    for key, value in body.items():
        if key in ("name", "runtime_addon_identifiers") or key not in existing:
            continue
        have = existing.get(key)
        if key == "environment":
            try:
                have = json.loads(have) if isinstance(have, str) and have else (have or {})
            except ValueError:
                have = {}
            if {str(k): str(v) for k, v in dict(have).items()} != value:
                out[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                if float(have) != float(value):
                    out[key] = value
            except (TypeError, ValueError):
                out[key] = value
        elif (have or "") != (value or ""):
            out[key] = value
    return out


def _by_name(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        out.setdefault(str(item.get("name")), item)
    return out


def _task_steps(api: Client, data: dict[str, Any], project_id: str, runtime: str | None, addons: list[str],
                steps: list[Step]) -> None:
    tasks = [t if isinstance(t, dict) else {} for t in (data.get("tasks") or [])]
    jobs = _by_name(api.list_jobs.items(project_id, page_size=100)) if project_id else {}
    models = _by_name(api.list_models.items(project_id, page_size=100)) if project_id else {}
    apps = _by_name(api.list_applications.items(project_id, page_size=100)) if project_id else {}
    made: dict[str, Step] = {}  # entity_label -> the step that makes (or keeps) it
    for index, task in enumerate(tasks):
        kind, label = str(task.get("type")), str(task.get("entity_label") or "")
        if kind == "create_job":
            step = _create_job(task, index, jobs, runtime, addons)
        elif kind == "run_job":
            step = _run_job(api, task, index, made.get(label), project_id)
        elif kind == "create_model":
            step = _create_model(task, index, models)
        elif kind == "build_model":
            step = _build_model(api, task, index, made.get(label), project_id, runtime, addons)
        elif kind == "deploy_model":
            step = _deploy_model(api, task, index, made.get(label), project_id, steps)
        elif kind == "start_application":
            step = _start_application(task, index, apps, runtime, addons)
        elif kind == "run_session":
            step = Step("skip", "session", str(task.get("name") or task.get("script") or "session"),
                        "API v2 has no sessions (a workspace's own AMP import runs them)", index)
        else:  # lint's AMP016 blocks unknown types before this
            raise UsageError(f"tasks[{index}]: unknown task type {kind!r}")
        step.label = label
        if kind.startswith("create_") and label:
            made[label] = step
        steps.append(step)


def _create_job(task: dict[str, Any], index: int, jobs: dict[str, Any], runtime: str | None,
                addons: list[str]) -> Step:
    name = str(task["name"])
    body: dict[str, Any] = {"name": name, "script": str(task["script"]), **_resources(task, "nvidia_gpu"),
                            **_runtime_fields(task, runtime, addons)}
    if _arguments(task) is not None:
        body["arguments"] = _arguments(task)
    env = _task_env(task)
    if env:
        body["environment"] = env
    if isinstance(task.get("timeout"), int) and not isinstance(task.get("timeout"), bool):
        body["timeout"] = task["timeout"]
    existing = jobs.get(name)
    if existing is None:
        return Step("create", "job", name, "no job has this name", index, body)
    differs = _differences(existing, {k: v for k, v in body.items() if k != "timeout"})
    if differs:
        return Step("update", "job", name, "differs in " + ", ".join(sorted(differs)), index, differs, str(existing.id))
    return Step("keep", "job", name, "exists as the file says", index, target=str(existing.id))


def _run_job(api: Client, task: dict[str, Any], index: int, made: Step | None, project_id: str) -> Step:
    if made is None:  # lint's AMP019 blocks this
        raise UsageError(f"tasks[{index}]: entity_label {task.get('entity_label')!r} names no job above it")
    body: dict[str, Any] = {}
    if _arguments(task) is not None:
        body["arguments"] = _arguments(task)
    env = _task_env(task)
    if env:
        body["environment"] = env
    resources = _resources(task, "nvidia_gpu")
    extra = {"job": made.name, "resources": resources}
    if made.action in ("create", "update"):
        return Step("run", "job", made.name, f"the job is {made.action}d by this apply", index, body, extra=extra)
    if resources:
        job = api.get_job(project_id, made.target)
        if _differences(job, resources):
            return Step("run", "job", made.name, "with other resources", index, body, made.target, extra=extra)
    runs = list(api.list_job_runs.items(project_id, made.target, page_size=100))
    if any(r.get("status") == "ENGINE_SUCCEEDED" for r in runs):
        return Step("keep", "job", made.name, "it has run successfully", index, target=made.target)
    why = "its last run did not succeed" if runs else "it has never run"
    return Step("run", "job", made.name, why, index, body, made.target, extra=extra)


def _create_model(task: dict[str, Any], index: int, models: dict[str, Any]) -> Step:
    name = str(task["name"])
    body = {"name": name, "description": str(task.get("description") or task.get("short_summary") or name),
            "disable_authentication": task.get("auth_enabled") is not True}
    extra: dict[str, Any] = {"access_key_variable": str(task.get("access_key_environment_variable") or ""),
             "resources": task.get("default_resources") if isinstance(task.get("default_resources"), dict) else {},
             "replicas": (task.get("default_replication_policy") or {}).get("num_replicas")
             if isinstance(task.get("default_replication_policy"), dict) else None}
    existing = models.get(name)
    if existing is None:
        return Step("create", "model", name, "no model has this name", index, body, extra=extra)
    return Step("keep", "model", name, "exists", index, target=str(existing.id),
                extra={**extra, "access_key": existing.get("access_key")})


def _build_model(api: Client, task: dict[str, Any], index: int, made: Step | None, project_id: str,
                 runtime: str | None, addons: list[str]) -> Step:
    if made is None:
        raise UsageError(f"tasks[{index}]: entity_label {task.get('entity_label')!r} names no model above it")
    body: dict[str, Any] = {"file_path": str(task["target_file_path"]),
                            "function_name": str(task["target_function_name"]),
                            "comment": str(task.get("comment") or task.get("name") or "built by cmldyn amp apply"),
                            **_runtime_fields(task, runtime, addons)}
    if made.action == "create":
        return Step("build", "model", made.name, "the model is created by this apply", index, body)
    builds = list(api.list_model_builds.items(project_id, made.target, page_size=100))
    if any(b.get("status") == "built" for b in builds):
        return Step("keep", "model", made.name, "it has a built build", index, target=made.target)
    return Step("build", "model", made.name, "it has no built build", index, body, made.target)


def _deploy_model(api: Client, task: dict[str, Any], index: int, made: Step | None, project_id: str,
                  steps: list[Step]) -> Step:
    if made is None:
        raise UsageError(f"tasks[{index}]: entity_label {task.get('entity_label')!r} names no model above it")
    defaults = made.extra.get("resources") or {}
    body: dict[str, Any] = {}
    for key in ("cpu", "memory"):
        value = task.get(key, defaults.get(key))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            body[key] = value
    gpu = task.get("gpu", defaults.get("gpu"))
    if isinstance(gpu, int) and not isinstance(gpu, bool):
        body["nvidia_gpus"] = gpu
    replicas = task.get("replicas", made.extra.get("replicas"))
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        body["replicas"] = replicas
    env = _task_env(task)
    if env:
        body["environment"] = env
    building = any(s.action == "build" and s.label == made.label for s in steps)
    if made.action == "create" or building:
        return Step("deploy", "model", made.name, "a build of this apply", index, body)
    builds = list(api.list_model_builds.items(project_id, made.target, page_size=100))
    built = sorted((b for b in builds if b.get("status") == "built"), key=lambda b: str(b.get("created_at") or ""))
    for build in builds:
        for dep in api.list_model_deployments.items(project_id, made.target, str(build.id), page_size=100):
            if dep.get("status") == "deployed":
                return Step("keep", "model", made.name, "a build of it is deployed", index, target=made.target)
    if not built:
        raise ParamError(f"tasks[{index}]: model {made.name!r} has no built build to deploy and no task builds it")
    return Step("deploy", "model", made.name, "no build of it is deployed", index, body, made.target,
                extra={"build": str(built[-1].id)})


def _start_application(task: dict[str, Any], index: int, apps: dict[str, Any], runtime: str | None,
                       addons: list[str]) -> Step:
    name = str(task.get("name") or task["subdomain"])
    body: dict[str, Any] = {"name": name, "subdomain": str(task["subdomain"]), "script": str(task["script"]),
                            **_resources(task, "nvidia_gpu"), **_runtime_fields(task, runtime, addons)}
    if task.get("description"):
        body["description"] = str(task["description"])
    env = _task_env(task)
    if env:
        body["environment"] = env
    if isinstance(task.get("bypass_authentication"), bool):
        body["bypass_authentication"] = task["bypass_authentication"]
    existing = apps.get(name)
    if existing is None:
        return Step("create", "application", name, "no application has this name (it starts when made)", index, body)
    differs = _differences(existing, body)
    if differs:
        return Step("update", "application", name, "differs in " + ", ".join(sorted(differs)) + "; then restarted",
                    index, differs, str(existing.id))
    if existing.get("status") == "APPLICATION_RUNNING":
        return Step("keep", "application", name, "runs as the file says", index, target=str(existing.id))
    return Step("restart", "application", name, f"it is {existing.get('status') or 'not running'}", index,
                target=str(existing.id))
