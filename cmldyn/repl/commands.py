"""One REPL input -> run it -> the text to show. Plain Python; no prompt_toolkit here.

Owns: evaluating Python like ``python -i`` (expressions, statements, blocks,
``_``), the ``EXPR | JMESPATH`` filter, the dot commands, the one-line error
messages, and the record of statements for ``.save``. May import the client
side of cmldyn (client, errors, filtering, output, classes).
"""

from __future__ import annotations

import builtins
import codeop
import io
import os
import re
import sys
import textwrap
from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..contract import differs
from ..docs import render_doc
from ..errors import CmldynError, FilterError, Secrets, redact
from ..filtering import caret_line, compile_expression, search
from ..output import error_lines, operations_table, render, safe_text, terminal_width, traceback_text

__all__ = ["Console", "HELP_TEXT", "OUTPUT_FORMATS", "Outcome", "render_data", "render_value", "replay_header", "scan",
           "split_filter"]

OUTPUT_FORMATS = ("json", "yaml", "table")


@dataclass
class Outcome:
    """What one input produced: text to print, whether it failed, whether to leave."""

    text: str = ""
    ok: bool = True
    exit: bool = False
    value: Any = None
    is_result: bool = False
    note: str = ""  # one dim line under the result (an answer that differs from the spec)
    page: bool = False  # long help: through a pager on a terminal


