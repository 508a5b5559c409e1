"""The AMP lint rules, as a table: each rule an id, a severity and a check over the read metadata.

The rules follow the AMP Project Specification (top-level fields with their limits, environment
variables, runtimes, tasks) and what real metadata files get wrong (typo'd field names, versions YAML
reads as numbers, dates not written as "YYYY-MM-DD", subdomains that are no DNS label, tasks that refer
to an entity_label no earlier task makes). Each finding names its field path and the file's line, and
says what would be valid. ``error``: apply would fail or do the wrong thing; ``warning``: it works but
not as the author likely meant; ``info``: worth knowing, changes nothing. May import: errors, amp.parse.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import did_you_mean
from .parse import FILE_NAME, Metadata

__all__ = ["Finding", "RULES", "Rule", "TASK_FIELDS", "TASK_TYPES", "env_text", "lint"]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    path: str
    line: int
    message: str
    valid: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "path": self.path, "line": self.line,
                "message": self.message, "valid": self.valid}


Found = Iterator[tuple[str, str, str]]  # (field path, what is wrong, what would be valid)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[Metadata], Found]


TOP_LIMITS = {"name": 200, "description": 2048, "author": 64, "specification_version": 16, "prototype_version": 16}
REQUIRED = ("name", "description", "author", "specification_version", "prototype_version")
TOP_FIELDS = (*TOP_LIMITS, "date", "shared_memory_limit", "environment_variables", "feature_dependencies",
              "engine_images", "runtimes", "tasks")
LEGACY_TOP = ("api_version",)
ENV_FIELDS = ("default", "description", "required", "prompt_user")
RUNTIME_FIELDS = ("editor", "kernel", "edition", "version", "addons")
FEATURES = ("model_metrics",)
_COMMON = ("type", "name", "short_summary", "long_summary", "entity_label")
_RESOURCES = ("cpu", "memory", "gpu")
#: Each task type with the fields it takes, its required ones, and which create task an entity_label names.
TASK_FIELDS: dict[str, tuple[str, ...]] = {
    "create_job": (*_COMMON, "script", "arguments", "environment", *_RESOURCES, "kernel", "timeout"),
    "run_job": (*_COMMON, "arguments", "environment", *_RESOURCES),
    "run_session": (*_COMMON, "script", "code", "arguments", *_RESOURCES, "kernel"),
    "start_application": (*_COMMON, "subdomain", "script", "description", "environment_variables", "environment",
                          *_RESOURCES, "kernel", "bypass_authentication", "static_subdomain", "is_embedded"),
    "create_model": (*_COMMON, "description", "default_replication_policy", "default_resources",
                     "access_key_environment_variable", "auth_enabled"),
    "build_model": (*_COMMON, "comment", "target_file_path", "target_function_name", "examples", "kernel",
                    "environment_variables", "environment"),
    "deploy_model": (*_COMMON, *_RESOURCES, "environment_variables", "environment", "replicas"),
}
TASK_TYPES = tuple(TASK_FIELDS)
TASK_REQUIRED = {"create_job": ("name", "script"), "run_job": ("entity_label",), "run_session": ("script",),
                 "start_application": ("name", "subdomain", "script"), "create_model": ("name",),
                 "build_model": ("entity_label", "target_file_path", "target_function_name"),
                 "deploy_model": ("entity_label",)}
REFERS = {"run_job": "create_job", "build_model": "create_model", "deploy_model": "create_model"}
_SUBDOMAIN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def env_text(value: Any) -> str:
    """An environment value as the API takes it (text): null is empty, a boolean ``True``/``False`` (as Python
    writes it, which is what the AMPs' own Python scripts compare with, and what Cloudera's tooling sends)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value)
    return str(value)


def _tasks(meta: Metadata) -> list[tuple[int, dict[str, Any]]]:
    tasks = meta.data.get("tasks")
    return [(i, t) for i, t in enumerate(tasks) if isinstance(t, dict)] if isinstance(tasks, list) else []


def _file_name(meta: Metadata) -> Found:
    import os

    if os.path.basename(meta.path) != FILE_NAME:
        yield "", f"the file is named {os.path.basename(meta.path)!r}", f"{FILE_NAME}, in the project's root"


