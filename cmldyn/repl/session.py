"""The prompt_toolkit layer of ``cmldyn repl``: prompt, completion menu, toolbar, history, keys.

Owns: the PromptSession (multi-line input that runs on Enter once a statement is
complete), the private history file that never stores the key, the bottom
toolbar, the banner, asking for the key without echo, and reading statements
from a pipe when stdin is not a terminal. Evaluation lives in commands.py.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import DynamicLexer, Lexer

from .._version import __version__
from ..errors import Secrets, redact
from ..livevalues import LiveValues
from ..output import highlight_json, is_terminal, safe_text
from .commands import Console, Outcome
from .completion import ReplCompleter, Suggester

if TYPE_CHECKING:
    from ..client import Client
    from ..settings import Settings

_SECRET_LINE = re.compile(r"(?i)bearer\s|token\s*=|api_key|apikey|cml_api_key|authorization")


class PrivateHistory(FileHistory):
    """FileHistory that writes 0600 files without following links, and skips lines holding secrets.

    A line is not stored when it holds the key, ``Bearer ``, ``token=``, ``api_key``
    or ``authorization``, or starts with a space (as shells do with HISTCONTROL).
    """

    def __init__(self, filename: str, secrets: Secrets = ()) -> None:
        super().__init__(filename)
        self._secrets = tuple(s for s in secrets if s)

    def store_string(self, string: str) -> None:
        if string.startswith(" ") or _SECRET_LINE.search(string) or redact(string, self._secrets) != string:
            return
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.filename, flags, 0o600)
        except OSError:
            return  # unwritable or a symlink: go on without persistence
        with os.fdopen(fd, "ab") as handle:
            handle.write(("\n# %s\n" % time.strftime("%Y-%m-%d %H:%M:%S")).encode("utf-8"))
            for line in string.split("\n"):
                handle.write(("+%s\n" % line).encode("utf-8"))


def history_path() -> str:
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir("cmldyn", appauthor=False), "history")


def open_history(path: str, secrets: Secrets, warn: TextIO) -> History:
    """The private history, or memory only (with one warning) when the file cannot be used safely."""
    from ..errors import StorageError
    from ..storage import private_dir

    directory = os.path.dirname(path)
    try:
        private_dir(directory)
        if os.path.islink(path):
            raise OSError("is a symbolic link")
        if os.path.exists(path):
            info = os.stat(path, follow_symlinks=False)
            if info.st_uid != os.getuid():
                raise OSError("owned by another user")
            if stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(path, 0o600)
        return PrivateHistory(path, secrets)
    except (OSError, StorageError) as error:
        warn.write(f"cmldyn: warning: history not saved ({path}: {getattr(error, 'strerror', None) or error})\n")
        return InMemoryHistory()


class Namespace(dict):  # type: ignore[type-arg]
    """The REPL's globals: a dict whose request classes are made when a line first names one (or completion
    lists them), not before the first prompt. Python reads a dict subclass's ``__missing__`` for a global."""

    def __init__(self, base: dict[str, Any], lazy: Callable[[str], Any], names: list[str]) -> None:
        super().__init__(base)
        self._lazy = lazy
        self._names = [n for n in names if n not in base]

    def __missing__(self, key: str) -> Any:
        if key in self._names:
            value = self._lazy(key)
            if value is not None:
                self[key] = value
                return value
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._names

    def __iter__(self) -> Any:
        yield from list(dict.keys(self))
        yield from (n for n in self._names if not dict.__contains__(self, n))

    def keys(self) -> Any:
        return list(self)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


def make_namespace(api: Any) -> dict[str, Any]:
    """What ``python -i demo.py`` would leave in scope: api, cmldyn, and the request classes (made on first use)."""
    import cmldyn

    base: dict[str, Any] = {"__name__": "__cmldyn__", "api": api, "cmldyn": cmldyn, "client": api}
    names = [n for n in api.models.names() if n.isidentifier() and not n.startswith("_")]
    return Namespace(base, api.models.get, names)


def banner(api: Client, seconds: float) -> str:
    spec = api.spec
    title = safe_text(f"{spec.title} {spec.api_version}".strip())
    return (
        f"cmldyn {__version__} · {api.host} · {title} · {len(api.model.operations)} operations"
        f" · ready in {seconds * 1000:.0f} ms\n"
        f"`api` is your client. Try: {safe_text(example_call(api))}   ·   .help   ·   Tab completes"
    )


_NAME_FIELDS = ("name", "title", "username", "key", "id")


