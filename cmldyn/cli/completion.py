"""Shell completion: ``cmldyn completion bash|zsh|fish`` prints the script, ``cmldyn __complete`` answers it.

A Tab in bash starts no Python process for commands, options, ``-o`` values, operation names,
their options, body fields (``name=``) and enum values: the script carries what the parser
knows (every command's options and choices), and the operations come from a word list written
beside the cached spec (``words/<host>``, ``words/profile_<name>``, ``words/demo``) whenever a
command loads the spec. Python is started only for what a word list cannot hold: an existing
value of a path parameter (``cmldyn call get_project <Tab>``), taken from the live-values cache
on disk or fetched within 300 ms, and when there is no word list yet. zsh runs the same function
through bashcompinit; fish asks ``cmldyn __complete`` for every Tab.
May import: errors, livevalues, the parser.
"""

from __future__ import annotations

import argparse
import os
import re
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from .._version import __version__
from ..errors import CmldynError
from .context import Context
from .exits import Exit
from .parser import GLOBAL_OPTIONS, Parser, build_parser, global_flags

if TYPE_CHECKING:
    from ..client import Client
    from ..model import OperationModel, Param
    from ..settings import Settings

__all__ = ["complete_words", "run", "run_complete", "script", "write_words", "write_words_for"]

LIVE_LIMIT = 0.3  # seconds a Tab may spend fetching existing values
_PLACEHOLDER = "\x00"  # stands for the word being completed while the words before it are parsed


def run(ctx: Context, args: argparse.Namespace) -> int:
    ctx.stdout.write(script(args.shell))
    # The word list for the host these settings name, from its cached spec (nothing is fetched).
    settings = replace(ctx.settings, offline=True)
    if settings.host and not settings.demo:
        cached = Context(settings, ctx.stdout, ctx.stderr, ctx.stdin, ctx.cache_dir)
        try:
            cached.client(need_host=False)
            write_words_for(cached)
        except CmldynError:
            pass  # no cached spec yet: the script works without a word list (through Python, more slowly)
        finally:
            cached.close()
    return Exit.OK


# ---------------------------------------------------------------- word lists beside the cached spec


def words_dir() -> str:
    from ..cache import default_cache_dir

    return os.path.join(os.path.dirname(default_cache_dir()), "words")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)


def op_lines(api: Client) -> list[str]:
    """The word list's body: ``@ops`` (every name), then per operation its words, positional count
    and enum values, one line each, so the shell function finds one with a prefix match. The path
    parameters' ``name=`` words come first, in their positional order, so the shell can leave out
    those whose values were given in place."""
    ops = api.model.operations
    lines = ["@ops " + " ".join(sorted(ops))]
    for name in sorted(ops):
        op = ops[name]
        flags, fields = [], []
        in_place = [p for p in op.positional if p.location == "path"]
        for p in in_place + [p for p in op.params if p not in in_place]:
            if p.location == "body":
                continue
            flags.append("--" + p.name.replace("_", "-"))
            fields.append(p.name + "=")
            if p.enum:
                values = _shell_words(p.enum)
                lines.append(f"enum {name} {flags[-1]} {values}")
                lines.append(f"enum {name} {p.name} {values}")
        for field, schema in op.body_fields.items():
            if re.fullmatch(r"[A-Za-z_][\w.-]*", field):
                fields.append(field + "=")
                values = _shell_words(schema.enum)
                if values:
                    lines.append(f"enum {name} {field} {values}")
        positional = len(in_place)
        lines.append(f"op {name} {positional} " + " ".join(fields + flags))
    return lines


def _shell_words(values: list[object] | None) -> str:
    """Enum values a shell can take as words: none holding a space, a quote, a backslash, $ or `."""
    return " ".join(str(v) for v in values or [] if re.fullmatch(r"[^\s'\"\\$`]+", str(v)))


def write_words(api: Client, names: list[str], *, stamp: str) -> None:
    """Write the word list under each name (0600, never a credential), unless it is current."""
    from ..storage import private_dir, write_private

    directory = words_dir()
    header = f"#cmldyn-words {__version__} {stamp}"
    body: str | None = None
    for name in names:
        path = os.path.join(directory, slug(name))
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.readline().rstrip("\n") == header:
                    continue
        except OSError:
            pass
        if body is None:
            body = "\n".join([header, *op_lines(api)]) + "\n"
        private_dir(directory)
        write_private(path, body.encode("utf-8"))