def _duplicate_keys(meta: Metadata) -> Found:
    for path, _ in meta.duplicates:
        yield path, "this key is given twice in one mapping: YAML keeps the last", "each key once"


def _required(meta: Metadata) -> Found:
    for name in REQUIRED:
        if meta.data.get(name) in (None, ""):
            yield name, f"the required field {name} is missing", f"{name}: a string of at most {TOP_LIMITS[name]} characters"


def _limits(meta: Metadata) -> Found:
    for name, limit in TOP_LIMITS.items():
        value = meta.data.get(name)
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            yield name, f"{name} is a {type(value).__name__}", f"a string of at most {limit} characters"
        elif len(meta.text.get(name, str(value))) > limit:
            yield name, f"{name} is {len(str(value))} characters long", f"at most {limit} characters"


def _unquoted_versions(meta: Metadata) -> Found:
    for name in ("specification_version", "prototype_version"):
        value = meta.data.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = meta.text.get(name, str(value))
            yield name, f"{name} {shown} is read as the number {value!r}", f'a quoted string: {name}: "{shown}"'


def _date(meta: Metadata) -> Found:
    if "date" not in meta.data:
        return
    value = meta.data["date"]
    if isinstance(value, datetime.date):
        yield "date", "the date is not quoted, so YAML reads it as a date, not text", f'date: "{value.isoformat()}"'
        return
    text = str(value)
    if not _DATE.match(text):
        yield "date", f"{text!r} is not a date as YYYY-MM-DD", 'date: "2024-01-20" (zero-padded, quoted)'
        return
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        yield "date", f"{text!r} is no day of the calendar", "a real date as YYYY-MM-DD"


def _unknown_top(meta: Metadata) -> Found:
    for key in meta.data:
        if str(key) not in TOP_FIELDS and str(key) not in LEGACY_TOP:
            yield str(key), f"{key!r} is not a field of the specification{did_you_mean(str(key), TOP_FIELDS)}", \
                ", ".join(TOP_FIELDS)


def _legacy_top(meta: Metadata) -> Found:
    for key in LEGACY_TOP:
        if key in meta.data:
            yield key, f"{key} is from older (engine) metadata and is ignored", "leave it out"


def _shared_memory(meta: Metadata) -> Found:
    value = meta.data.get("shared_memory_limit")
    if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
        yield "shared_memory_limit", f"{value!r} is not a positive number of GB", "a number of GB, such as 0.5"


def _env_shape(meta: Metadata) -> Found:
    env = meta.data.get("environment_variables")
    if env is None:
        return
    if not isinstance(env, dict):
        yield "environment_variables", f"environment_variables is a {type(env).__name__}", \
            "a mapping NAME: {default: ..., description: ..., required: true|false}"
        return
    for name, entry in env.items():
        where = f"environment_variables.{name}"
        if not _ENV_NAME.match(str(name)):
            yield where, f"{name!r} is not an environment variable name", "letters, digits and _, not first a digit"
        if not isinstance(entry, dict):
            yield where, f"the entry is a {type(entry).__name__}", "a mapping with default, description, required"
            continue
        for key in entry:
            if key not in ENV_FIELDS:
                yield f"{where}.{key}", f"{key!r} is not a field of an environment variable" \
                                       f"{did_you_mean(str(key), ENV_FIELDS)}", ", ".join(ENV_FIELDS)
        if "required" in entry and not isinstance(entry["required"], bool):
            yield f"{where}.required", f"required is {entry['required']!r}", "true or false"


def _env_defaults(meta: Metadata) -> Found:
    env = meta.data.get("environment_variables")
    for name, entry in (env.items() if isinstance(env, dict) else ()):
        if isinstance(entry, dict) and "default" in entry and not isinstance(entry["default"], str):
            value = entry["default"]
            becomes = "empty" if value is None else repr(env_text(value))
            yield f"environment_variables.{name}.default", f"the default {value!r} is not text: it is written as " \
                f"{becomes}", f'a quoted string, such as default: "{env_text(value)}"'


