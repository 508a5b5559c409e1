"""The command line: ``cmldyn call / ops / describe / spec / repl / sim``.

The only place that turns errors into exit codes and prints them (RELIABILITY.md
section 4): one ``cmldyn: error: ...`` line on stderr, an optional ``hint:``
line, no traceback unless ``--debug``, and the key never shown.
Heavy or optional parts load lazily: the REPL (prompt_toolkit) and the
simulator are imported only by the commands that use them.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from ._version import __version__
from .errors import (
    AuthError,
    CmldynError,
    ConfigError,
    CredentialError,
    FilterError,
    OperationError,
    ParamError,
    SpecError,
    TransportError,
    UsageError,
    did_you_mean,
)


class Exit(enum.IntEnum):
    OK = 0
    API = 1
    USAGE = 2
    NETWORK = 3
    AUTH = 4
    SPEC = 5
    INTERRUPTED = 130


def exit_code(error: BaseException) -> Exit:
    """The documented code for an error class (RELIABILITY.md section 4)."""
    if isinstance(error, KeyboardInterrupt):
        return Exit.INTERRUPTED
    if isinstance(error, SpecError):
        return Exit.SPEC
    if isinstance(error, TransportError):
        return Exit.NETWORK
    if isinstance(error, (AuthError, CredentialError)):
        return Exit.AUTH
    if isinstance(error, (ParamError, OperationError, FilterError, UsageError, ConfigError)):
        return Exit.USAGE
    return Exit.API


# Global options: name -> takes a value. They may stand before or after the command.
GLOBAL_OPTIONS = {
    "--host": True, "--token": True, "--token-stdin": False, "--profile": True, "--spec": True, "--ca-cert": True,
    "--insecure": False, "--timeout": True, "--deadline": True, "--debug": False, "--demo": False,
    "--offline": False, "--refresh": False,
}


@dataclass
class Settings:
    host: str | None = None
    token: str | None = None
    spec: str | None = None
    ca_cert: str | None = None
    insecure: bool = False
    timeout: float | None = None
    deadline: float | None = None
    debug: bool = False
    demo: bool = False
    profile: str | None = None
    offline: bool = False
    refresh: bool = False
    token_stdin: bool = False


def split_globals(argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Take the global options out of argv wherever they stand (not after ``sim``, which has its own)."""
    found: dict[str, Any] = {}
    rest: list[str] = []
    i = 0
    command_seen = None
    while i < len(argv):
        word = argv[i]
        name, eq, inline = word.partition("=")
        if command_seen != "sim" and name in GLOBAL_OPTIONS and word != "--":
            key = name[2:].replace("-", "_")
            if GLOBAL_OPTIONS[name]:
                if eq:
                    found[key] = inline
                elif i + 1 < len(argv):
                    found[key] = argv[i + 1]
                    i += 1
                else:
                    raise UsageError(f"{name} needs a value")
            else:
                found[key] = True
            i += 1
            continue
        if command_seen is None and not word.startswith("-"):
            command_seen = word
        rest.append(word)
        i += 1
    return found, rest


def settings_from(found: dict[str, Any], env: dict[str, str], warnings: list[str] | None = None,
                  config_path: str | None = None, *, creating: bool = False) -> Settings:
    """Flags first, then the environment (CML_*, then a CML session's CDSW_*), then the profile."""
    s = Settings(**{k: v for k, v in found.items() if k in Settings.__dataclass_fields__})
    for name in ("timeout", "deadline"):
        if found.get(name) is not None:
            try:
                setattr(s, name, float(found[name]))
            except ValueError:
                raise UsageError(f"--{name} takes seconds, got {found[name]!r}") from None
    if not s.host:
        s.host = env.get("CML_HOST") or env.get("CDSW_API_URL") or (("https://" + env["CDSW_DOMAIN"]) if env.get("CDSW_DOMAIN") else None)
    if not s.token:
        s.token = env.get("CML_API_KEY") or env.get("CDSW_APIV2_KEY")
    wanted = s.profile or env.get("CMLDYN_PROFILE")
    if wanted or not (s.host and s.token):
        from .config import load_profiles

        profiles = load_profiles(config_path, warnings)
        name = wanted or "default"
        profile = profiles.get(name)
        if profile is None and wanted and not creating:
            known = ", ".join(sorted(profiles)) or "none yet; create one with 'cmldyn configure'"
            raise UsageError(f"no profile {name!r} (profiles: {known})")
        if profile is not None:
            s.profile = name
            s.host = s.host or profile.host
            if not s.token:
                s.token = profile.resolve_key(env)
            s.ca_cert = s.ca_cert or profile.ca_cert
            s.spec = s.spec or profile.spec
            s.insecure = s.insecure or profile.insecure
            if s.timeout is None and profile.timeout is not None:
                s.timeout = float(profile.timeout)
    return s


