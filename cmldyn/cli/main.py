"""The entry point: parse the words, resolve the settings, run one command, map its error to an exit code.

The only place that prints errors: one ``cmldyn: error: ...`` line on stderr, an optional
``hint:`` line, no traceback unless ``--debug``, and the key never shown. May import: errors,
output, settings, the rest of cli/.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable, TextIO

from ..errors import CmldynError, Secret, Secrets, TransportError, UsageError
from .exits import Exit, exit_code
from .parser import build_parser, global_flags

if TYPE_CHECKING:
    from .context import Context

__all__ = ["HANDLERS", "handler", "main", "report"]

#: What runs each command, by the name the parser gives it: "module:function" of cli/, imported when the
#: command runs (so `cmldyn --version` or `cmldyn ops` loads none of the others, nor what they use).
HANDLERS: dict[str, str] = {
    "call": "call:run",
    "check": "check:run",
    "ops": "browse:run_ops",
    "describe": "browse:run_describe",
    "explain": "browse:run_explain",
    "stubs": "browse:run_stubs",
    "skill": "skill:run",
    "help": "browse:run_help",
    "spec": "specs:run",
    "repl": "interactive:run_repl",
    "configure": "configure:run",
    "mcp": "mcp:run",
    "completion": "completion:run",
    "run": "run:run",
    "env": "workflow:run_env",
    "app": "workflow:run_app",
    "amp": "amp:run",
    "sim": "interactive:run_sim",
}


def handler(command: str) -> Callable[..., int]:
    """The function that runs ``command``, its module imported now."""
    import importlib

    module, _, name = HANDLERS[command].partition(":")
    found: Callable[..., int] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return found


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         stdin: TextIO | None = None, env: dict[str, str] | None = None) -> int:
    """Run one command; return its exit code. Never raises (except SystemExit from --help/--version)."""
    stdout = stdout or _tolerant(sys.stdout)
    stderr = stderr or _tolerant(sys.stderr)
    stdin = stdin or sys.stdin
    env = dict(os.environ) if env is None else env
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    ctx: Context | None = None
    secrets: Secrets = ()
    try:
        if argv == ["--version"]:  # answered before the parser of every command is built
            from .._version import __version__

            stdout.write(f"cmldyn {__version__}\n")
            return Exit.OK
        if argv[:1] == ["__complete"]:
            from . import completion

            return completion.run_complete(argv[1:], stdout, stderr, stdin, env)
        parser = build_parser()
        args, extras = parser.parse_known_args(argv)
        if args.command is None:
            parser.print_help(stdout)
            return Exit.USAGE
        if extras and args.command != "call":
            raise UsageError(f"unrecognized arguments: {' '.join(extras)}", hint=f"see 'cmldyn {args.command} --help'")
        args.words = extras
        flags = global_flags(args)
        if getattr(args, "token_stdin", False):
            # The key from a pipe (a secret manager), so it is never in argv, ps or shell history.
            flags["token"] = stdin.readline().strip() or None
        secrets = (Secret(flags["token"]),) if flags.get("token") else ()
        notes: list[str] = []
        from ..settings import resolve

        settings = resolve(flags, env, warnings=notes, creating=args.command == "configure")
        for note in notes:
            stderr.write(f"cmldyn: warning: {note}\n")
        from .context import Context

        ctx = Context(settings, stdout, stderr, stdin, har_path=getattr(args, "har", None))
        if settings.demo and args.command not in ("repl", "sim", "amp"):
            ctx.start_demo()
        code = int(handler(args.command)(ctx, args))
        if ctx.api is not None:
            from . import completion

            completion.write_words_for(ctx)  # the shell's Tab reads operations from it without starting Python
        return code
    except KeyboardInterrupt:
        stderr.write("cmldyn: interrupted\n")
        return Exit.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return Exit.OK
    except Exception as error:  # ours: one line and its code; a bug: still one line, the traceback with --debug
        if isinstance(error, TransportError) and ctx is not None and ctx.api is not None \
                and ctx.api.spec_state == _unreachable():
            error.hint = ("the server cannot be reached; ops, describe, help and completion work from the cached spec "
                          "with --offline")
        report(error, stderr, ctx.secrets if ctx is not None else secrets, debug)
        return exit_code(error) if isinstance(error, CmldynError) else Exit.API
    finally:
        if ctx is not None:
            ctx.save_har()
            ctx.close()


def _unreachable() -> str:
    from ..loader import UNREACHABLE

    return UNREACHABLE


def report(error: BaseException, stderr: TextIO, secrets: Secrets, debug: bool) -> None:
    """One ``cmldyn: error:`` line, an optional ``hint:`` line; the traceback only with --debug."""
    from ..output import error_lines, traceback_text

    if debug:
        stderr.write(traceback_text(error, secrets))
    line, hint = error_lines(error, secrets)
    stderr.write(f"cmldyn: error: {line}\n")
    if hint:
        stderr.write(f"hint: {hint}\n")


def _tolerant(stream: TextIO) -> TextIO:
    """Under LANG=C (ASCII) a project name in another script must not end the run: escape it."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower().replace("-", "") not in ("utf8", "utf_8"):
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    return stream


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
