"""Shell completion: ``cmldyn completion bash|zsh`` prints the script, ``cmldyn __complete`` answers it.

The candidates come from the same parser as every command (so global options are found
wherever they stand) and from the cached spec only: completing never touches the network.
May import: errors, the parser (lazily: it imports this module).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TextIO

from ..errors import CmldynError
from .context import Context
from .exits import Exit

__all__ = ["SCRIPTS", "complete_words", "run", "run_complete"]

_BASH_FUNCTION = """_cmldyn_complete() {
    local IFS=$'\\n'
    COMPREPLY=($(cmldyn __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -F _cmldyn_complete cmldyn
"""
SCRIPTS = {
    "bash": '# cmldyn completion for bash: eval "$(cmldyn completion bash)"\n' + _BASH_FUNCTION,
    "zsh": '# cmldyn completion for zsh: eval "$(cmldyn completion zsh)"\nautoload -U +X bashcompinit && bashcompinit\n'
           + _BASH_FUNCTION,
}
# Positional choices offered right after their command.
_CHOICES = {"completion": tuple(SCRIPTS), "spec": ("show", "refresh", "diff", "validate", "resolve")}
_PLACEHOLDER = "\x00"  # stands for the word being completed while the words before it are parsed


def run(ctx: Context, args: argparse.Namespace) -> int:
    ctx.stdout.write(SCRIPTS[args.shell])
    return Exit.OK


def _parse(words: list[str]) -> tuple[argparse.Namespace, list[str]] | None:
    from .parser import build_parser

    try:
        return build_parser().parse_known_args(words)
    except (CmldynError, SystemExit):
        return None


def complete_words(words: list[str], index: int, stdout: TextIO, stderr: TextIO, stdin: TextIO,
                   env: dict[str, str]) -> list[str]:
    """Candidates for word ``index`` of a command line (``words[0]`` is ``cmldyn``)."""
    from ..settings import resolve
    from .parser import GLOBAL_OPTIONS, global_flags

    current = words[index] if index < len(words) else ""
    before = words[1:index]
    if before and before[-1] in _CHOICES:
        return [c for c in _CHOICES[before[-1]] if c.startswith(current)]
    parsed = _parse(before + [_PLACEHOLDER]) or _parse(before)
    if parsed is None or getattr(parsed[0], "command", None) is None:
        commands = ("call", "ops", "describe", "spec", "repl", "sim", "configure", "completion")
        pool = [*commands, *(o.flag for o in GLOBAL_OPTIONS), "--version", "--help"]
        return [w for w in pool if w.startswith(current)]
    args, extras = parsed
    if args.command not in ("call", "describe"):
        return []
    settings = replace(resolve(global_flags(args), env), offline=True)
    ctx = Context(settings, stdout, stderr, stdin)
    try:
        api = ctx.client(need_host=False)
        if args.operation == _PLACEHOLDER:
            return [n for n in api.model.names() if n.startswith(current)]
        op = api.model.find(args.operation)
        if args.command != "call" or op is None or not current.startswith("-"):
            return []
        flags = ["--" + p.name.replace("_", "-") for p in op.params if p.location != "body"]
        flags += ["--body", "-q", "--query", "-o", "--output", "--all", "--dry-run", "--wait"]
        return [f for f in flags if f.startswith(current)]
    except CmldynError:
        return []
    finally:
        ctx.close()


def run_complete(argv: list[str], stdout: TextIO, stderr: TextIO, stdin: TextIO, env: dict[str, str]) -> int:
    """``cmldyn __complete INDEX WORD...``: one candidate per line; silent on any failure."""
    try:
        for word in complete_words(argv[1:], int(argv[0]), stdout, stderr, stdin, env):
            stdout.write(word + "\n")
    except Exception:  # noqa: BLE001 - a completion that fails offers nothing, never a traceback at the prompt
        return Exit.OK
    return Exit.OK