class Context:
    """What a command needs: streams, settings, and a client made on demand."""

    def __init__(self, settings: Settings, stdout: TextIO, stderr: TextIO, stdin: TextIO) -> None:
        self.settings = settings
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self._sim: Any = None
        self._client: Any = None
        self.cache_dir: str | None = None  # tests point this elsewhere; None = the user's cache directory

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.settings.token,) if self.settings.token else ()

    def start_demo(self) -> None:
        """Start the built-in simulator in-process (the one lazy import of it)."""
        from .simulator import Simulator

        self._sim = Simulator(port=0, seed="demo").start()
        self.settings.host = self._sim.url
        self.settings.token = self._sim.token

    def client(self, *, need_host: bool = True) -> Any:
        if self._client is not None:
            return self._client
        from .client import Client

        s = self.settings
        if s.demo and self._sim is None:
            self.start_demo()
        host = s.host
        if not host:
            if s.spec and not need_host:
                host = "http://127.0.0.1"  # reading a local spec only; never contacted
            else:
                raise UsageError("no host: pass --host https://<workspace>, set CML_HOST, or try --demo")
        if need_host and not s.token:
            raise CredentialError("no API key: pass --token, set CML_API_KEY, or use 'cmldyn repl' to be asked for it")
        options = self._options(cache=self.cache_dir or True)
        if s.insecure:
            self.stderr.write(f"cmldyn: warning: TLS verification is off for {host}\n")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._client = Client(host, s.token, **options)
        if self._client.spec_changes:
            added, removed = self._client.spec_changes
            self.stderr.write(f"cmldyn: the spec changed: {len(added)} operation(s) added, {len(removed)} removed"
                              f"{' (+' + ', '.join(added[:5]) + ')' if added else ''}{' (-' + ', '.join(removed[:5]) + ')' if removed else ''}\n")
        return self._client

    def _options(self, *, cache: Any) -> dict[str, Any]:
        """Client options from the settings (the same for every client a command makes)."""
        s = self.settings
        options: dict[str, Any] = dict(spec=s.spec, ca_cert=s.ca_cert, verify=not s.insecure,
                                       cache=cache, offline=s.offline and cache is not None, refresh=s.refresh)
        if s.timeout is not None:
            options["timeout"] = s.timeout
        if s.deadline is not None:
            options["deadline"] = s.deadline
        return options

    def client_without_cache(self) -> Any:
        """A client that fetches the live spec and leaves the cache alone."""
        import warnings

        from .client import Client

        s = self.settings
        if not s.host or not s.token:
            raise UsageError("spec diff needs --host and a key")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Client(s.host, s.token, **self._options(cache=None))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._sim is not None:
            self._sim.stop()


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def emit(ctx: Context, value: Any, fmt: str | None) -> None:
    from .output import highlight_json, render

    tty = _is_tty(ctx.stdout)
    if isinstance(value, (bytes, bytearray)) and fmt in (None, "raw"):
        buffer = getattr(ctx.stdout, "buffer", None)
        if buffer is not None and not tty:
            ctx.stdout.flush()
            buffer.write(value)
            buffer.flush()
            return
    chosen = fmt or "json"
    text = render(value, chosen, pretty=tty or chosen != "json")
    if tty and chosen == "json" and not os.environ.get("NO_COLOR"):
        text = highlight_json(text)
    ctx.stdout.write(text + "\n")


# ---------------------------------------------------------------- commands

