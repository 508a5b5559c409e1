"""``cmldyn run [--demo] SCRIPT [ARGS...]`` and ``cmldyn run -m MODULE [ARGS...]``: an unmodified cmlapi script.

Runs the script as ``python SCRIPT`` would (the same ``sys.argv``, ``__main__``, ``sys.path[0]`` and
exit code) with ``import cmlapi`` resolved to cmldyn (compat/alias.py; a real cmlapi that is installed
wins unless ``--replace-cmlapi``) and the workspace handed over as a CML session does: ``CML_HOST``,
``CML_API_KEY``, ``CDSW_API_URL``, ``CDSW_DOMAIN`` and ``CDSW_APIV2_KEY`` from the usual settings
chain, so ``cmlapi.default_client()`` needs no arguments. ``--demo`` runs it against a fresh
simulator in this process. A script that fails prints its own traceback (redacted), as Python would,
not cmldyn's one-line error. May import: compat, errors.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from types import TracebackType

from ..errors import CredentialError, UsageError, redact, reveal
from ..settings import session_environment
from .context import Context
from .exits import Exit

__all__ = ["run"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    from ..compat import alias

    words = list(args.args or [])
    target = args.module or args.script
    if not target:
        raise UsageError("run needs a SCRIPT (or -m MODULE)", hint="cmldyn run [--demo] script.py [ARGS...]")
    if args.module and args.script:
        words.insert(0, args.script)  # `run -m pkg.tool first-arg`: the first word is the module's
    if args.script and not args.module and not os.path.exists(args.script):
        raise UsageError(f"no script {args.script!r}", hint="give the path of a Python file, or -m MODULE")
    if ctx.settings.demo:
        ctx.start_demo()
    settings = ctx.settings
    if not settings.host:
        raise UsageError("run needs a workspace: --host, CML_HOST or a profile (or --demo for the simulator)")
    key = reveal(settings.token)
    if not key:
        raise CredentialError("run needs the API key: CML_API_KEY, --token-stdin or a profile")
    was_on = alias.is_enabled()
    if not alias.enable(force=args.replace_cmlapi):
        ctx.stderr.write("cmldyn run: a real cmlapi is installed and is what the script imports; "
                         "--replace-cmlapi makes it import cmldyn's\n")
    session = session_environment(settings.base_url, key)
    before = {name: os.environ.get(name) for name in session}
    os.environ.update(session)
    argv = sys.argv[:]
    sys.argv = [target, *words]
    entry = os.getcwd() if args.module else os.path.dirname(os.path.abspath(args.script))
    sys.path.insert(0, entry)  # where python looks first: the script's directory (-m: the current one)
    try:
        if args.module:
            runpy.run_module(args.module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(args.script, run_name="__main__")
    except SystemExit as done:
        return _exit_code(done.code, ctx)
    except Exception as error:  # the script's own failure: its traceback, as python prints it
        ctx.stderr.write(redact(_script_traceback(error), ctx.secrets))
        ctx.stderr.flush()
        return Exit.API
    finally:  # as it was: a test that runs this in-process sees no trace of it
        sys.argv = argv
        if sys.path and sys.path[0] == entry:
            del sys.path[0]
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if not was_on:
            alias.disable()
    return Exit.OK


def _exit_code(code: object, ctx: Context) -> int:
    """``sys.exit(code)`` as python turns it into a status: None 0, an int itself, anything else printed, 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    ctx.stderr.write(f"{code}\n")
    return 1


def _script_traceback(error: BaseException) -> str:
    """The traceback from the script's first frame on (runpy's and cmldyn's own frames left out)."""
    tb: TracebackType | None = error.__traceback__
    ours = {os.path.abspath(__file__), os.path.abspath(runpy.__file__), "<frozen runpy>"}
    while tb is not None and (tb.tb_frame.f_code.co_filename in ours
                              or os.path.abspath(tb.tb_frame.f_code.co_filename) in ours):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))
