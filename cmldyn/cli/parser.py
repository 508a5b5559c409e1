"""The argument parser: global options declared once, one sub-parser per command.

Owns: the table of global options (:data:`GLOBAL_OPTIONS`), which every command's parser
also accepts, so they work before or after the command (``cmldyn --demo call ...`` and
``cmldyn call ... --demo`` are the same); the commands and their own options; bad words
as :class:`UsageError` (argparse never exits for us, except for ``--help`` and ``--version``).
Words after ``call OPERATION`` that no option claims are the call's own words, parsed by
callwords.py. Each command names its handler by the command's own name; main.py's table holds the
functions, so this module imports no command (completion reads the parser without a circle).
May import: errors.
"""

from __future__ import annotations

import argparse
from typing import Any, NamedTuple, NoReturn

from .._version import __version__
from ..errors import UsageError

__all__ = ["GLOBAL_OPTIONS", "GlobalOption", "Parser", "SHELLS", "build_parser", "global_flags"]

SHELLS = ("bash", "fish", "zsh")  # what `cmldyn completion` writes a script for


class GlobalOption(NamedTuple):  # a NamedTuple, not a dataclass: `cmldyn --version` imports no dataclasses
    flag: str
    help: str
    metavar: str | None = None  # None: a switch that takes no value
    seconds: bool = False

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")


GLOBAL_OPTIONS = (
    GlobalOption("--host", "the workspace, https://ml-xxxx.cloudera.site (default: env CML_HOST, then the "
                           "profile's host)", "URL"),
    GlobalOption("--token", "the API key; a key in argv shows in ps (default: env CML_API_KEY, then the profile; "
                            "repl asks)", "KEY"),
    GlobalOption("--token-stdin", "read the API key from the first line of standard input (default off)"),
    GlobalOption("--user", "the user for an API whose spec declares HTTP basic (password: CMLDYN_PASSWORD, "
                           "or asked; default: none)", "NAME"),
    GlobalOption("--profile", "a profile written by 'cmldyn configure' (default: env CMLDYN_PROFILE, then 'default')", "NAME"),
    GlobalOption("--spec", "the spec to use (default: the workspace's /api/v2/swagger.json, cached)", "URL|FILE"),
    GlobalOption("--ca-cert", "a CA bundle to verify the workspace's TLS certificate with (default: the system's)", "FILE"),
    GlobalOption("--insecure", "do not verify TLS certificates, warned about on every run (default off)"),
    GlobalOption("--timeout", "seconds to connect and to wait for each read (default 5 and 30)", "SECONDS", True),
    GlobalOption("--deadline", "seconds for a whole call, retries included (default 120)", "SECONDS", True),
    GlobalOption("--offline", "use the cached spec without asking the server (default off: one conditional request per start)"),
    GlobalOption("--refresh", "fetch the spec again even if the cache has it (default off)"),
    GlobalOption("--debug", "show tracebacks and full diagnostics, the key still redacted (default off)"),
    GlobalOption("--strict", "an answer that differs from the spec fails the call, exit 6 (default off: a note)"),
    GlobalOption("--no-check", "do not check answers against the spec (default: they are checked)"),
    GlobalOption("--har", "record every request and answer of the run in this file as HAR 1.2 (0600; the key and "
                          "secret-named fields redacted; default: none)", "FILE"),
    GlobalOption("--demo", "run against the built-in simulator of the spec, CML's unless --spec; no server needed (default off)"),
)


def _seconds(flag: str) -> Any:
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{flag} takes seconds, got {text!r}") from None

    return parse


def add_global_options(parser: argparse.ArgumentParser, *, on_command: bool, skip: tuple[str, ...] = ()) -> None:
    """Declare the global options on ``parser``.

    On a command's parser their default is SUPPRESS, so an option given before the command
    is not reset by the command's parser when it is not repeated after it.
    """
    group = parser.add_argument_group("global options (before or after the command)")
    for option in GLOBAL_OPTIONS:
        if option.flag in skip:
            continue
        default: Any = argparse.SUPPRESS if on_command else (None if option.metavar else False)
        if option.metavar is None:
            group.add_argument(option.flag, action="store_true", default=default, help=option.help)
        elif option.seconds:
            group.add_argument(option.flag, metavar=option.metavar, default=default, help=option.help,
                               type=_seconds(option.flag))
        else:
            group.add_argument(option.flag, metavar=option.metavar, default=default, help=option.help)