def example_call(api: Client) -> str:
    """A first thing to type, in the spec's own words: a list-like GET that needs no argument (its
    answer an array, or an object with one array field), filtered to a name-like field of its items
    (``api.list_projects() | projects[].name``). Shallow paths and short names first."""
    found: list[tuple[tuple[int, int, int, int, int], str]] = []
    below: dict[str, int] = {}  # how many paths lie under each path prefix
    for path in {op.path for op in api.model.operations.values()}:
        parts = path.rstrip("/").split("/")
        for end in range(1, len(parts)):
            prefix_path = "/".join(parts[:end])
            below[prefix_path] = below.get(prefix_path, 0) + 1
    for order, op in enumerate(api.model.operations.values()):
        if op.method != "get" or "{" in op.path:
            continue
        schema = op.response_schema
        if schema is None:
            continue
        items, prefix = (schema.items, "[]") if schema.type == "array" else (None, "")
        if items is None:
            arrays = [(k, v.items) for k, v in schema.properties.items() if v.type == "array"]
            if len(arrays) != 1:
                continue
            prefix, items = f"{arrays[0][0]}[]", arrays[0][1]
        if op.positional:  # it needs an argument: not a first thing to type
            continue
        fields = items.properties if items is not None else {}
        name = next((f for f in _NAME_FIELDS if f in fields), None)
        text = f"api.{op.name}() | {prefix}.{name}" if name else f"api.{op.name}()"
        # The collection the path names ("/projects" answering "projects") reads best.
        named = prefix[:-2] == op.path.rstrip("/").rsplit("/", 1)[-1]
        # ... and so does the collection most of the API lives under (CML: everything is in a project).
        nested = below.get(op.path.rstrip("/"), 0)
        found.append(((0 if name else 1, 0 if named else 1, -nested, op.path.count("/") * 100 + len(op.name), order), text))
    if found:
        return min(found)[1]
    first = next(iter(api.model.operations), None)
    return f"help(api.{first})" if first is not None else "api.operations"


def toolbar_text(console: Console, text: str, width: int = 400) -> str:
    """Signature and summary of the operation under the cursor, cut with an ellipsis to ``width``."""
    api = console.client()  # `api` itself, unless it was rebound to something that is no client
    names = re.findall(r"api\.([A-Za-z_][A-Za-z0-9_]*)", text)
    if not names or api is None:
        line = " .help for help · Tab completes · Ctrl-D leaves"
    else:
        op = api.model.find(names[-1])
        line = (f" no operation {names[-1]!r}" if op is None
                else safe_text(f" {op.signature_text()}  —  {op.method.upper()} {op.path}  —  {op.summary}"))
    return _fit(line, width)


def _fit(line: str, width: int) -> str:
    """A toolbar line in ``width`` columns, an ellipsis where it is cut."""
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"


def live_note(suggester: Suggester) -> str:
    """One dim line about live values: on their way, or why there are none."""
    live = suggester.live
    if suggester.waiting:
        return f" fetching values from {suggester.waiting}…"
    return f" {live.note}" if live is not None and live.note else ""


def show(outcome: Outcome, out: TextIO, *, color: bool) -> None:
    if outcome.text:
        text = outcome.text
        if color and outcome.is_result and text[:1] in "[{":
            text = highlight_json(text)
        out.write(text + "\n")
    if outcome.note:
        out.write(f"\x1b[2m{outcome.note}\x1b[0m\n" if color else outcome.note + "\n")
    out.flush()


def run_repl(
    api: Client,
    settings: Settings,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    started: float | None = None,
    interactive: bool | None = None,
    history: str | None = None,
    values_ttl: float = 60.0,
    output: str = "json",
    check: Callable[[], str] | None = None,
) -> int:
    """Run the console for a client that is ready; return the exit code.

    ``settings`` say what to redact and whether to show tracebacks; the caller (the CLI) has
    already started the simulator for ``--demo`` and asked for the key where none was given.
    ``history``: the history file (None: the default one; "": memory only); ``values_ttl``: seconds
    live values are kept (0: none fetched); ``output``: json, yaml or table. ``check`` asks the server
    something worth saying at the start (the key's check) and returns the line to say ("" for nothing):
    run before the first statement of piped input, in the background at a terminal (the prompt does
    not wait for it; its line shows under the toolbar and above the next prompt).
    """
    started = time.perf_counter() if started is None else started
    interactive = is_terminal(stdin) if interactive is None else interactive
    if interactive:
        from ..output import progress_printer

        def announce(text: str) -> None:
            stderr.write(f"cmldyn: {text}\n")
            stderr.flush()

        api.progress = progress_printer(stderr)  # api.wait(run) shows each status change
        api.on_wait(announce)
    console = Console(make_namespace(api), secrets=settings.secrets, debug=settings.debug, refresh=api.refresh,
                      origin=replay_origin(settings))
    console.output = output
    if not interactive:
        said = check() if check is not None else ""
        if said:
            stderr.write(said + "\n")
        return run_lines(console, stdin, stdout)
    stdout.write(banner(api, time.perf_counter() - started) + "\n")
    stdout.flush()
    live = LiveValues(api, ttl=values_ttl) if values_ttl > 0 else None
    if live is not None:
        api.transport.after_send.append(lambda method, path, status: live.forget(method, path) if status < 400 else None)
    notices = Notices()
    if check is not None:
        notices.start(check)
    try:
        return run_prompt(console, stdout, history_path() if history is None else history, stderr, live=live,
                          notices=notices)
    finally:
        if live is not None:
            live.close()


