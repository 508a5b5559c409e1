"""``cmldyn env`` (a project's environment) and ``cmldyn app`` (an application's runtime upgrade).

    cmldyn env get PROJECT [NAME] [--reveal] [-o json|table|dotenv]
    cmldyn env set PROJECT NAME=value ... [--from-file .env] [--restart-apps]
    cmldyn env unset PROJECT NAME ... [--restart-apps]
    cmldyn app upgrade-runtime PROJECT APP --to RUNTIME [--addons ID,ID] [--dry-run]

The verbs are cmldyn.workflows'; this module parses the words and prints. A value whose name looks like
a secret is shown as ``***`` unless ``--reveal``; in ``-o dotenv`` it is a comment, so the masked form
never reaches a file that ``--from-file`` would read back. May import: errors, jsonvalue, output, workflows.
"""

from __future__ import annotations

import argparse

from ..errors import ParamError, UsageError
from .context import Context
from .exits import Exit

__all__ = ["run_app", "run_env"]


def run_env(ctx: Context, args: argparse.Namespace) -> int:
    from ..jsonvalue import is_secret_name
    from ..output import safe_text

    api = ctx.client()
    env = api.project_env(args.project)
    words = list(args.names or [])
    if args.action == "get":
        if len(words) > 1:
            raise UsageError("env get takes one NAME at most")
        if words:
            name = words[0]
            if name not in env:
                raise ParamError(f"no variable {name!r} in project {env.project_name}")
            secret = is_secret_name(name) and not args.reveal
            ctx.stdout.write(("***" if secret else safe_text(env[name])) + "\n")
            if secret:
                ctx.stderr.write(f"cmldyn: {name} looks like a secret; --reveal shows it\n")
            return Exit.OK
        shown = env.masked(reveal=args.reveal)
        if args.output == "dotenv":
            for name, value in shown.items():
                hidden = value == "***" and is_secret_name(name) and not args.reveal
                line = f"# {name}=*** (hidden: --reveal writes it)" if hidden else f"{name}={_quoted(value)}"
                ctx.stdout.write(safe_text(line) + "\n")
        else:
            ctx.emit(shown, args.output or "json")
        return Exit.OK
    if args.action == "set":
        from ..workflows import parse_dotenv

        values: dict[str, str] = {}
        if args.from_file:
            try:
                with open(args.from_file, encoding="utf-8") as handle:
                    values.update(parse_dotenv(handle.read(), args.from_file))
            except OSError as error:
                raise UsageError(f"cannot read {args.from_file}: {error.strerror}") from None
        for word in words:
            name, sep, value = word.partition("=")
            if not sep or not name:
                raise UsageError(f"env set takes NAME=value words; not {word!r}")
            values[name] = value
        if not values:
            raise UsageError("env set needs NAME=value words or --from-file FILE")
        change = env.set(values)
    elif args.action == "unset":
        if not words:
            raise UsageError("env unset needs the NAMEs to remove")
        change = env.unset(*words)
    else:  # the parser's choices make this unreachable
        raise UsageError(f"unknown env action {args.action!r}")
    ctx.stdout.write(safe_text(f"project {env.project_name}: {change}") + "\n")
    if args.restart_apps and not change.nothing:
        restarted = env.restart_apps(timeout=args.wait_timeout)
        ctx.stdout.write(f"restarted and running again: {', '.join(restarted) or 'none was running'}\n")
    return Exit.OK


def _quoted(value: str) -> str:
    return value if value and all(c.isalnum() or c in "-_./:@%+," for c in value) else '"' + value.replace('"', '\\"') + '"'


def run_app(ctx: Context, args: argparse.Namespace) -> int:
    from ..output import safe_text
    from ..workflows import upgrade, upgrade_plan

    if args.action != "upgrade-runtime":  # the parser's choices make this unreachable
        raise UsageError(f"unknown app action {args.action!r}")
    if not args.to:
        raise UsageError("app upgrade-runtime needs --to RUNTIME (an image identifier or editor/kernel/edition[/version])")
    api = ctx.client()
    addons = [a.strip() for a in (args.addons or "").split(",") if a.strip()]
    plan = upgrade_plan(api, args.project, args.app, to=args.to, addons=addons)
    ctx.stdout.write(safe_text(str(plan)) + "\n")
    if args.dry_run:
        return Exit.OK
    final = upgrade(api, plan, timeout=args.wait_timeout)
    ctx.stdout.write(safe_text(f"done: {final.get('name')} is {final.get('status')} on {final.get('runtime_identifier')}")
                     + "\n")
    return Exit.OK