def global_flags(namespace: argparse.Namespace) -> dict[str, Any]:
    """The global options' values from a parsed namespace, by Settings field name."""
    return {option.dest: getattr(namespace, option.dest, None) for option in GLOBAL_OPTIONS}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting, and keeps what
    was declared on it (``declared``: its own arguments; ``commands``: the sub-parsers by name), which
    shell completion reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.declared: list[argparse.Action] = []  # before super(): it declares -h itself
        self.commands: dict[str, Parser] = {}
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.declared.append(action)
        return action

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see '{self.prog} --help'")


ENVIRONMENT = ("environment: CML_HOST, CML_API_KEY (in a CML session CDSW_API_URL or CDSW_DOMAIN, and CDSW_APIV2_KEY), "
               "CMLDYN_PROFILE. Precedence: flags, then the environment, then the profile.")


def build_parser() -> Parser:
    """The whole command line. Each command's parser sets ``command`` (its name), which main.py's table
    turns into the function (Context, Namespace) -> int that runs it."""
    parser = Parser(prog="cmldyn", allow_abbrev=False, epilog=ENVIRONMENT,
                    description="Drive the CML (Cloudera AI) API v2, or any Swagger/OpenAPI spec, from the live spec.")
    parser.add_argument("--version", action="version", version=f"cmldyn {__version__}")
    add_global_options(parser, on_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.set_defaults(top_help=parser.format_help)

    def command(name: str, help_text: str, *, globals_skip: tuple[str, ...] = (),
                with_globals: bool = True, add_help: bool = True) -> Parser:
        p: Parser = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False, epilog=ENVIRONMENT,
                                   add_help=add_help)
        if with_globals:
            add_global_options(p, on_command=True, skip=globals_skip)
        parser.commands[name] = p
        return p

    p = command("call", "call an operation: cmldyn call list_projects --page-size 2 -q 'projects[].name'",
                add_help=False)
    p.add_argument("operation", nargs="?", help="the operation's name (see 'cmldyn ops'), operationId or alias")
    p.add_argument("-h", "--help", action="store_true",
                   help="the operation's documentation and command-line form (without OPERATION: this help)")
    p.set_defaults(command_help=p.format_help)
    p.add_argument("-q", "--query", metavar="JMESPATH", help="filter the answer with a JMESPath expression")
    p.add_argument("-o", "--output", choices=("json", "yaml", "table", "raw"), help="how to show the answer (default json)")
    p.add_argument("--all", action="store_true", help="follow next_page_token and gather every item")
    p.add_argument("--dry-run", action="store_true", help="show the request (key redacted) without sending it")
    p.add_argument("--curl", action="store_true",
                   help="print the request as a curl command, without sending it: the key as \"$CML_API_KEY\"")
    p.add_argument("--reveal", action="store_true", help="with --curl: write the key itself into the command (default off)")
    p.add_argument("--wait", action="store_true", help="wait until what the call started reaches a final status")
    p.add_argument("--verify", action="store_true",
                   help="after a write, read the object back and report the fields that were sent but not applied")
    p.epilog = ("the call's own words: path values in order, --param value, param=value, field:=json, "
                "--body JSON|@FILE|-. " + ENVIRONMENT)

    p = command("check", "crawl the spec's read-only operations against the server and check every answer "
                         "(never sends a write)")
    p.add_argument("--max-calls", type=int, default=200, help="calls at most (default 200)")
    p.add_argument("--max-depth", type=int, default=4, help="how many answers away from a list an id may be (default 4)")
    p.add_argument("--rate", type=float, help="calls per second at most (default 10; with --demo no limit; 0: no limit)")
    p.add_argument("--check-deadline", type=float, default=60.0, metavar="SECONDS",
                   help="stop crawling after this many seconds (default 60)")
    p.add_argument("--fail-on", choices=("error", "warning", "never"), default="error",
                   help="exit 6 when findings reach this severity (default error; warning counts info and advice)")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report, one test case per operation")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")

    p = command("ops", "list the operations (name, method, path, summary)")
    p.add_argument("pattern", nargs="?", help="only operations whose name, path or summary contains this")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")

    p = command("describe", "an operation's documentation and its command-line form")
    p.add_argument("operation")
    p.add_argument("--depth", type=int, default=2, metavar="N", help="levels of body and answer fields (default 2)")

    p = command("explain", "a schema by name, or an operation's body, parameters or answer, and a field path into it: "
                           "cmldyn explain create_job.body, cmldyn explain Project.owner")
    p.add_argument("target", metavar="NAME[.field.path]", help="a schema's name, or OP.body / OP.parameters / OP.answer")
    p.add_argument("--depth", type=int, default=1, metavar="N", help="levels of fields to show (default 1)")
    p.add_argument("--recursive", action="store_true",
                   help="every level (bounded; a cycle is marked, not entered) (default off)")

    p = command("help", "an operation's documentation (as describe), or, without one, this help")
    p.add_argument("operation", nargs="?")

    p = command("spec", "the spec: show (source, cache, version, counts), refresh, diff (since the cached copy), "
                        "validate (findings, never fatal), resolve (references inlined, cycles kept), drift (where recent "
                        "answers differed from it)")
    p.add_argument("action", nargs="?", choices=("show", "refresh", "diff", "validate", "resolve", "drift"), default="show")
    p.add_argument("-o", "--output", choices=("json", "yaml", "table"), default="json")

    p = command("repl", "the interactive console (--demo: against the built-in simulator)")
    p.add_argument("--output", choices=("json", "yaml", "table"), default="json",
                   help="how results are shown at the start; .output changes it (default json)")
    p.add_argument("--history", metavar="FILE",
                   help="where entered lines are kept, 0600, never a line holding a key (default: the user data "
                        "directory's cmldyn/history)")
    p.add_argument("--no-history", action="store_true", help="keep entered lines in memory only (default off)")
    p.add_argument("--values-ttl", type=float, default=60.0, metavar="SECONDS",
                   help="how long existing values fetched for completion are kept; 0 turns live values off (default 60)")

    p = command("configure", "write a profile (--profile NAME, default 'default'); the key is asked without echo")
    p.add_argument("--key-env", metavar="NAME", help="read the key from this environment variable at run time")
    p.add_argument("--key-command", metavar="CMD", help="run this command to print the key at run time")
    p.add_argument("--config", help=argparse.SUPPRESS)

    p = command("mcp", "serve the spec's operations to AI agents over MCP (stdio; --http PORT): read-only unless "
                       "allowed; needs pip install 'cmldyn[mcp]'")
    p.add_argument("--http", type=int, metavar="PORT",
                   help="serve streamable HTTP on 127.0.0.1:PORT with a bearer token of its own (default: stdio)")
    p.add_argument("--allow-write", action="store_true", help="allow POST, PUT and PATCH operations that are not "
                                                                  "destructive (default off: read-only)")
    p.add_argument("--allow-destructive", action="store_true",
                   help="also allow DELETE, custom verbs (:stop, :restart), delete-like names, key rotation (default off)")
    p.add_argument("--allow", metavar="OP[,OP]", help="allow these operations by name, whatever they do (default none)")
    p.add_argument("--tools", metavar="OP[,OP]", help="also offer these operations as tools of their own (default none)")
    p.add_argument("--tag", help="also offer the operations with this tag as tools of their own (default none)")
    p.add_argument("--confirm-writes", action="store_true",
                   help="a person approves each write the flags allow, shown what it would send; the approval is bound "
                        "to that exact call and used once (default off)")
    p.add_argument("--confirm-ttl", type=float, default=300.0, metavar="SECONDS",
                   help="how long an approval request stays valid (default 300)")
    p.add_argument("--reveal-env", action="store_true",
                   help="show the values of environment maps in results (default off: masked)")
    p.add_argument("--max-result", type=int, default=16 * 1024, metavar="BYTES",
                   help="cut a tool result to this size, with a note on how to narrow it (default 16384)")
    p.add_argument("--revalidate", type=float, default=300.0, metavar="SECONDS",
                   help="ask the server whether the spec changed at most this often; -1 never (default 300)")
    p.add_argument("--wait-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="the longest wait_for may wait (default 300)")
    p.add_argument("--max-concurrent", type=int, default=8, metavar="N",
                   help="tool calls that reach the server at the same time at most; one more is refused at once "
                        "(search and describe never wait) (default 8)")

    p = command("run", "run an unmodified cmlapi script: import cmlapi resolves to cmldyn, the workspace (or --demo's "
                       "simulator) is handed over as a CML session does")
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module as python -m does (default: a SCRIPT)")
    p.add_argument("--replace-cmlapi", action="store_true",
                   help="import cmldyn's cmlapi even where a real cmlapi is installed (default off: the real one wins)")
    p.add_argument("script", nargs="?", metavar="SCRIPT", help="the script (with -m: the module's first argument)")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the script's own arguments, as given")

    p = command("env", "a project's environment variables: get, set (NAME=value, --from-file), unset; every write read "
                       "back and verified, secrets shown as *** unless --reveal")
    p.add_argument("action", choices=("get", "set", "unset"))
    p.add_argument("project", metavar="PROJECT", help="the project's id or exact name")
    p.add_argument("names", nargs="*", metavar="NAME[=value]", help="get: one NAME; set: NAME=value; unset: NAMEs")
    p.add_argument("--from-file", metavar="FILE", help="set: NAME=value lines of a .env file (default: none)")
    p.add_argument("--reveal", action="store_true", help="get: show secret-like values (default off: ***)")
    p.add_argument("--restart-apps", action="store_true",
                   help="set/unset: restart the project's running applications and wait until they run (default off)")
    p.add_argument("--wait-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="the longest a restart may take (default 600)")
    p.add_argument("-o", "--output", choices=("json", "table", "dotenv"), default="json",
                   help="get: how the variables are shown (default json)")

    p = command("app", "an application's runtime upgrade: stop, update runtime and add-ons in one request, restart, "
                       "wait, verify")
    p.add_argument("action", choices=("upgrade-runtime",))
    p.add_argument("project", metavar="PROJECT", help="the project's id or exact name")
    p.add_argument("app", metavar="APP", help="the application's id or exact name")
    p.add_argument("--to", metavar="RUNTIME", help="an image identifier, or editor/kernel/edition[/version] (no default)")
    p.add_argument("--addons", metavar="ID[,ID]", help="runtime add-on identifiers, sent with the runtime (default none)")
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing (default off)")
    p.add_argument("--wait-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="the longest each wait may take (default 600)")

    p = command("amp", "an AMP's .project-metadata.yaml: lint it (no workspace needed), plan it against a project, "
                       "apply it (tasks in order, idempotent by name; --demo: against the built-in simulator)")
    p.add_argument("action", choices=("lint", "plan", "apply"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="a .project-metadata.yaml, or the directory holding it")
    p.add_argument("--project", metavar="P", help="plan/apply: the project's id or exact name, made when there is "
                                                  "none (default: the AMP's name)")
    p.add_argument("--env", action="append", metavar="NAME=value",
                   help="plan/apply: a value for a variable the AMP declares; wins over the project's and the "
                        "default (repeat it; default none)")
    p.add_argument("--git-url", metavar="URL", help="apply: make a new project from this repository (default: blank)")
    p.add_argument("--git-ref", metavar="REF", help="apply: the branch or tag of --git-url (default: its default)")
    p.add_argument("--wait-timeout", type=float, default=1800.0, metavar="SECONDS",
                   help="apply: the longest each run, build, deployment or start may take (default 1800)")
    p.add_argument("--poll", type=float, metavar="SECONDS",
                   help="apply: the pause between status reads while waiting (default 5; 0.05 with --demo)")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text", help="how results are shown (default text)")

    p = command("stubs", "write typed stubs of this spec into ./typings (pyright and Pylance read it; mypy with "
                         "mypy_path): every operation, parameter and schema typed, for cmldyn and cmlapi scripts")
    p.add_argument("--out", default="typings", metavar="DIR", help="where to write them (default ./typings)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when the stubs in DIR were made from another spec (default off)")

    p = command("skill", "write an agent skill file (Markdown) for this spec: how to call the CLI, the operations by "
                         "tag with what they need, exit codes and error forms, and CML's quirks")
    p.add_argument("--out", default="SKILL.md", metavar="FILE",
                   help="where to write it; a directory (or a path ending in /) gets DIR/SKILL.md, made as needed; - prints "
                        "it (default ./SKILL.md)")
    p.add_argument("--force", action="store_true",
                   help="replace a file that cmldyn skill did not write (default off: refused)")

    p = command("completion", "print a shell completion script: eval \"$(cmldyn completion bash)\"")
    p.add_argument("shell", choices=SHELLS)

    # The simulator is a server, not a client: --host and --token are the address and key it serves.
    p = command("sim", "run a stateful simulator of the spec in the foreground (the CML API v2 unless --spec); "
                       "'sim capture --out FILE' captures a workspace's state into a file it can serve",
                with_globals=False)
    p.add_argument("action", nargs="?", choices=("capture",),
                   help="capture: crawl the workspace (--host and the key, given before 'sim', or the environment or "
                        "the profile) read-only and write what it holds to --out")
    p.add_argument("--out", metavar="FILE", help="capture: the state file to write, 0600, atomically (no default: needed)")
    p.add_argument("--max-calls", type=int, default=500, help="capture: calls at most (default 500)")
    p.add_argument("--rate", type=float, default=10.0, help="capture: calls per second at most (default 10; 0: no limit)")
    p.add_argument("--deadline", dest="capture_deadline", type=float, default=120.0, metavar="SECONDS",
                   help="capture: stop after this many seconds (default 120)")
    p.add_argument("--state", metavar="FILE", help="start from a saved or captured state instead of the seed's data "
                                                    "(default: none)")
    p.add_argument("--save", action="store_true", help="write the state back to --state on exit and every --save-every "
                                                       "seconds (default off)")
    p.add_argument("--save-every", type=float, default=60.0, metavar="SECONDS",
                   help="with --save, how often the state is written while it runs (default 60)")
    p.add_argument("--keep-env", action="store_true",
                   help="keep environment values in a written state (default off: redacted, as secret-named fields "
                        "always are)")
    p.add_argument("--spec", metavar="FILE|URL", default=argparse.SUPPRESS,
                   help="the Swagger 2.0 / OpenAPI 3.x spec to serve (default: the packaged CML API v2 spec)")
    p.add_argument("--host", dest="bind_host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)")
    p.add_argument("--token", dest="sim_token", metavar="KEY", help="the API key it accepts (default: a random one, printed)")
    p.add_argument("--seed", default="demo", metavar="demo|empty|N",
                   help="demo data or empty; a number N (or demo:N, empty:N) makes every id, value and time stamp the "
                        "same on every run with N (the clock still runs unless --progression manual) (default demo)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    p.add_argument("--progression", choices=("time", "manual", "immediate"), default="time",
                   help="how statuses move: with the clock (time), not until stepped (manual), or straight to their "
                        "final value (immediate) (default time)")
    p.add_argument("--drift", metavar="KIND[,KIND]",
                   help="answer with seeded differences from the spec: extra-field, missing-field, wrong-type, "
                        "bad-enum, undocumented-status (default: none; the simulator conforms)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks (default off)")
    return parser