def _env_secret_without_default(meta: Metadata) -> Found:
    env = meta.data.get("environment_variables")
    for name, entry in (env.items() if isinstance(env, dict) else ()):
        if isinstance(entry, dict) and entry.get("required") is True and entry.get("default") in (None, ""):
            yield f"environment_variables.{name}", f"{name} is required and has no default: apply needs its value", \
                f"cmldyn amp apply ... --env {name}=VALUE"


def _list_field(meta: Metadata, name: str, valid: str) -> tuple[list[Any], list[tuple[str, str, str]]]:
    """A top-level list field's items (none when it is absent), or the finding that it is no list."""
    value = meta.data.get(name)
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [(name, f"{name} is a {type(value).__name__}", valid)]
    return value, []


def _runtimes(meta: Metadata) -> Found:
    runtimes, wrong = _list_field(meta, "runtimes", "a list of {editor, kernel, edition}")
    yield from wrong
    for i, entry in enumerate(runtimes):
        where = f"runtimes[{i}]"
        if not isinstance(entry, dict):
            yield where, f"the entry is a {type(entry).__name__}", "a mapping with editor, kernel, edition"
            continue
        for key in ("editor", "kernel", "edition"):
            if not isinstance(entry.get(key), str) or not entry.get(key):
                yield f"{where}.{key}", f"{key} is missing or not text", f'{key}: such as "JupyterLab", "Python 3.11", "Standard"'
        for key in entry:
            if key not in RUNTIME_FIELDS:
                yield f"{where}.{key}", f"{key!r} is not a field of a runtime{did_you_mean(str(key), RUNTIME_FIELDS)}", \
                    ", ".join(RUNTIME_FIELDS)
        if "version" in entry and not isinstance(entry["version"], str):
            yield f"{where}.version", f"version {meta.text.get(where + '.version', entry['version'])} is read as a number", \
                f'a quoted string: version: "{meta.text.get(where + ".version", entry["version"])}"'
        if "addons" in entry and not (isinstance(entry["addons"], list) and all(isinstance(a, str) for a in entry["addons"])):
            yield f"{where}.addons", "addons is not a list of names", 'a list: addons: ["Spark 3.5.1 - CDE 1.24.1"]'


def _engine_images(meta: Metadata) -> Found:
    images = meta.data.get("engine_images")
    if images is None:
        return
    if not isinstance(images, list) or not all(isinstance(i, dict) and "image_name" in i for i in images):
        yield "engine_images", "engine_images is not a list of {image_name, tags}", "- image_name: engine\n  tags: [14]"


def _features(meta: Metadata) -> Found:
    found, wrong = _list_field(meta, "feature_dependencies", "a list of feature names")
    yield from wrong
    for i, name in enumerate(found):
        if name not in FEATURES:
            yield f"feature_dependencies[{i}]", f"{name!r} is not a workspace feature cmldyn knows", ", ".join(FEATURES)


def _tasks_shape(meta: Metadata) -> Found:
    tasks, wrong = _list_field(meta, "tasks", "a list of tasks, each with a type")
    yield from wrong
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            yield f"tasks[{i}]", f"the task is a {type(task).__name__}", "a mapping with type: and its fields"
        elif task.get("type") not in TASK_TYPES:
            kind = task.get("type")
            yield f"tasks[{i}].type", f"{kind!r} is not a task type{did_you_mean(str(kind), TASK_TYPES)}", \
                ", ".join(TASK_TYPES)


