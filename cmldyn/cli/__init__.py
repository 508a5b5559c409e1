"""The command line: ``cmldyn call / check / ops / describe / spec / repl / sim / configure / mcp / completion``.

    main.py        the entry point: parse, resolve the settings, run (HANDLERS: command -> function), report
    parser.py      the global options (declared once) and one sub-parser per command; imports no command
    callwords.py   the words after ``call OPERATION`` (path values, name=value, field:=json, --body)
    context.py     the settings, the streams and the client a command runs with
    exits.py       the exit codes, mapped from error classes
    call.py, browse.py, check.py, specs.py, configure.py, completion.py, interactive.py (repl, sim),
    mcp.py (the MCP server)   the commands

The only layer that turns errors into exit codes and prints them. Heavy or optional parts
load lazily: the REPL (prompt_toolkit) and the simulator only for the commands that use them.
"""

from __future__ import annotations

from .exits import Exit, exit_code
from .main import main

__all__ = ["Exit", "exit_code", "main"]
