"""``cmldyn skill``: an agent skill file (Markdown with a YAML header) for the current spec.

Agents that drive an API through a command line spend far fewer tokens than through a tool protocol,
if they know the command line. The skill says how to call ``cmldyn`` (arguments, output, filtering,
dry runs), the exit codes and the error form, the operations grouped by tag with what each requires,
and for CML the behaviours that surprise (the upload's field name, PATCH ignoring some fields, the
environment sent as a map but returned as JSON text). Its examples are checked before they are written
(each parses and builds its request, nothing is sent) and the test suite runs them against ``--demo``.
May import: client and model (TYPE_CHECKING), errors, output, storage; cli's callwords, context, exits.
"""

from __future__ import annotations

import io
import re
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from ..client import Client
    from ..model import OperationModel
    from .context import Context

__all__ = ["MARK", "examples_of", "render_skill", "run"]

#: The first line after the header of every skill this command writes: another file is not overwritten.
MARK = "<!-- written by cmldyn skill: run it again after the spec changes -->"
MAX_LISTED = 400  # operations listed one per line; past this, by name only
_EXIT_CODES = [
    (0, "success"), (1, "the API said no (4xx/5xx other than 401/403), or another runtime failure"),
    (2, "usage: an unknown operation, parameter or flag, a value of the wrong type, an invalid JMESPath"),
    (3, "network, TLS or time-out"), (4, "authentication: 401/403 or no key"), (5, "the spec could not be loaded"),
    (6, "--strict: an answer differs from the spec"),
    (7, "the calls worked but the workload failed (--wait on a run, build, deployment or application)"),
    (130, "interrupted"),
]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "api"


def _is_cml(api: Client) -> bool:
    names = set(api.model.names())
    return {"list_projects", "create_job", "create_job_run", "list_runtimes"} <= names


def _requires(op: OperationModel) -> str:
    """``PROJECT_ID; body: name, script`` — what a call cannot leave out."""
    parts = [p.name.upper() for p in op.path_params]
    parts += [f"--{p.name.replace('_', '-')}" for p in op.params if p.required and p.location in ("query", "header")]
    body = op.body_param
    if body is not None:
        fields = sorted(k for k in body.schema.required if k in op.body_fields and not op.body_fields[k].read_only)
        if fields:
            parts.append("body: " + ", ".join(fields))
        elif op.body_fields:
            parts.append("body fields (the spec marks none required; describe lists them)")
        elif body.required:
            parts.append("a body (--body JSON)")
    return "; ".join(parts) if parts else "nothing"


def _resource(path: str) -> str:
    """What a path acts on: its last literal word (``runs`` for ``/api/v2/projects/{p}/jobs/{j}/runs/{r}:stop``)."""
    words = [w.split(":")[0] for w in path.strip("/").split("/") if w and not w.startswith("{")]
    words = [w for w in words if w.lower() != "api" and not re.fullmatch(r"v\d+(\w*)?", w.lower())]
    return words[-1] if words else "other"