def scan(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth) for each character outside string literals.

    Quote characters themselves are not yielded; a backslash escapes inside strings.
    The depth is the count of ``([{`` open before the character.
    """
    depth = 0
    quote: str | None = None
    escaped = False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            continue
        if ch in ")]}":
            depth -= 1
        yield i, ch, depth
        if ch in "([{":
            depth += 1


def split_filter(source: str) -> tuple[str, str] | None:
    """``api.list_projects() | projects[].name`` -> (Python part, JMESPath part), or None.

    The split is at the first ``|`` outside brackets and strings that is not
    ``||`` or ``|=``; everything after it is JMESPath (which has pipes of its own).
    """
    for i, ch, depth in scan(source):
        if ch != "|" or depth != 0:
            continue
        if source[i + 1: i + 2] in ("|", "=") or (i and source[i - 1] == "|"):
            continue
        left, right = source[:i].strip(), source[i + 1:].strip()
        return (left, right) if left and right else None
    return None


_SURROGATE = re.compile("[\udc80-\udcff]")
_BARE_HELP = re.compile(r"\s*help\s*\(\s*\)\s*")
_NEEDS_CLIENT = frozenset({"ops", "refresh", "drift", "curl", "explain"})


def _json_like(value: Any) -> bool:
    from ..results import Result

    return isinstance(value, (Result, dict, list, tuple))


class Console:
    """The REPL's state: namespace, output format, secrets to redact, saved statements."""

    def __init__(self, namespace: dict[str, Any], *, secrets: Secrets = (), debug: bool = False,
                 refresh: Callable[[], tuple[list[str], list[str]]] | None = None,
                 origin: dict[str, Any] | None = None) -> None:
        self.namespace = namespace
        self.secrets = secrets
        self.debug = debug
        self.output = "json"
        self.statements: list[str] = []  # the session as script lines, for .save
        self.refresh = refresh
        self.origin = origin or {}  # where a saved script connects: host and profile, or the demo
        self.last_operation: str | None = None
        self.last_error: BaseException | None = None  # for .tb
        self.home = namespace.get("api")  # the session's client, for dot commands when `api` is rebound
        # Every exchange of the session, for .har (bounded, credentials and secret-named fields redacted).
        recorder = getattr(self.home, "record_har", None)
        self.recorder = recorder() if callable(recorder) else None
        self.interactive = False  # at a terminal: bare help() talks to it
        self._compiler = codeop.CommandCompiler()

    # ---------------------------------------------------------------- input

    def is_complete(self, source: str) -> bool:
        """Whether ``source`` is a whole statement (Enter runs it) or needs more lines."""
        if not source.strip() or source.lstrip().startswith("."):
            return True
        if split_filter(source) is not None and "\n" not in source:
            return True
        try:
            return self._compiler(source, "<cmldyn>", "single") is not None or source.endswith("\n\n")
        except (SyntaxError, ValueError, OverflowError):
            return True  # let run() report it

    def run(self, source: str) -> Outcome:
        """Run one input: a dot command, ``EXPR | JMESPATH``, or Python; note any drift its calls met.

        Never raises (but for Ctrl-C and leaving): whatever goes wrong, in the user's code or ours,
        is one line in the outcome, and the session goes on."""
        try:
            return self._run_noting(source)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # noqa: BLE001 - one line, the REPL goes on
            self._failed(error)
            return Outcome(self.error_line(error), ok=False)

    def _run_noting(self, source: str) -> Outcome:
        contract = getattr(self.client(), "contract", None)
        if contract is None or not contract.enabled or source.lstrip().startswith(".drift"):
            return self._run(source)
        mark = contract.mark()
        outcome = self._run(source)
        note = differs(contract.since(mark))
        if note:
            outcome.note = f"{note}: .drift"
        return outcome

    def _run(self, source: str) -> Outcome:
        text = source.strip("\n")
        if not text.strip():
            return Outcome()
        bad = _SURROGATE.search(text)
        if bad is not None:  # bytes that are not UTF-8, kept by the stream as surrogates
            byte = ord(bad.group(0)) - 0xDC00
            return Outcome(f"error: the line is not valid UTF-8 (byte 0x{byte:02x} at column {bad.start() + 1}); "
                           "nothing was run", ok=False)
        # A line starting with a space runs as usual and stays out of .save (and of the history).
        private = text[:1] in (" ", "\t")
        if private:
            text = textwrap.dedent(text)
        kept = len(self.statements)
        try:
            if text.lstrip().startswith(".") and not text.lstrip().startswith(".."):
                outcome = self.dot(text.strip())
            else:
                parts = split_filter(text) if "\n" not in text.strip() else None
                found = self._filtered(*parts) if parts is not None else None
                outcome = found if found is not None else self._python(text)
        except KeyboardInterrupt:
            outcome = Outcome("interrupted", ok=False)
        except SystemExit:
            return Outcome(exit=True)
        if private:
            del self.statements[kept:]
        return outcome

    def _filtered(self, left: str, expression: str) -> Outcome | None:
        try:
            code = compile(left, "<cmldyn>", "eval")
        except SyntaxError:
            return None
        try:
            compile_expression(expression)
        except FilterError as error:
            # Python's own `a | b` on non-JSON values still works; a bad filter on JSON says where.
            if not (error.bound or self._looks_like_filter(expression)):
                return None
            return Outcome(self._filter_error(error), ok=False)
        if self._python_or(left, expression):
            return None  # `flags | other`: Python's own operator on names that exist
        try:
            value = eval(code, self.namespace)
        except BaseException as error:  # noqa: BLE001 - reported as one line
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            self._failed(error)
            return Outcome(self.error_line(error), ok=False)
        try:
            filtered = search(expression, value)
        except FilterError as error:
            return Outcome(self._filter_error(error), ok=False)
        self._remember(left, value)
        self.statements.append(f"_ = replay.filtered({left}, {expression!r})")
        return Outcome(render_data(filtered, self.output, self.secrets), value=filtered, is_result=True)

    def _python_or(self, left: str, right: str) -> bool:
        """Whether ``left | right`` is Python's ``|``: the right side is a Python expression whose names all
        exist here (and are not JSON), and the left side is not JSON-like data (a set, a number, a flag)."""
        import ast

        try:
            tree = ast.parse(right, mode="eval")
        except SyntaxError:
            return False
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if not names or any(n not in self.namespace and not hasattr(builtins, n) for n in names):
            return False
        try:
            value = eval(compile(left, "<cmldyn>", "eval"), self.namespace) if _simple(left) else None
        except Exception:  # noqa: BLE001 - not Python then
            return False
        return not _json_like(value) and not isinstance(value, str) and value is not None

    @staticmethod
    def _looks_like_filter(expression: str) -> bool:
        return bool(re.match(r"^[A-Za-z_@\[\]`'\"*&!{]", expression.strip()))

    def _filter_error(self, error: FilterError) -> str:
        return safe_text(f"error: {error.message}\n{caret_line(error)}")

    def _python(self, text: str) -> Outcome:
        if _BARE_HELP.fullmatch(text):
            return self._bare_help(text)
        try:
            try:
                code = compile(text, "<cmldyn>", "eval")
                is_expr = True
            except SyntaxError:
                code = compile(text + ("\n" if "\n" in text else ""), "<cmldyn>", "exec")
                is_expr = False
        except SyntaxError as error:
            return Outcome(safe_text(f"SyntaxError: {error.msg} (line {error.lineno}, column {error.offset})"), ok=False)
        buffer = io.StringIO()
        try:
            with redirect_stdout(buffer):
                value = None
                if is_expr:
                    value = eval(code, self.namespace)
                else:
                    exec(code, self.namespace)
        except BaseException as error:  # noqa: BLE001 - one line, the REPL goes on
            if isinstance(error, SystemExit):
                raise
            if isinstance(error, KeyboardInterrupt):
                return Outcome((buffer.getvalue() + "interrupted").strip(), ok=False)
            self._failed(error)
            return Outcome((safe_text(redact(buffer.getvalue(), self.secrets)) + self.error_line(error)).strip(), ok=False)
        printed = safe_text(redact(buffer.getvalue(), self.secrets)).rstrip("\n")
        if re.match(r"\s*help\s*\(", text):  # documentation, not a step: a comment in the script
            self.statements.append("# " + text.replace("\n", "\n# "))
            return Outcome(printed, page=True)
        self.statements.append(f"_ = replay.echo({text}, _)" if is_expr else text)
        if is_expr and value is not None:
            self._remember(text, value)
            shown = self._show(value)
            shown.text = (printed + "\n" + shown.text).strip("\n") if printed else shown.text
            return shown
        return Outcome(printed)

    def _bare_help(self, text: str) -> Outcome:
        """``help()`` asks its own questions: at a terminal it talks to it directly (not into the captured
        output, where its prompt would be lost); with piped input there is nobody to answer."""
        self.statements.append("# " + text)
        if not self.interactive:
            return Outcome("help() asks questions at a prompt; with piped input ask about something: help(api.create_job)")
        exec(compile(text, "<cmldyn>", "exec"), self.namespace)
        return Outcome()

    def _failed(self, error: BaseException) -> None:
        """Keep the error for .tb, and where ``traceback.print_last()`` looks for it."""
        import sys

        self.last_error = error
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, error.__traceback__

    def _remember(self, source: str, value: Any) -> None:
        self.namespace["_"] = value
        match = re.match(r"\s*api\.([A-Za-z_][A-Za-z0-9_]*)\s*\(", source)
        if match:
            self.last_operation = match.group(1)

    def _show(self, value: Any, *, set_last: bool = True) -> Outcome:
        if set_last:
            self.namespace["_"] = value
        try:
            text = self.render(value)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # noqa: BLE001 - the value's own repr failed: say so, go on
            self._failed(error)
            return Outcome(f"error: cannot show the value: {self.error_line(error).removeprefix('error: ')}", ok=False)
        return Outcome(text, value=value, is_result=True)

    def render(self, value: Any) -> str:
        more = f"api.{self.last_operation}.items() iterates over them all" if self.last_operation else ""
        return render_value(value, self.output, self.secrets, width=terminal_width(sys.stdout) if self.interactive else None,
                            more=more)

    def error_line(self, error: BaseException) -> str:
        """One line for any error; API errors show status and the server's message; --debug adds the traceback."""
        line, hint = error_lines(error, self.secrets, python=True)
        if hint:
            line += f"\nhint: {hint}"
        if self.debug:
            line = traceback_text(error, self.secrets) + line
        return "error: " + line

    # ---------------------------------------------------------------- dot commands

    def dot(self, text: str) -> Outcome:
        name, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        outcome = self._dot(name, arg)
        if outcome.ok and name not in ("save", "save!", "har", "har!", "curl", "exit", "quit"):
            if name == "output":
                self.statements.append(f"replay.output = {arg!r}  # .output {arg}" if arg else f"# {text}")
            else:
                self.statements.append(f"# {text}")
        return outcome

    def client(self) -> Any:
        """The client dot commands work with: ``api`` while it holds one, else the session's own."""
        from ..client import Client

        api = self.namespace.get("api")
        return api if isinstance(api, Client) else self.home

    def _dot(self, name: str, arg: str) -> Outcome:
        if name in ("exit", "quit"):
            return Outcome(exit=True)
        api: Any = self.client()
        needs = name in _NEEDS_CLIENT or (name == "help" and bool(arg))
        if needs and api is None:
            return Outcome(f"error: .{name} needs a client, and `api` holds {type(self.namespace.get('api')).__name__}",
                           ok=False)
        outcome = self._dot_with(api, name, arg)
        if needs and api is not self.namespace.get("api") and outcome.ok:
            held = type(self.namespace.get("api")).__name__
            outcome.note = f"`api` holds {held} now, so .{name} used the session's client (api = client gives it back)"
        return outcome

    def _dot_with(self, api: Any, name: str, arg: str) -> Outcome:
        if name == "ops":
            rows = [(o.name, o.method, o.path, o.summary) for o in api.operations
                    if not arg or arg.lower() in o.name.lower() or arg.lower() in o.path.lower()]
            return Outcome(operations_table(rows))
        if name == "help":
            if not arg:
                return Outcome(HELP_TEXT)
            op = api.model.find(arg.removeprefix("api.").rstrip("()"))
            if op is None:
                cls = api.models.get(arg)
                if cls is not None:
                    return Outcome(safe_text(cls.__doc__ or arg))
                return Outcome(f"error: no operation or schema {arg!r}; try .ops {arg[:4]}", ok=False)
            return Outcome(safe_text(render_doc(op)), page=True)
        if name == "output":
            if arg not in OUTPUT_FORMATS:
                return Outcome(f"output is {self.output}; choose one of: {', '.join(OUTPUT_FORMATS)}", ok=not arg)
            self.output = arg
            return Outcome(f"output: {arg}")
        if name == "refresh":
            if self.refresh is None:
                return Outcome("error: nothing to refresh", ok=False)
            try:
                added, removed = self.refresh()
            except CmldynError as error:
                return Outcome(self.error_line(error), ok=False)
            lines = [f"spec refreshed: {len(api.operations)} operations"]
            lines += [f"  + {n}" for n in added] + [f"  - {n}" for n in removed]
            if not added and not removed:
                lines.append("  (no operations added or removed)")
            return Outcome("\n".join(lines))
        if name == "drift":
            return self.drift(api, arg)
        if name == "tb":
            if self.last_error is None:
                return Outcome("no error yet in this session")
            return Outcome(traceback_text(self.last_error, self.secrets).rstrip("\n"), page=True)
        if name == "explain":
            return self.explain(api, arg)
        if name == "curl":
            if arg not in ("", "reveal"):
                return Outcome("error: .curl shows the last call; .curl reveal writes the key into it", ok=False)
            shown = api.last_curl(reveal=arg == "reveal")
            if shown is None:
                return Outcome("no call yet in this session")
            note = "\n(the key is in it: do not share)" if arg == "reveal" else ""
            return Outcome(safe_text(shown) + note)
        if name in ("har", "har!"):
            return self.har(arg, overwrite=name == "har!")
        if name in ("save", "save!"):
            if not arg:
                return Outcome("error: .save FILE (.save! FILE replaces an existing file)", ok=False)
            return self.save(arg, overwrite=name == "save!")
        return Outcome(f"error: unknown command .{name}; try .help", ok=False)

    def drift(self, api: Any, arg: str) -> Outcome:
        """``.drift``: where the answers so far differed from the spec; ``.drift clear`` forgets them."""
        contract = api.contract
        if arg == "clear":
            contract.clear()
            return Outcome("drift findings cleared")
        if not contract.enabled:
            return Outcome("answers are not checked (--no-check)")
        found = contract.findings
        if not found:
            calls = sum(contract.calls.values())
            return Outcome(f"no differences from the spec in {calls} answer{'s' if calls != 1 else ''}")
        lines = [f"{d.severity:6}  {d}" for d in found[-50:]]
        counts = contract.counts()
        lines.append(f"{counts['error']} error, {counts['info']} info, {counts['advice']} advice "
                     f"in {sum(contract.calls.values())} answers" + (" (the last 50 shown)" if len(found) > 50 else ""))
        return Outcome(safe_text(redact("\n".join(lines), self.secrets)))

    def explain(self, api: Any, arg: str) -> Outcome:
        """``.explain NAME[.field.path] [--depth N] [--recursive]``, as ``cmldyn explain``."""
        from ..explain import explain

        words = arg.split()
        depth, recursive, target = 1, False, ""
        while words:
            word = words.pop(0)
            if word in ("--recursive", "-r"):
                recursive = True
            elif word == "--depth" and words and words[0].isdigit():
                depth = int(words.pop(0))
            elif not target and not word.startswith("-"):
                target = word
            else:
                return Outcome(f"error: .explain NAME[.field.path] [--depth N] [--recursive]; not {safe_text(word)!r}",
                               ok=False)
        if not target:
            return Outcome("error: .explain NAME[.field.path] [--depth N] [--recursive]", ok=False)
        try:
            return Outcome(safe_text(explain(api.model, target, depth=max(1, depth), recursive=recursive)), page=True)
        except CmldynError as error:
            return Outcome(self.error_line(error), ok=False)

    def har(self, path: str, *, overwrite: bool = False) -> Outcome:
        """``.har FILE``: every request and answer of the session so far as HAR 1.2, 0600, credentials and
        secret-named fields redacted; a new file unless ``.har!``."""
        if not path:
            return Outcome("error: .har FILE (.har! FILE replaces an existing file)", ok=False)
        if self.recorder is None:
            return Outcome("error: this session has no client to record", ok=False)
        recorder = self.recorder
        count, failed = _user_file(path, lambda where: recorder.save(where, overwrite=overwrite), "not written", ".har!")
        if failed is not None:
            return failed
        return Outcome(f"wrote {count} request{'s' if count != 1 else ''} to {safe_text(path)} "
                       "(HAR 1.2, mode 0600, key redacted)")

    def save(self, path: str, *, overwrite: bool = False) -> Outcome:
        """Write the session as a script that replays it: the same values printed the same way.

        A new file, mode 0600, written atomically; an existing one only with ``.save!``; never through
        (or over) a symbolic link."""
        import shlex
        import sys

        from ..storage import write_user_file

        lines = replay_header(self.origin) + [redact(s, self.secrets) for s in self.statements]
        data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
        _, failed = _user_file(path, lambda where: write_user_file(where, data, overwrite=overwrite), "not saved",
                               ".save!")
        if failed is not None:
            return failed
        shown = safe_text(path)
        steps = sum(1 for s in self.statements if not s.startswith("#"))
        python = shlex.quote(sys.executable)
        return Outcome(f"saved {steps} statements to {shown}, mode 0600\n"
                       f"run it with the Python that has cmldyn: {python} {shlex.quote(path)}")


def _user_file(path: str, write: Callable[[str], Any], failed: str, bang: str) -> tuple[Any, Outcome | None]:
    """Write a file the user named (``.save``, ``.har``): the writer's result, or the error as an Outcome."""
    from ..errors import StorageError

    shown = safe_text(path)
    try:
        return write(os.path.expanduser(path)), None
    except StorageError as error:
        hint = f"; {bang} FILE replaces it" if error.message.endswith("already exists") else ""
        return None, Outcome(f"error: {failed}: {safe_text(error.message)}{hint}", ok=False)
    except ValueError:
        return None, Outcome(f"error: {failed}: a file name cannot hold a NUL character ({shown})", ok=False)
    except OSError as error:
        return None, Outcome(f"error: cannot write {shown}: {error.strerror}", ok=False)


def replay_header(origin: dict[str, Any]) -> list[str]:
    """The top of a saved script: how it connects (as the cmldyn command does), never a key."""
    if origin.get("demo"):
        how = "it starts its own built-in simulator (as --demo did)"
        connect = f"api = replay.connect(demo=True, spec={origin.get('spec')!r})"
    else:
        how = "host and key as the cmldyn command finds them: --host/--profile, CML_HOST and CML_API_KEY, the profile"
        spec = f", spec={origin['spec']!r}" if origin.get("spec") else ""
        connect = f"api = replay.connect(host={origin.get('host')!r}, profile={origin.get('profile')!r}{spec})"
    return [
        "# Written by cmldyn's REPL (.save): the session's statements, replayed in order.",
        f"# Run it with: python THIS_FILE [--host URL] [--profile NAME] [--demo]; {how}.",
        "# No key is stored here. Bare expressions print as the REPL showed them; _ is the last result.",
        "from cmldyn.cli import replay",
        "",
        connect,
        "_ = None",
        "",
    ]


def render_value(value: Any, fmt: str = "json", secrets: Secrets = (), *, width: int | None = None, more: str = "") -> str:
    """How the REPL shows a value: results and JSON in the chosen format, anything else as its repr."""
    from ..classes import RequestModel
    from ..results import Result, ResultList

    if isinstance(value, (Result, ResultList, dict, list)) and not callable(value):
        return render_data(value, fmt, secrets, width=width, more=more)
    if isinstance(value, RequestModel):
        return safe_text(redact(repr(value), secrets))
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes> (write them with open(path, 'wb').write(_))"
    return safe_text(redact(repr(value), secrets))


def render_data(value: Any, fmt: str = "json", secrets: Secrets = (), *, width: int | None = None, more: str = "") -> str:
    """JSON data in the chosen format: results, and what a filter gave (even one string is shown as JSON)."""
    return redact(render(value, fmt, width=width, more=more), secrets)


def _simple(text: str) -> bool:
    """A name or a dotted name (evaluating it runs no call)."""
    return re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", text.strip()) is not None


HELP_TEXT = """\
api.<Tab>                 every operation, with its summary; api.list_projects(page_size=2)
EXPR | JMESPATH           filter a result: api.list_projects() | projects[].name
_                         the last result (_ | projects[?name=='demo'].id)
help(api.create_job)      an operation's method, path, parameters, body and response fields
.help OP                  the same; .help SCHEMA shows a request class's fields
.ops [PATTERN]            a table of operations
.output json|yaml|table   how results are shown
.refresh                  fetch the spec again, list operations added and removed
.drift [clear]            where the answers so far differed from the spec (api.contract)
.save FILE                write this session as a Python script that replays it (same output)
.explain NAME[.path]      a schema, or OP.body / OP.answer / OP.parameters, and a field path into it
                          (--depth N, --recursive)
.curl [reveal]            the last call as a curl command (the key as "$CML_API_KEY" unless reveal)
.har FILE                 every request and answer so far as HAR 1.2 (0600, key redacted; .har! replaces)
.tb                       the traceback of the last error (keys redacted)
 (a leading space)        run the line, but keep it out of .save and the history
.exit                     leave (or Ctrl-D)"""