def words_names(settings: Settings) -> list[str]:
    """Which word lists these settings stand for: the demo, or the host (and the profile it came from);
    none for a ``--spec`` of one's own (the shell function asks Python then)."""
    if settings.spec:
        return []
    if settings.demo:
        return ["demo"]
    names = [settings.host] if settings.host else []
    if settings.profile:
        names.append("profile_" + settings.profile)
    return names


def write_words_for(ctx: Context) -> None:
    """After a command loaded the spec: its word list, under the names these settings stand for."""
    api = ctx.api
    names = words_names(ctx.settings)
    if api is None or not names:
        return
    cached = api.cache_path
    try:
        when = int(os.path.getmtime(cached)) if cached else 0
    except OSError:
        when = 0
    stamp = slug(f"{api.spec.title}|{api.spec.api_version}|{len(api.model.operations)}|{when}")
    try:
        write_words(api, names, stamp=stamp)
    except (OSError, CmldynError):
        pass  # completion without a word list asks Python: slower, not wrong


# ---------------------------------------------------------------- the scripts


def _parser_tables(parser: Parser | None = None) -> tuple[list[str], list[str], list[str], dict[str, list[str]],
                                                           dict[str, list[str]], dict[str, list[str]]]:
    """From the parser: commands, global options, global options taking a value, and per command its
    options, its options taking a value, and the choices of each (``call -o``) and of its positional."""

    parser = parser or build_parser()
    commands = sorted(parser.commands)
    global_flags = [o.flag for o in GLOBAL_OPTIONS]
    global_valued = [o.flag for o in GLOBAL_OPTIONS if o.metavar]
    options: dict[str, list[str]] = {}
    valued: dict[str, list[str]] = {}
    choices: dict[str, list[str]] = {}
    for name, command in parser.commands.items():
        own = [a for a in command.declared if not any(s in global_flags for s in a.option_strings)]
        options[name] = list(dict.fromkeys(s for a in own for s in a.option_strings))
        valued[name] = [s for a in own for s in a.option_strings if a.nargs != 0 and a.const is None
                        and not isinstance(a.default, bool)]
        for action in own:
            if action.choices:
                for key in action.option_strings or [""]:
                    choices[f"{name} {key}".strip()] = [str(c) for c in action.choices]
    return commands, global_flags, global_valued, options, valued, choices


def _bash_array(name: str, table: dict[str, list[str]]) -> str:
    items = " ".join(f"[{key!r}]={' '.join(values)!r}".replace("'", '"') for key, values in sorted(table.items()))
    return f"_cmldyn_{name}=({items})"