def _one_line(text: str, limit: int = 110) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def examples_of(api: Client) -> list[tuple[str, int, str]]:
    """The skill's examples as (command, the exit code it ends with, what it shows), each checked to parse
    and build its request here (nothing is sent). CML gets its own; any other spec, ones made from it."""
    from .callwords import parse_call_words

    ops = api.model.operations
    wanted: list[tuple[str, int, str]] = [("cmldyn ops", 0, "every operation, one per line")]
    if _is_cml(api):
        wanted += [
            ("cmldyn describe create_job", 0, "an operation's parameters, body fields and answer"),
            ("cmldyn call list_projects --page-size 5 -q 'projects[].{id: id, name: name}'", 0,
             "a read, filtered with JMESPath"),
            ("cmldyn call list_runtimes --page-size 3 -q 'runtimes[].image_identifier' -o json", 0,
             "runtime identifiers for jobs and applications"),
            ("cmldyn call create_project name=sales-forecast --dry-run", 0, "a write, shown and not sent"),
            ("cmldyn call create_job my-project-id name=nightly script=train.py 'environment:={\"MODE\": \"batch\"}' "
             "--dry-run", 0, "a path value, body fields, and a map given as JSON"),
            ("cmldyn call get_project no-such-project", 1, "an error: one line on standard error, exit 1"),
        ]
    else:
        reads = [op for op in ops.values() if op.method == "get" and not op.path_params
                 and not any(p.required for p in op.params)]
        described = next((op for op in ops.values() if op.body_param is not None), None) or next(iter(ops.values()))
        wanted.append((f"cmldyn describe {described.name}", 0, "an operation's parameters, body fields and answer"))
        if reads:
            wanted.append((f"cmldyn call {reads[0].name}", 0, "a read"))
        for op in ops.values():
            if op.body_param is None or op.method == "get":
                continue
            words = [shlex.quote(f"{p.name}-example") for p in op.path_params]
            fields = op.body_fields
            required = sorted(k for k in op.body_param.schema.required if k in fields)
            if required and all(fields[k].type == "string" and not fields[k].enum for k in required):
                words += [shlex.quote(f"{k}=example") for k in required]
                wanted.append((f"cmldyn call {op.name} {' '.join(words)} --dry-run".replace("  ", " "), 0,
                               "a write, shown and not sent"))
                break
    checked = []
    for command, code, what in wanted:
        words = shlex.split(command)
        if words[1] == "call" and code == 0:
            op = api.model.get(words[2])
            rest = [w for w in words[3:] if w not in ("--dry-run",)]
            flags = {"-q", "-o"}
            plain, skip = [], False
            for w in rest:
                if skip:
                    skip = False
                    continue
                if w in flags:
                    skip = True
                    continue
                plain.append(w)
            try:
                api.prepare(op.name, **parse_call_words(op, plain, io.StringIO()))
            except Exception:  # noqa: BLE001 - an example that would not work is left out
                continue
        checked.append((command, code, what))
    return checked


def render_skill(api: Client, *, source: str, examples: list[tuple[str, int, str]] | None = None) -> str:
    """The skill's Markdown for ``api``'s spec; ``source`` names where the spec came from; ``examples`` as
    :func:`examples_of` makes them (made here when not given)."""
    spec = api.spec
    title = spec.title or "the API"
    ops = list(api.model.operations.values())
    cml = _is_cml(api)
    name = _slug("cml-api-v2" if cml else title)
    tags = {str(t) for op in ops for t in (op.raw_op.get("tags") or []) if isinstance(op.raw_op.get("tags"), list)}
    lines = ["---", f"name: {name}",
             f"description: Call the {_one_line(title, 80)} API ({len(ops)} operations) from the command line with "
             f"cmldyn: find an operation, read what it needs, call it, filter the JSON answer. Use it to read or "
             f"change {('CML projects, jobs, runs, models and applications' if cml else 'this API')} from a shell.",
             "---", MARK, "",
             f"# {'CML API v2' if cml else title} ({title} {spec.api_version}) with cmldyn", "",
             f"Made from the spec of {source} ({len(ops)} operations). `cmldyn` builds each call from the spec, "
             "checks the arguments before anything is sent, and prints the answer as JSON.", "",
             "## Connecting", "",
             f"Set `CML_HOST` (the {'workspace' if cml else 'server'}'s URL) and `CML_API_KEY` (an API key) in the "
             f"environment{'' if cml else ' (cmldyn reads these names for any API)'}, or pass "
             "`--host URL` and use `cmldyn configure` for a profile. Never put the key on the command line "
             "(`--token` shows in the process list); never print it.", "",
             "## Calling", "",
             "- `cmldyn ops` lists every operation; `cmldyn describe OP` shows its parameters, body fields (with "
             "required ones marked) and the fields of its answer.",
             "- `cmldyn call OP PATH_VALUE... [--param-name VALUE] [field=value] [field:=JSON]`: path values in "
             "order, query parameters as flags (`page_size` is `--page-size`), body fields as `field=value` "
             "(a string) or `field:=JSON` (numbers, booleans, lists, maps), or the whole body as "
             "`--body JSON` / `--body @file.json`.",
             "- `-q JMESPATH` filters the answer (`-q 'projects[].name'`); `-o json|yaml|table|raw`; `--all` "
             "gathers every page of a paged list.",
             "- `--dry-run` prints the request (the key redacted) and sends nothing; `--curl` prints it as a curl "
             "command. Use one before a write you are unsure of.",
             "- `--wait` waits until what the call started (a job run, a build, a deployment, an application) "
             "reaches a final status.", "",
             "## Output and errors", "",
             "The answer is JSON on standard output. A failure is one line on standard error, "
             "`cmldyn: error: ...`, often followed by `hint: ...` saying what to do, and the exit code says what "
             "kind of failure it was:", "",
             "| exit | meaning |", "|---|---|"]
    lines += [f"| {code} | {meaning} |" for code, meaning in _EXIT_CODES]
    lines += ["", "Retry only on 3 (and on 1 when the message names HTTP 429 or 5xx); fix the command on 2; "
              "a 4 needs another key.", ""]
    if cml:
        lines += ["## CML behaviours to know", "",
                  "- Environment variables: create calls take `environment` as a map "
                  "(`'environment:={\"MODE\": \"batch\"}'`); the objects returned carry it as a JSON-encoded "
                  "string. An environment given on update replaces the whole map; it is not merged.",
                  "- Updates are PATCH with only the fields to change. A job's PATCH answers 200 but ignores "
                  "some fields (`paused`, `timezone`, the notification recipients): read the job back to check.",
                  "- A job's runtime and its add-ons go together in one update.",
                  "- Upload (`upload_file`) is multipart, and the form field's name is the destination path "
                  "relative to the project's home; an occupied name is stored as `name(1).ext`, never "
                  "overwritten.",
                  "- List calls are paged (`page_size`, default 10; `next_page_token`): use `--all` or "
                  "`--page-size`. `search_filter` takes JSON (`'{\"name\": \"demo\"}'`) and is case-sensitive.",
                  "- Job arguments reach the script only through the `JOB_ARGUMENTS` environment variable.",
                  "- Schedules without a timezone are read as America/Los_Angeles.", ""]
    lines += ["## Examples", "", "Each example's comment starts with the exit code the command ends with.", ""]
    for command, code, what in examples if examples is not None else examples_of(api):
        lines += [f"```sh\n# {code}: {what}\n{command}\n```", ""]
    lines += ["## Operations by tag" if len(tags) > 1 else "## Operations by resource", "",
              "Each: the name, its method and path, what it does, and what a call must give (path values "
              "in order, required flags, required body fields).", ""]
    by_tag: dict[str, list[OperationModel]] = {}
    for op in ops:  # by tag; where the spec has one tag or none (CML's is CMLService), by the resource
        found = op.raw_op.get("tags") if len(tags) > 1 else None
        group = str(found[0]) if isinstance(found, list) and found else _resource(op.path)
        by_tag.setdefault(group, []).append(op)
    listed = 0
    for tag in sorted(by_tag):
        lines += [f"### {tag}", ""]
        for op in by_tag[tag]:
            listed += 1
            if listed > MAX_LISTED:
                lines.append(f"- `{op.name}`")
                continue
            lines.append(f"- `{op.name}` ({op.method.upper()} {op.path}): {_one_line(op.summary).rstrip('.') or 'no summary'}. "
                         f"Needs: {_requires(op)}.")
        lines.append("")
    return "\n".join(lines)