def cmd_ops(ctx: Context, args: argparse.Namespace) -> int:
    from .output import operations_table

    api = ctx.client(need_host=False)
    pattern = (args.pattern or "").lower()
    rows = [(o.name, o.method, o.path, o.summary) for o in api.operations
            if not pattern or pattern in o.name.lower() or pattern in o.path.lower() or pattern in o.summary.lower()]
    if args.output == "json":
        emit(ctx, [dict(name=n, method=m, path=p, summary=s) for n, m, p, s in rows], "json")
    else:
        ctx.stdout.write(operations_table(rows) + "\n")
    return Exit.OK


def cmd_describe(ctx: Context, args: argparse.Namespace) -> int:
    from .output import safe_text

    api = ctx.client(need_host=False)
    op = api.operation(args.operation)
    ctx.stdout.write(safe_text(op.doc()) + "\n\nCommand line: " + safe_text(cli_usage(op)) + "\n")
    return Exit.OK


def cli_usage(op: Any) -> str:
    """``cmldyn call create_job PROJECT_ID [--body JSON | field=value ...]``: the call as typed in a shell."""
    words = ["cmldyn call", op.name]
    words += [p.name.upper() for p in op.path_params]
    for param in op.params:
        if param.location in ("path", "body"):
            continue
        flag = "--" + param.name.replace("_", "-") + " " + param.name.upper()
        words.append(flag if param.required else f"[{flag}]")
    if op.body_param is not None:
        words.append("[--body JSON|@FILE|- | field=value field:=json ...]")
    return " ".join(words)