def replay_origin(settings: Settings) -> dict[str, Any]:
    """What a saved script needs to reach the same place: the host and profile, or --demo (never a key)."""
    if settings.demo:
        return {"demo": True, "spec": settings.spec}
    return {"host": settings.host, "profile": settings.profile, "spec": settings.spec}


def ask_key(host: str) -> str:
    """The key, typed at the terminal with nothing echoed (not even a star per character: its length shows)."""
    import getpass
    import sys

    return getpass.getpass(f"API key for {host} (not shown): ", stream=sys.stderr).strip()


def run_lines(console: Console, stdin: TextIO, out: TextIO) -> int:
    """Statements from a pipe: run each, print results plainly, exit 1 if any failed."""
    failed = False
    buffer: list[str] = []

    def flush() -> None:
        nonlocal failed
        source = "\n".join(buffer)
        buffer.clear()
        if not source.strip():
            return
        outcome = console.run(source)
        show(outcome, out, color=False)
        failed = failed or not outcome.ok
        if outcome.exit:
            raise EOFError

    try:
        for line in stdin:
            line = line.rstrip("\n")
            if buffer and not line.strip():
                flush()
                continue
            if buffer and line[:1] not in (" ", "\t") and not line.lstrip().startswith(("else", "elif", "except", "finally")):
                flush()
            buffer.append(line)
            if len(buffer) == 1 and console.is_complete(line) and not line.rstrip().endswith(":"):
                flush()
        flush()
    except EOFError:
        pass
    return 1 if failed else 0


class Notices:
    """Lines from work done in the background (the key check at the start): each shown under the toolbar
    as soon as it lands, and printed once above the next prompt."""

    def __init__(self) -> None:
        import threading

        self.pending: list[str] = []
        self.latest = ""
        self.wake: Callable[[], None] | None = None  # set by the prompt: redraw the toolbar
        #: Set when the first prompt is on the screen: the work waits for it (at most a few seconds), so it
        #: never competes with drawing the prompt.
        self.ready = threading.Event()

    def start(self, work: Callable[[], str]) -> None:
        import threading

        def run() -> None:
            self.ready.wait(3.0)
            try:
                line = work()
            except Exception:  # noqa: BLE001 - a check that fails says nothing; the calls will speak for it
                return
            if line:
                self.pending.append(line)
                self.latest = line
                if self.wake is not None:
                    self.wake()

        threading.Thread(target=run, name="cmldyn-notice", daemon=True).start()

    def take(self) -> list[str]:
        taken, self.pending = self.pending, []
        return taken