def _task_required(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        kind = task.get("type")
        for name in TASK_REQUIRED.get(str(kind), ()):
            if task.get(name) in (None, "") and not (kind == "run_session" and name == "script" and task.get("code")):
                yield f"tasks[{i}].{name}", f"a {kind} task needs {name}", f"{name}: ..."


def _task_unknown(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        known = TASK_FIELDS.get(str(task.get("type")))
        for key in task if known else ():
            if str(key) not in known:  # type: ignore[operator]
                yield f"tasks[{i}].{key}", f"{key!r} is not a field of a {task['type']} task" \
                                           f"{did_you_mean(str(key), known)}", ", ".join(known)  # type: ignore[arg-type]


def _references(meta: Metadata) -> Found:
    made: dict[str, str] = {}  # entity_label -> the type of the create task that made it
    for i, task in _tasks(meta):
        kind, label = task.get("type"), task.get("entity_label")
        wanted = REFERS.get(str(kind))
        if wanted is not None and label is not None and made.get(str(label)) != wanted:
            where = "a later task" if any(str(t.get("entity_label")) == str(label) and t.get("type") == wanted
                                          for _, t in _tasks(meta)) else "no task"
            yield f"tasks[{i}].entity_label", f"{label!r} names no {wanted} before this task ({where} makes it)", \
                f"the entity_label of a {wanted} task above this one"
        if str(kind).startswith("create_") and label is not None:
            made[str(label)] = str(kind)


def _duplicate_labels(meta: Metadata) -> Found:
    seen: set[str] = set()
    for i, task in _tasks(meta):
        label = task.get("entity_label")
        if str(task.get("type")).startswith("create_") and label is not None:
            if str(label) in seen:
                yield f"tasks[{i}].entity_label", f"entity_label {label!r} is made twice", "a label of its own"
            seen.add(str(label))


def _duplicate_names(meta: Metadata) -> Found:
    seen: set[tuple[str, str]] = set()
    for i, task in _tasks(meta):
        kind, name = str(task.get("type")), task.get("name")
        if kind in ("create_job", "start_application", "create_model") and name:
            if (kind, str(name)) in seen:
                yield f"tasks[{i}].name", f"a second {kind} named {name!r}: apply finds them by name", "a name of its own"
            seen.add((kind, str(name)))


def _subdomain(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        value = task.get("subdomain")
        if task.get("type") != "start_application" or value is None:
            continue
        if not _SUBDOMAIN.match(str(value)):
            yield f"tasks[{i}].subdomain", f"{value!r} is not a lower-case DNS label", \
                "lower-case letters and digits, single hyphens between them (my-app)"
        elif len(str(value)) > 63:
            yield f"tasks[{i}].subdomain", f"the subdomain is {len(str(value))} characters long", \
                "at most 63 characters (one DNS label)"


#: Task text fields and the lengths cmldyn holds them to: the specification's task tables give none that we
#: could read, so these are the top-level ones (name 200, description 2048) applied alike.
TASK_TEXT_LIMITS = {"name": 200, "short_summary": 200, "long_summary": 2048, "description": 2048, "script": 2048,
                    "comment": 2048}


def _task_text(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        for key, limit in TASK_TEXT_LIMITS.items():
            value = task.get(key)
            if value is None:
                continue
            if isinstance(value, (dict, list)):
                yield f"tasks[{i}].{key}", f"{key} is a {type(value).__name__}", f"text of at most {limit} characters"
            elif len(str(value)) > limit:
                yield f"tasks[{i}].{key}", f"{key} is {len(str(value))} characters long", f"at most {limit} characters"


def _resources(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        for key in ("cpu", "memory"):
            value = task.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
                yield f"tasks[{i}].{key}", f"{key} {value!r} is not a positive number", f"{key}: 2 (a number above 0)"
        gpu = task.get("gpu")
        if gpu is not None and (not isinstance(gpu, int) or isinstance(gpu, bool) or gpu < 0):
            yield f"tasks[{i}].gpu", f"gpu {gpu!r} is not a whole number", "gpu: 0, 1, 2 ..."


def _task_env(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        for key in ("environment", "environment_variables"):
            env = task.get(key)
            if env is None:
                continue
            if not isinstance(env, dict):
                yield f"tasks[{i}].{key}", f"{key} is a {type(env).__name__}", "a mapping NAME: value"
                continue
            for name, value in env.items():
                if not isinstance(value, str):
                    yield f"tasks[{i}].{key}.{name}", f"{value!r} is not text: it is written as {env_text(value)!r}", \
                        f'a quoted string: {name}: "{value}"'


def _app_env_key(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        if task.get("type") == "start_application" and "environment" in task and "environment_variables" not in task:
            yield f"tasks[{i}].environment", "an application's variables are environment_variables (other tools drop " \
                                             "environment); cmldyn reads both", "environment_variables: {NAME: value}"


def _arguments_none(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        if str(task.get("arguments", "")).lower() == "none" and "arguments" in task:
            yield f"tasks[{i}].arguments", f"{task['arguments']!r} is taken as no arguments", "leave arguments out"


def _timeout_units(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        if task.get("type") == "create_job" and "timeout" in task:
            yield f"tasks[{i}].timeout", f"timeout {task['timeout']!r}: AMP files have used minutes, the API takes " \
                                         "seconds; cmldyn sends it as seconds", "seconds"


def _sessions(meta: Metadata) -> Found:
    for i, task in _tasks(meta):
        if task.get("type") == "run_session":
            yield f"tasks[{i}]", "the API has no sessions: apply skips a run_session (a workspace's own AMP import runs "\
                                 "it)", "a run_job, to run it from cmldyn"


def _kernel_with_runtime(meta: Metadata) -> Found:
    if not meta.data.get("runtimes"):
        return
    for i, task in _tasks(meta):
        if "kernel" in task:
            yield f"tasks[{i}].kernel", "kernel is for legacy engines: with a runtime it is dropped", "leave kernel out"


def _never_run(meta: Metadata) -> Found:
    ran = {str(t.get("entity_label")) for _, t in _tasks(meta) if t.get("type") == "run_job"}
    for i, task in _tasks(meta):
        if task.get("type") == "create_job" and str(task.get("entity_label")) not in ran:
            yield f"tasks[{i}]", f"job {task.get('name')!r} is made but no task runs it", "a run_job task, if it should run"


#: Every rule, in the order findings are listed.
RULES: tuple[Rule, ...] = (
    Rule("AMP001", "warning", "file name", _file_name),
    Rule("AMP002", "error", "duplicate keys", _duplicate_keys),
    Rule("AMP003", "error", "required top-level fields", _required),
    Rule("AMP004", "error", "string limits", _limits),
    Rule("AMP005", "warning", "versions read as numbers", _unquoted_versions),
    Rule("AMP006", "error", "date as \"YYYY-MM-DD\"", _date),
    Rule("AMP007", "warning", "unknown top-level fields", _unknown_top),
    Rule("AMP008", "info", "legacy top-level fields", _legacy_top),
    Rule("AMP009", "error", "shared_memory_limit", _shared_memory),
    Rule("AMP010", "error", "environment_variables entries", _env_shape),
    Rule("AMP011", "warning", "environment defaults that are not text", _env_defaults),
    Rule("AMP012", "info", "required variables without a default", _env_secret_without_default),
    Rule("AMP013", "error", "runtimes entries", _runtimes),
    Rule("AMP014", "error", "engine_images entries", _engine_images),
    Rule("AMP015", "warning", "feature_dependencies", _features),
    Rule("AMP016", "error", "tasks and their types", _tasks_shape),
    Rule("AMP017", "error", "required task fields", _task_required),
    Rule("AMP018", "warning", "unknown task fields", _task_unknown),
    Rule("AMP019", "error", "entity_label references", _references),
    Rule("AMP020", "error", "entity_label made twice", _duplicate_labels),
    Rule("AMP021", "error", "task names apply finds things by", _duplicate_names),
    Rule("AMP022", "error", "application subdomains", _subdomain),
    Rule("AMP023", "error", "task resources", _resources),
    Rule("AMP024", "warning", "task environment values that are not text", _task_env),
    Rule("AMP025", "warning", "an application's environment key", _app_env_key),
    Rule("AMP026", "info", "arguments \"None\"", _arguments_none),
    Rule("AMP027", "warning", "job timeout units", _timeout_units),
    Rule("AMP028", "warning", "run_session tasks", _sessions),
    Rule("AMP029", "info", "kernel with a runtime", _kernel_with_runtime),
    Rule("AMP030", "info", "jobs made but never run", _never_run),
    Rule("AMP031", "warning", "task text fields (summaries, names) and their lengths", _task_text),
)


def lint(meta: Metadata) -> list[Finding]:
    """Every rule's findings, in rule order, each with the file's line."""
    found = []
    for rule in RULES:
        for path, message, valid in rule.check(meta):
            found.append(Finding(rule.id, rule.severity, path, meta.line(path) if path else 1, message, valid))
    return found