def cmd_spec(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "diff":
        return spec_diff(ctx, args)
    if args.action == "refresh":
        ctx.settings.refresh = True
    api = ctx.client(need_host=not ctx.settings.spec)
    spec = api.spec
    if args.action == "validate":
        emit(ctx, {"source": spec.source, "findings": api.spec_warnings}, args.output)
        return Exit.OK
    info: dict[str, Any] = {
        "source": spec.source, "cache": api.cache_path, "state": api.spec_state, "title": spec.title,
        "version": spec.api_version, "format": spec.version, "operations": len(api.operations),
        "schemas": len(api.model.schema_names()), "base_path": spec.base_path, "warnings": len(api.model.warnings),
    }
    if args.action == "refresh":
        added, removed = api.spec_changes or ([], [])
        info.update(added=added, removed=removed)
    emit(ctx, info, args.output)
    return Exit.OK


def spec_diff(ctx: Context, args: argparse.Namespace) -> int:
    """Operations added and removed on the server since the cached copy (the cache is left as it is)."""
    from .cache import SpecCache

    live = ctx.client_without_cache()
    cache = SpecCache(ctx.cache_dir) if ctx.cache_dir else SpecCache()
    url = live._spec_source if isinstance(live._spec_source, str) else ""
    entry = cache.get(live._transport.origin, url)
    if entry is None:
        raise UsageError("no cached copy of this spec to compare with; run any command once to cache it")
    now = set(live.model.names())
    before = set(entry.operations)
    emit(ctx, {"cached": entry.path, "added": sorted(now - before), "removed": sorted(before - now)}, args.output)
    return Exit.OK


CALL_FLAGS = {"--query": "query", "-q": "query", "--output": "output", "-o": "output", "--body": "body"}
CALL_SWITCHES = {"--all": "all", "--dry-run": "dry_run", "--wait": "wait"}


def parse_call_words(op: Any, words: list[str], stdin: TextIO) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """Split the words after ``call OP`` into positional values, keyword arguments and call options."""
    options: dict[str, Any] = {"query": None, "output": None, "body": None, "all": False, "dry_run": False, "wait": False}
    positional: list[Any] = []
    kwargs: dict[str, Any] = {}
    body_fields: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, inline = word.partition("=")
        if name in CALL_FLAGS:
            if not eq:
                if i + 1 >= len(words):
                    raise UsageError(f"{name} needs a value")
                inline = words[i + 1]
                i += 1
            options[CALL_FLAGS[name]] = inline
        elif word in CALL_SWITCHES:
            options[CALL_SWITCHES[word]] = True
        elif word.startswith("--") and len(word) > 2:
            key = name[2:].replace("-", "_")
            param = op.param_index.get(key)
            if param is None:
                raise ParamError(_unknown_option(op, name))
            if not eq:
                if param.schema.get("type") == "boolean" and (i + 1 >= len(words) or words[i + 1].startswith("--")):
                    inline = "true"
                elif i + 1 < len(words):
                    inline = words[i + 1]
                    i += 1
                else:
                    raise UsageError(f"{name} needs a value")
            _put(kwargs, param.name, coerce(param.schema, inline, param.name))
        elif ":=" in word and word.index(":=") > 0 and "=" not in word[: word.index(":=")]:
            key, _, raw = word.partition(":=")
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise UsageError(f"{key}:= needs a JSON value ({exc})") from None
            _assign(op, key, value, kwargs, body_fields, raw=False)
        elif eq and name.isidentifier():
            _assign(op, name, inline, kwargs, body_fields, raw=True)
        else:
            positional.append(word)
        i += 1
    path_params = [p for p in op.path_params]
    if len(positional) > len(path_params):
        raise UsageError(f"{op.name} takes {len(path_params)} positional value(s) ({', '.join(p.name for p in path_params) or 'none'}), got {len(positional)}")
    for param, value in zip(path_params, positional):
        kwargs[param.name] = value
    if options["body"] is not None:
        if body_fields:
            raise UsageError("give the body either with --body or as field=value words, not both")
        kwargs["body"] = read_body(options["body"], stdin)
    elif body_fields:
        kwargs.update(body_fields)
    return [], kwargs, options


def _put(kwargs: dict[str, Any], name: str, value: Any) -> None:
    if name in kwargs and isinstance(kwargs[name], list):
        kwargs[name] = kwargs[name] + (value if isinstance(value, list) else [value])
    else:
        kwargs[name] = value


def _assign(op: Any, key: str, value: Any, kwargs: dict[str, Any], body_fields: dict[str, Any], *, raw: bool) -> None:
    param = op.param_index.get(key)
    if param is not None and param.location != "body":
        kwargs[param.name] = coerce(param.schema, value, param.name) if raw else value
        return
    if op.body_param is None:
        raise ParamError(_unknown_option(op, key))
    from .model import schema_properties

    props = schema_properties(op.body_param.schema, op.spec)
    if raw and key in props and isinstance(props[key], dict) and props[key].get("type") in ("integer", "number", "boolean"):
        value = coerce(props[key], value, key)
    body_fields[key] = value


def _unknown_option(op: Any, word: str) -> str:
    key = word.lstrip("-").replace("-", "_")
    hint = did_you_mean(key, op.param_index, show=lambda name: "--" + name.replace("_", "-"))
    return f"unknown parameter {word!r} for {op.name}{hint}"


def coerce(schema: dict[str, Any], text: str, name: str) -> Any:
    """A command-line word -> the parameter's type."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(text)
        if kind == "array":
            found = schema.get("items")
            item: dict[str, Any] = found if isinstance(found, dict) else {}
            return [coerce(item, part, name) for part in text.split(",") if part != ""]
    except ValueError:
        raise ParamError(f"wrong type for {name}: expected {kind}, got {text!r}") from None
    return text


def read_body(spec: str, stdin: TextIO) -> Any:
    """``--body '<json>'``, ``--body @file.json`` or ``--body -`` (standard input)."""
    if spec == "-":
        text = stdin.read()
        origin = "standard input"
    elif spec.startswith("@"):
        try:
            with open(spec[1:], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read body file {spec[1:]}: {exc.strerror}") from None
        origin = spec[1:]
    else:
        text = spec
        origin = "--body"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"body from {origin} is not JSON: {exc}") from None


def cmd_call(ctx: Context, args: argparse.Namespace) -> int:
    from .filtering import compile_expression, search

    api = ctx.client()
    op = api.operation(args.operation)
    _, kwargs, options = parse_call_words(op, args.words, ctx.stdin)
    if options["output"] not in (None, "json", "yaml", "table", "raw"):
        raise UsageError(f"--output takes json, yaml, table or raw, not {options['output']!r}")
    if options["query"]:
        compile_expression(options["query"])  # a bad expression fails before any request
    if options["dry_run"]:
        request = api.prepare(op.name, **kwargs)
        emit(ctx, {"method": request.method, "url": api.url_for(request),
                   "headers": {"authorization": "Bearer ***", **request.headers}, "body": request.body_preview()}, options["output"])
        return Exit.OK
    # Straight to the operation: the documented callable (and its docs) is for Python users.
    def call(*args: Any, **kw: Any) -> Any:
        return api._invoke(op, args, kw)

    getter = api.waiter_for(op) if options["wait"] else None
    if options["wait"] and getter is None:
        raise UsageError(f"{op.name} has nothing to wait for (no status to poll); drop --wait")
    if options["all"]:
        from .paginate import iter_pages

        field_name = op.page_list_field
        if not field_name:
            raise UsageError(f"{op.name} does not page (no page_token in, next_page_token out)")
        items: list[Any] = []
        progress = _is_tty(ctx.stderr)
        for n, page in enumerate(iter_pages(call, (), kwargs), start=1):
            items.extend(page.get(field_name) or [])
            if progress:
                ctx.stderr.write(f"\rpage {n}: {len(items)} {field_name}")
                ctx.stderr.flush()
        if progress:
            ctx.stderr.write("\n")
        result: Any = {field_name: items}
    else:
        result = call(**kwargs)
    if getter is not None:
        from .output import progress_printer

        result = api.wait(result, progress=progress_printer(ctx.stderr) if _is_tty(ctx.stderr) else None)
    if options["query"]:
        result = search(options["query"], result)
    emit(ctx, result, options["output"])
    return Exit.OK


def cmd_sim(ctx: Context, args: argparse.Namespace) -> int:
    from .simulator import Simulator

    sim = Simulator(args.host, args.port, token=args.token, seed=args.seed, speed=args.speed)
    ctx.stdout.write(f"cmldyn sim: CML API v2 simulator at {sim.url}\n")
    ctx.stdout.write(f"  API key:  {sim.token}\n")
    ctx.stdout.write(f"  try:      cmldyn --host {sim.url} --token {sim.token} call list_projects -q 'projects[].name'\n")
    ctx.stdout.write("  stop with Ctrl-C\n")
    ctx.stdout.flush()
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        ctx.stdout.write("cmldyn sim: stopped\n")
    finally:
        sim.close()
    return Exit.OK


def cmd_configure(ctx: Context, args: argparse.Namespace) -> int:
    """Write a profile. The key is asked for without echo (or read from a pipe), never shown."""
    from .config import Profile, default_config_path, save_profile
    from .transport import clean_token

    name = ctx.settings.profile or "default"
    host = args.host_value or ctx.settings.host
    if not host:
        host = _ask(ctx, "Workspace URL (https://ml-xxxx.cloudera.site): ", secret=False)
    if not host:
        raise UsageError("a profile needs a host")
    profile = Profile(name=name, host=host, key_env=args.key_env, key_command=args.key_command,
                      ca_cert=ctx.settings.ca_cert, insecure=ctx.settings.insecure)
    if not args.key_env and not args.key_command:
        key = _ask(ctx, f"API key for {host} (not shown): ", secret=True)
        profile.key = clean_token(key)
        if not profile.key:
            raise CredentialError("no API key given; use --key-env NAME or --key-command CMD to avoid storing one")
    path = save_profile(profile, args.config or default_config_path())
    ctx.stdout.write(f"profile {name!r} saved in {path} (0600)\n")
    return Exit.OK


def _ask(ctx: Context, prompt: str, *, secret: bool) -> str:
    if _is_tty(ctx.stdin):
        if secret:
            import getpass

            return getpass.getpass(prompt, stream=ctx.stderr).strip()
        ctx.stderr.write(prompt)
        ctx.stderr.flush()
    return ctx.stdin.readline().strip()


COMPLETION_SCRIPTS = {
    "bash": """# cmldyn completion for bash: eval "$(cmldyn completion bash)"
_cmldyn_complete() {
    local IFS=$'\n'
    COMPREPLY=($(cmldyn __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -F _cmldyn_complete cmldyn
""",
    "zsh": """# cmldyn completion for zsh: eval "$(cmldyn completion zsh)"
autoload -U +X bashcompinit && bashcompinit
_cmldyn_complete() {
    local IFS=$'\n'
    COMPREPLY=($(cmldyn __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -F _cmldyn_complete cmldyn
""",
}
COMMANDS = ("call", "ops", "describe", "spec", "repl", "sim", "configure", "completion")


def cmd_completion(ctx: Context, args: argparse.Namespace) -> int:
    ctx.stdout.write(COMPLETION_SCRIPTS[args.shell])
    return Exit.OK


def complete_words(ctx: Context, index: int, words: list[str]) -> list[str]:
    """Candidates for word ``index`` of a command line, from the cached spec only (no network)."""
    current = words[index] if index < len(words) else ""
    _, rest = split_globals(words[1:index])
    if not rest:
        pool = list(COMMANDS) + [g for g in GLOBAL_OPTIONS] + ["--version", "--help"]
        return [w for w in pool if w.startswith(current)]
    command = rest[0]
    if command in ("call", "describe"):
        ctx.settings.offline = True
        try:
            api = ctx.client(need_host=False)
        except CmldynError:
            return []
        if len(rest) == 1:
            return [n for n in api.model.names() if n.startswith(current)]
        if command == "call":
            op = api.model.find(rest[1])
            if op is None:
                return []
            flags = ["--" + p.name.replace("_", "-") for p in op.params if p.location != "body"]
            flags += list(CALL_FLAGS) + list(CALL_SWITCHES)
            return [f for f in flags if f.startswith(current)] if current.startswith("-") else []
    if command == "completion" and len(rest) == 1:
        return [sh for sh in COMPLETION_SCRIPTS if sh.startswith(current)]
    if command == "spec" and len(rest) == 1:
        return [a for a in ("show", "refresh", "diff", "validate") if a.startswith(current)]
    return []


def cmd_repl(ctx: Context, args: argparse.Namespace) -> int:
    from .repl.session import run_repl

    return run_repl(ctx, demo=ctx.settings.demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cmldyn",
        description="Drive the CML (Cloudera AI) API v2, or any Swagger/OpenAPI spec, from the live spec.",
        epilog="global options (before or after the command): --host URL --token KEY --profile NAME --spec URL|FILE "
               "--token-stdin --ca-cert FILE --insecure --timeout SECONDS (connect/read) --deadline SECONDS (whole call) "
               "--offline --refresh --debug --demo. "
               "Environment: CML_HOST, CML_API_KEY (in a CML session: CDSW_API_URL/CDSW_DOMAIN, CDSW_APIV2_KEY).",
    )
    parser.add_argument("--version", action="version", version=f"cmldyn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("call", help="call an operation: cmldyn call list_projects --page-size 2 -q 'projects[].name'")
    p.add_argument("operation")
    p.add_argument("words", nargs=argparse.REMAINDER,
                   help="path values, --param value, param=value, field:=json, --body JSON|@file|-, -q JMESPATH, "
                        "-o json|yaml|table|raw, --all, --dry-run, --wait")
    p.set_defaults(func=cmd_call)

    p = sub.add_parser("ops", help="list the operations (name, method, path, summary)")
    p.add_argument("pattern", nargs="?")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_ops)

    p = sub.add_parser("describe", help="an operation's documentation")
    p.add_argument("operation")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("spec", help="the spec: show (where cached, version, counts), refresh, diff (since the cached copy), "
                                    "validate (findings, never fatal)")
    p.add_argument("action", nargs="?", choices=("show", "refresh", "diff", "validate"), default="show")
    p.add_argument("-o", "--output", choices=("json", "yaml", "table"), default="json")
    p.set_defaults(func=cmd_spec)

    p = sub.add_parser("repl", help="the interactive console (--demo: against the built-in simulator)")
    p.set_defaults(func=cmd_repl)

    p = sub.add_parser("configure", help="write a profile (--profile NAME, default 'default'); the key is asked without echo")
    p.add_argument("--host", dest="host_value", help="the workspace URL")
    p.add_argument("--key-env", help="read the key from this environment variable at run time (nothing stored)")
    p.add_argument("--key-command", help="run this command to print the key at run time (nothing stored)")
    p.add_argument("--config", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_configure)

    p = sub.add_parser("completion", help="print a shell completion script: eval \"$(cmldyn completion bash)\"")
    p.add_argument("shell", choices=sorted(COMPLETION_SCRIPTS))
    p.set_defaults(func=cmd_completion)

    p = sub.add_parser("sim", help="run the CML API v2 simulator in the foreground")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--token", help="the API key it accepts (default: a random one, printed)")
    p.add_argument("--seed", choices=("demo", "empty"), default="demo")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.set_defaults(func=cmd_sim)
    return parser


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
    rest: list[str] = []
    secrets: tuple[str, ...] = ()
    try:
        if argv[:1] == ["__complete"]:
            return _complete_main(argv[1:], stdout, stderr, stdin, env)
        found, rest = split_globals(argv)
        config_warnings: list[str] = []
        if found.get("token_stdin"):
            # The key from a pipe (a secret manager), so it is never in argv, ps or shell history.
            found["token"] = stdin.readline().strip() or None
        settings = settings_from(found, env, config_warnings, creating=rest[:1] == ["configure"])
        for note in config_warnings:
            stderr.write(f"cmldyn: warning: {note}\n")
        secrets = (settings.token,) if settings.token else ()
        parser = build_parser()
        parser.error = _raise_usage  # type: ignore[method-assign]
        args = parser.parse_args(rest)
        if not getattr(args, "func", None):
            parser.print_help(stdout)
            return Exit.USAGE
        ctx = Context(settings, stdout, stderr, stdin)
        if settings.demo and args.command != "repl":
            ctx.start_demo()
            secrets = (ctx.settings.token,) if ctx.settings.token else ()
        return int(args.func(ctx, args))
    except KeyboardInterrupt:
        stderr.write("cmldyn: interrupted\n")
        return Exit.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return Exit.OK
    except CmldynError as error:
        if isinstance(error, ParamError) and error.hint is None and ctx is not None and ctx._client is not None:
            _usage_hint(error, ctx._client, rest)
        report(error, stderr, secrets, debug)
        return exit_code(error)
    except Exception as error:  # a bug of ours: still one line, the traceback with --debug
        report(error, stderr, secrets, debug)
        return Exit.API
    finally:
        if ctx is not None:
            ctx.close()


def _usage_hint(error: ParamError, api: Any, rest: list[str]) -> None:
    """A call with a bad argument is told how the call is written."""
    if len(rest) >= 2 and rest[0] == "call":
        op = api.model.find(rest[1])
        if op is not None:
            error.hint = "usage: " + cli_usage(op)


def _complete_main(argv: list[str], stdout: TextIO, stderr: TextIO, stdin: TextIO, env: dict[str, str]) -> int:
    """``cmldyn __complete INDEX WORD...``: one candidate per line; silent on any failure."""
    try:
        index = int(argv[0])
        words = argv[1:]
        found, _ = split_globals(words[1:])
        ctx = Context(settings_from(found, env), stdout, stderr, stdin)
        try:
            for word in complete_words(ctx, index, words):
                stdout.write(word + "\n")
        finally:
            ctx.close()
    except Exception:
        return Exit.OK
    return Exit.OK


def _tolerant(stream: TextIO) -> TextIO:
    """Under LANG=C (ASCII) a project name in another script must not end the run: escape it."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower().replace("-", "") not in ("utf8", "utf_8"):
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    return stream


def _raise_usage(message: str) -> NoReturn:
    raise UsageError(message)


def report(error: BaseException, stderr: TextIO, secrets: tuple[str, ...], debug: bool) -> None:
    """One ``cmldyn: error:`` line, an optional ``hint:`` line; the traceback only with --debug."""
    from .output import error_lines, traceback_text

    if debug:
        stderr.write(traceback_text(error, secrets))
    line, hint = error_lines(error, secrets)
    stderr.write(f"cmldyn: error: {line}\n")
    if hint:
        stderr.write(f"hint: {hint}\n")


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


__all__ = ["Exit", "exit_code", "main"]