def run(ctx: Context, args: argparse.Namespace) -> int:
    """``cmldyn skill [--out FILE|-] [--force]``."""
    import os

    from ..errors import UsageError
    from ..output import safe_text
    from ..storage import write_user_file
    from .exits import Exit

    api = ctx.client(need_host=False)
    source = "the built-in simulator" if ctx.settings.demo else (ctx.settings.spec or ctx.settings.host or "")
    examples = examples_of(api)  # each built once: they are counted below too
    text = render_skill(api, source=source, examples=examples) + "\n"
    if args.out == "-":
        ctx.stdout.write(text)
        return Exit.OK
    path = args.out
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        path = os.path.join(path, "SKILL.md")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        try:
            os.makedirs(parent)  # .claude/skills/NAME/ is where agents look; made as needed
        except OSError as error:
            raise UsageError(f"cannot make {safe_text(parent)}: {error.strerror or error}") from None
    overwrite = args.force
    if os.path.isfile(path) and not overwrite:
        with open(path, encoding="utf-8", errors="replace") as existing:
            head = existing.read(4096)
        if MARK not in head:
            raise UsageError(f"{safe_text(path)} exists and was not written by cmldyn skill; not replacing it",
                             hint="pass --force to replace it, or --out another file")
        overwrite = True  # ours: made again from the current spec
    try:
        write_user_file(path, text.encode("utf-8"), overwrite=overwrite)
    except OSError as error:
        raise UsageError(f"cannot write {safe_text(path)}: {error.strerror or error}") from None
    ops = len(api.model.operations)
    ctx.stdout.write(f"wrote {safe_text(path)} ({len(text.encode()) // 1024} KB): {ops} operations, "
                     f"{len(examples)} examples\n")
    return Exit.OK