_BASH_FUNCTION = r'''
_cmldyn_pick() { # candidates from the words given that start with $cur
    local w
    for w in $1; do [[ $w == "$cur"* ]] && COMPREPLY+=("$w"); done
}

_cmldyn_python() { # what only Python knows; bash completes the part after "=" as its own word
    local IFS=$'\n'
    COMPREPLY=($(cmldyn __complete "${COMP_LINE:0:COMP_POINT}" 2>/dev/null))
    [[ $cur == *=* ]] && COMPREPLY=("${COMPREPLY[@]#"${cur%%=*}="}")
}

_cmldyn_complete() {
    local line=${COMP_LINE:0:COMP_POINT} cur="" cmd="" op="" host="" profile="" demo="" spec="" prev="" named=" "
    local -a words=() lines=()
    local i w n=0 file="" entry want=0 given=0
    COMPREPLY=()
    read -ra words <<< "$line"
    if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    ((${#words[@]} > 1)) && prev=${words[${#words[@]}-1]}
    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        case $w in
            --host) host=${words[i+1]}; ((i++)); continue ;;
            --host=*) host=${w#*=}; continue ;;
            --profile) profile=${words[i+1]}; ((i++)); continue ;;
            --profile=*) profile=${w#*=}; continue ;;
            --spec) spec=${words[i+1]}; ((i++)); continue ;;
            --spec=*) spec=${w#*=}; continue ;;
            --demo) demo=1; continue ;;
        esac
        if [[ " $_cmldyn_global_valued " == *" $w "* ]]; then ((i++)); continue; fi
        if [[ $w == -* ]]; then
            [[ -n $cmd && " ${_cmldyn_valued[$cmd]} " == *" $w "* ]] && ((i++))
            continue
        fi
        if [[ -z $cmd ]]; then cmd=$w
        elif [[ -z $op && ( $cmd == call || $cmd == describe || $cmd == help ) ]]; then op=$w
        elif [[ $w != *=* ]]; then ((given++))
        else named+="${w%%=*}= "
        fi
    done
    # A global option's value: files for --spec and --ca-cert, nothing to guess for the others.
    if [[ " $_cmldyn_global_valued " == *" $prev "* ]]; then
        [[ $prev == --spec || $prev == --ca-cert ]] && COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    if [[ -z $cmd ]]; then
        _cmldyn_pick "$_cmldyn_commands $_cmldyn_global --version --help"
        return
    fi
    if [[ -n ${_cmldyn_choices["$cmd $prev"]+x} ]]; then
        _cmldyn_pick "${_cmldyn_choices["$cmd $prev"]}"
        return
    fi
    if [[ $cmd != call && $cmd != describe && $cmd != help ]]; then
        if [[ $cur == -* ]]; then _cmldyn_pick "${_cmldyn_options[$cmd]} $_cmldyn_global"
        elif [[ -n ${_cmldyn_choices[$cmd]+x} && $given -eq 0 ]]; then _cmldyn_pick "${_cmldyn_choices[$cmd]}"
        fi
        return
    fi
    # The word list of the spec in use.
    if [[ -z $spec ]]; then
        if [[ -n $demo ]]; then file=demo
        elif [[ -n $host ]]; then file=$host
        elif [[ -n $profile ]]; then file=profile_$profile
        elif [[ -n $CML_HOST ]]; then file=$CML_HOST
        else file=profile_${CMLDYN_PROFILE:-default}
        fi
        file=$_cmldyn_words_dir/${file//[^A-Za-z0-9]/_}
    fi
    if [[ -z $file || ! -r $file ]]; then
        _cmldyn_python
        return
    fi
    mapfile -t lines < "$file"
    if [[ -z $op || ( $op == "$cur" && $line != *[[:space:]] ) ]]; then
        [[ $cur == -* ]] && { _cmldyn_pick "${_cmldyn_options[$cmd]} $_cmldyn_global"; return; }
        _cmldyn_pick "${lines[1]#@ops }"
        return
    fi
    [[ $cmd != call ]] && { [[ $cur == -* ]] && _cmldyn_pick "${_cmldyn_options[$cmd]} $_cmldyn_global"; return; }
    for entry in "${lines[@]}"; do
        if [[ $entry == "enum $op $prev "* && $prev == --* ]]; then
            _cmldyn_pick "${entry#"enum $op $prev "}"
            return
        fi
        if [[ $cur == *=* && $entry == "enum $op ${cur%%=*} "* ]]; then
            local values=${entry#"enum $op ${cur%%=*} "} v
            for v in $values; do [[ ${cur%%=*}=$v == "$cur"* ]] && COMPREPLY+=("${v}"); done
            return
        fi
        if [[ $entry == "op $op "* ]]; then
            entry=${entry#"op $op "}
            want=${entry%% *}
            entry=${entry#* }
            break
        fi
        entry=""
    done
    [[ $cur == *=* ]] && return
    if [[ $cur == -* ]]; then
        local flags="" w2
        for w2 in $entry; do [[ $w2 == --* ]] && flags+="$w2 "; done
        _cmldyn_pick "$flags ${_cmldyn_options[call]} $_cmldyn_global"
        return
    fi
    local fields="" w3 k=0
    for w3 in $entry; do
        [[ $w3 == --* ]] && continue
        ((k++ < given)) && continue  # a path value given in place: its name= is not offered again
        [[ $named == *" $w3 "* ]] && continue  # nor a name= already on the line
        fields+="$w3 "
    done
    if ((given < want)); then  # a path value: the existing ones come from Python (within 300 ms)
        _cmldyn_python
        return
    fi
    _cmldyn_pick "$fields"
    [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
}
'''