def run_prompt(console: Console, out: TextIO, history_file: str, err: TextIO, *, live: LiveValues | None = None,
               notices: Notices | None = None) -> int:
    suggester = Suggester(lambda: console.namespace, lambda: console.last_operation, live=live)
    bindings = KeyBindings()

    @bindings.add("enter")
    def _(event: Any) -> None:
        buffer = event.current_buffer
        text = buffer.text
        at_end = buffer.document.is_cursor_at_the_end
        if at_end and console.is_complete(text if "\n" not in text else text + "\n"):
            buffer.validate_and_handle()
        elif at_end and text.endswith("\n") and "\n" in text.rstrip("\n") and not text.split("\n")[-1].strip():
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n" + _indent_for(text))

    def toolbar() -> Any:
        width = session.app.output.get_size().columns
        line = toolbar_text(console, session.default_buffer.document.text_before_cursor, width)
        note = (" " + notices.latest) if notices is not None and notices.latest else live_note(suggester)
        if not note:
            return line
        return [("", line + "\n"), ("fg:ansibrightblack", _fit(note, width))]

    session: PromptSession[str] = PromptSession(
        message=lambda: ">>> ",
        prompt_continuation=lambda width, line, wrap: "... ",
        completer=ReplCompleter(suggester),
        complete_while_typing=True,
        history=open_history(history_file, console.secrets, err) if history_file else InMemoryHistory(),
        multiline=True,
        key_bindings=bindings,
        bottom_toolbar=toolbar,
        enable_history_search=False,
        lexer=DynamicLexer(lambda: highlighter[0]),  # plain until the background warm-up below has made it
        auto_suggest=AutoSuggestFromHistory(),
    )
    highlighter: list[Lexer | None] = [None]
    started = [False]

    def after_first_draw() -> None:
        if notices is not None:
            notices.ready.set()
        if not started[0]:  # Python's lexer compiles its patterns on first use (tens of ms): not before the prompt
            started[0] = True
            threading.Thread(target=_warm_highlighter, args=(highlighter, session), name="cmldyn-lexer",
                             daemon=True).start()

    if live is not None:
        live.ready = lambda: _values_arrived(session, suggester)
    if notices is not None:
        notices.wake = lambda: _redraw(session, notices, err)
    color = is_terminal(out) and not os.environ.get("NO_COLOR")
    console.interactive = True
    while True:
        for line in notices.take() if notices is not None else ():
            err.write(line + "\n")
            err.flush()
        try:
            text = session.prompt(pre_run=after_first_draw)
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            outcome = console.run(text)
        except KeyboardInterrupt:
            outcome = Outcome("interrupted", ok=False)
        if outcome.page and _taller_than(outcome.text, session):
            page(outcome.text, out)
        else:
            show(outcome, out, color=color)
        if outcome.exit:
            break
    return 0


def page(text: str, out: TextIO) -> None:
    """Long help through $PAGER, else ``less -RFX`` (it stays on screen when it fits), else printed."""
    import shlex
    import shutil
    import subprocess

    chosen = os.environ.get("PAGER", "").strip()
    try:
        command = shlex.split(chosen) if chosen else (["less", "-RFX"] if shutil.which("less") else [])
        if command:
            out.flush()
            subprocess.run(command, input=text.encode("utf-8", "replace"), check=False)
            return
    except (OSError, ValueError):  # a PAGER that does not parse or start: print it
        pass
    out.write(text + "\n")


def _taller_than(text: str, session: PromptSession[str]) -> bool:
    try:
        rows = session.app.output.get_size().rows
    except Exception:  # noqa: BLE001 - no terminal size: print it
        return False
    return text.count("\n") + 2 > rows


def _values_arrived(session: PromptSession[str], suggester: Suggester) -> None:
    """From the fetching thread: when the menu was waiting for these values, open it again."""
    app = session.app
    loop = getattr(app, "loop", None)
    if loop is None or not app.is_running:
        return

    def again() -> None:
        if suggester.waiting:
            session.default_buffer.start_completion(select_first=False)
        app.invalidate()

    loop.call_soon_threadsafe(again)


def _warm_highlighter(holder: list[Lexer | None], session: PromptSession[str]) -> None:
    """Make the Python highlighter off the prompt's path, then let the prompt use it."""
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.python import PythonLexer

    list(PythonLexer().get_tokens("x = 1"))  # the patterns are compiled once, for the class
    holder[0] = PygmentsLexer(PythonLexer)
    app = session.app
    loop = getattr(app, "loop", None)
    if loop is not None and app.is_running:
        loop.call_soon_threadsafe(app.invalidate)


def _redraw(session: PromptSession[str], notices: Notices, err: TextIO) -> None:
    """From another thread: show a notice that landed. Under the toolbar where the terminal reports its
    cursor position (the toolbar needs that); above the prompt where it does not. The prompt may be between
    being asked for and running (its first draw): wait for it a moment rather than miss it."""
    app = session.app
    for _ in range(100):
        loop = getattr(app, "loop", None)
        if loop is not None and app.is_running:
            if app.renderer.height_is_known:
                loop.call_soon_threadsafe(app.invalidate)
                return

            def above() -> None:
                from prompt_toolkit.application import run_in_terminal

                lines = notices.take()
                if lines:
                    run_in_terminal(lambda: (err.write("\n".join(lines) + "\n"), err.flush()))

            loop.call_soon_threadsafe(above)
            return
        time.sleep(0.02)


def _indent_for(text: str) -> str:
    last = text.split("\n")[-1]
    indent = last[: len(last) - len(last.lstrip())]
    return indent + ("    " if last.rstrip().endswith(":") else "")


__all__ = ["PrivateHistory", "make_namespace", "run_lines", "run_prompt", "run_repl"]
