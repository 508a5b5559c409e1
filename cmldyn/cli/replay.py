"""What a script saved by the REPL's ``.save`` runs with: a client made as the command line makes
one, and the REPL's way of showing values.

    from cmldyn.cli import replay
    api = replay.connect(host="https://ml-xxxx.cloudera.site", profile=None)
    _ = replay.echo(api.list_projects(page_size=2), _)       # a bare expression: printed, and _ set
    _ = replay.filtered(api.list_projects(), "projects[].name")  # EXPR | JMESPATH: prints the filtered
                                                                 # value; _ is the unfiltered one (as in the REPL)

``connect`` reads the script's own command line for the global options (``python saved.py --host
URL --profile NAME --demo``), then the environment and the profile, as ``cmldyn`` does; the key is
never written into a script. ``demo=True`` starts the built-in simulator in this process, seeded as
``--demo`` seeds it, so a session saved from ``cmldyn repl --demo`` runs as it is.
May import: client, errors, filtering, repl (its renderer), settings, simulator.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import CmldynError, Secret
from ..filtering import search
from ..repl.commands import render_data, render_value

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["connect", "echo", "filtered", "output"]

output = "json"  # .output in the session becomes `replay.output = "table"` in the script


def connect(*, host: str | None = None, profile: str | None = None, demo: bool = False, spec: str | None = None,
            argv: list[str] | None = None) -> Client:
    """A client for the saved session's place; flags on the script's command line win."""
    from ..settings import resolve
    from .context import Context
    from .exits import exit_code
    from .main import report
    from .parser import Parser, add_global_options, global_flags

    parser = Parser(prog=os.path.basename(sys.argv[0]) or "script", allow_abbrev=False,
                    description="replay a session saved by cmldyn's REPL")
    add_global_options(parser, on_command=False)
    flags: dict[str, Any] = {}
    try:
        flags = global_flags(parser.parse_args(sys.argv[1:] if argv is None else argv))
        if not any(flags.get(k) for k in ("host", "profile", "demo")):
            # Nothing on the command line says where: the saved place, unless the environment names one.
            if demo:
                flags.update(demo=True, spec=flags.get("spec") or spec)
            elif not (os.environ.get("CML_HOST") or os.environ.get("CMLDYN_PROFILE")):
                flags.update(host=host, profile=profile, spec=flags.get("spec") or spec)
        settings = resolve(flags, os.environ)
        ctx = Context(settings, sys.stdout, sys.stderr, sys.stdin)
        api = ctx.client()
    except CmldynError as error:  # as the cmldyn command reports it, with its documented exit code
        report(error, sys.stderr, (Secret(flags["token"]),) if flags.get("token") else (), bool(flags.get("debug")))
        raise SystemExit(exit_code(error)) from None
    atexit.register(ctx.close)
    return api


def echo(value: Any, last: Any) -> Any:
    """A bare expression of the session: print it as the REPL did; the new ``_`` (unchanged by None)."""
    if value is None:
        return last
    print(render_value(value, output))
    return value


def filtered(value: Any, expression: str) -> Any:
    """``EXPR | JMESPATH``: print the filtered value as JSON data; ``_`` becomes the unfiltered one."""
    print(render_data(search(expression, value), output))
    return value