def script(shell: str) -> str:
    """The completion script for ``shell``, with the parser's tables in it."""
    if shell == "fish":
        return FISH
    commands, global_flags, global_valued, options, valued, choices = _parser_tables()
    lines = [
        f'# cmldyn completion for {shell}: eval "$(cmldyn completion {shell})" (or put that line in your ~/.{shell}rc)',
    ]
    if shell == "zsh":  # bashcompinit's `complete` needs compinit's compdef: load it where .zshrc has not
        lines.append("(( $+functions[compdef] )) || { autoload -U compinit && compinit -u; }")
        lines.append("autoload -U +X bashcompinit && bashcompinit")
    lines += [
        f'_cmldyn_words_dir=${{CMLDYN_WORDS_DIR:-"{words_dir()}"}}',
        f'_cmldyn_commands="{" ".join(commands)}"',
        f'_cmldyn_global="{" ".join(global_flags)}"',
        f'_cmldyn_global_valued="{" ".join(global_valued)}"',
        "unset _cmldyn_options _cmldyn_valued _cmldyn_choices",
        "declare -A _cmldyn_options _cmldyn_valued _cmldyn_choices",
        _bash_array("options", options),
        _bash_array("valued", valued),
        _bash_array("choices", choices),
    ]
    if shell == "zsh":  # zsh through bashcompinit: Python answers (zsh arrays differ from bash's)
        return "\n".join(lines[:3]) + "\n" + _ZSH_FUNCTION
    return "\n".join(lines) + "\n" + _BASH_FUNCTION.lstrip("\n") + "complete -o default -F _cmldyn_complete cmldyn\n"


_ZSH_FUNCTION = """_cmldyn_complete() {
    local IFS=$'\\n'
    COMPREPLY=($(cmldyn __complete "${COMP_LINE:0:$COMP_POINT}" 2>/dev/null))
}
complete -o default -F _cmldyn_complete cmldyn
"""

FISH = """# cmldyn completion for fish: cmldyn completion fish | source (or save it as ~/.config/fish/completions/cmldyn.fish)
function __cmldyn_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    cmldyn __complete (count $words) $words "$current" 2>/dev/null
end
complete -c cmldyn -f -a '(__cmldyn_complete)'
"""


# ---------------------------------------------------------------- answers from Python


def _parse(parser: Parser, words: list[str]) -> tuple[argparse.Namespace, list[str]] | None:
    try:
        return parser.parse_known_args(words)
    except (CmldynError, SystemExit):
        return None


def complete_words(words: list[str], index: int, stdout: TextIO, stderr: TextIO, stdin: TextIO,
                   env: dict[str, str]) -> list[str]:
    """Candidates for word ``index`` of a command line (``words[0]`` is ``cmldyn``)."""
    from ..settings import resolve

    current = words[index] if index < len(words) else ""
    before = words[1:index]
    parser = build_parser()  # one parser: its tables, then parsing the words before the cursor
    commands, flags, valued_globals, options, _, choices = _parser_tables(parser)
    previous = before[-1] if before else ""
    if previous in valued_globals:
        return []
    parsed = _parse(parser, before + [_PLACEHOLDER]) or _parse(parser, before) or _parse(parser, before[:-1])
    command = getattr(parsed[0], "command", None) if parsed is not None else None
    if command is None:
        pool = [*commands, *(o.flag for o in GLOBAL_OPTIONS), "--version", "--help"]
        return [w for w in pool if w.startswith(current)]
    assert parsed is not None
    args, extras = parsed
    if f"{command} {previous}" in choices:
        return [c for c in choices[f"{command} {previous}"] if c.startswith(current)]
    if command not in ("call", "describe", "help"):
        if current.startswith("-"):
            return [w for w in options[command] + flags if w.startswith(current)]
        positional = choices.get(command, [])
        given = [w for w in before[before.index(command) + 1:] if not w.startswith("-")] if command in before else []
        return [c for c in positional if c.startswith(current)] if not given else []
    settings = replace(resolve(global_flags(args), env), offline=True)
    ctx = Context(settings, stdout, stderr, stdin)
    try:
        api = ctx.client(need_host=False)
        if args.operation in (_PLACEHOLDER, None):
            if current.startswith("-"):
                return [w for w in options[command] + flags if w.startswith(current)]
            return [n for n in api.model.names() if n.startswith(current)]
        op = api.model.find(args.operation)
        if command != "call" or op is None:
            return []
        return _call_words(api, op, [w for w in extras if w != _PLACEHOLDER], previous, current, settings, options["call"],
                           flags)
    except CmldynError:
        return []
    finally:
        ctx.close()


def _call_words(api: Client, op: OperationModel, extras: list[str], previous: str, current: str, settings: Settings,
                call_options: list[str], global_flags: list[str]) -> list[str]:
    """After ``call OP``: enum values, options, ``name=`` words, and existing values of a path parameter."""
    by_flag = {"--" + p.name.replace("_", "-"): p for p in op.params if p.location != "body"}
    if previous in by_flag and by_flag[previous].enum:
        return [str(v) for v in by_flag[previous].enum or [] if str(v).startswith(current)]
    if current.startswith("-"):
        return [w for w in [*by_flag, *call_options, *global_flags] if w.startswith(current)]
    fields: dict[str, list[str]] = {p.name: [str(v) for v in p.enum or []] for p in op.params if p.location != "body"}
    fields.update((key, [str(v) for v in schema.enum or []]) for key, schema in op.body_fields.items())
    if "=" in current:
        name, _, typed = current.partition("=")
        return [f"{name}={v}" for v in fields.get(name, []) if v.startswith(typed)]
    given = [w for w in extras if not w.startswith("-") and "=" not in w]
    path_params = [p for p in op.positional if p.location == "path"]
    # Not offered again: a path parameter whose value was given in place, a name= already on the line.
    taken = {p.name for p in path_params[:len(given)]} | {w.split("=", 1)[0] for w in extras if "=" in w}
    out = [f + "=" for f in fields if (f + "=").startswith(current) and f not in taken]
    if len(given) < len(path_params):
        values = _live_values(api, op, path_params, given, settings)
        out = [v for v in values if v.startswith(current)] + out
    return out


def _live_values(api: Client, op: OperationModel, path_params: list[Param], given: list[str], settings: Settings) -> list[str]:
    """Existing values for the next path parameter: from the disk cache, or fetched within LIVE_LIMIT."""
    from ..livevalues import DiskValues, LiveValues

    param = path_params[len(given)]
    live = LiveValues(api, timeout=LIVE_LIMIT)
    source = live.source(op, param.name)
    if source is None:
        return []
    parents = live.parents(source, {p.name: v for p, v in zip(path_params, given, strict=False)})
    if parents is None:
        return []
    # The demo's simulator answers in-process and its port is new each run: nothing kept on disk for it.
    disk = None if settings.demo else DiskValues(os.path.join(os.path.dirname(words_dir()), "values"),
                                                 f"{settings.host} {settings.profile or ''}")
    found = disk.get(source, parents) if disk is not None else None
    if found is None:
        box: list[list[tuple[str, str]]] = []
        worker = threading.Thread(target=lambda: box.append(live.fetch(source, parents)), daemon=True)
        worker.start()
        worker.join(LIVE_LIMIT)
        if not box:
            return []
        found = box[0]
        if disk is not None and (found or not live.note):
            disk.put(source, parents, found)
    return [value for value, _ in found]


def run_complete(argv: list[str], stdout: TextIO, stderr: TextIO, stdin: TextIO, env: dict[str, str]) -> int:
    """``cmldyn __complete LINE`` (the command line up to the cursor) or ``__complete INDEX WORD...``:
    one candidate per line; silent on any failure."""
    try:
        if len(argv) == 1:
            import shlex

            line = argv[0]
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            if not line or line[-1:].isspace():
                words.append("")
            found = complete_words(words, len(words) - 1, stdout, stderr, stdin, env)
        else:
            found = complete_words(argv[1:], int(argv[0]), stdout, stderr, stdin, env)
        for word in found:
            stdout.write(word + "\n")
    except Exception:  # noqa: BLE001 - a completion that fails offers nothing, never a traceback at the prompt
        return Exit.OK
    return Exit.OK
