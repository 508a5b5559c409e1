"""``cmldyn mcp``: the operations of the spec as an MCP server for AI agents (stdio, or ``--http PORT``).

The MCP SDK is an optional extra (``pip install 'cmldyn[mcp]'``), imported here only when the
command runs; without it the command says so in one line. The same settings as every command
(``--host``, the key, ``--profile``, ``--spec``, ``--demo``). May import: errors, mcp (cmldyn's).
"""

from __future__ import annotations

import argparse
import os
import secrets

from ..errors import UsageError, did_you_mean
from .context import Context
from .exits import Exit

__all__ = ["TOKEN_ENV", "run"]

TOKEN_ENV = "CMLDYN_MCP_TOKEN"


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _stop_on_ctrl_c(ctx: Context) -> None:
    """One Ctrl-C ends the stdio server at once, quietly, with 130. The SDK reads standard input on a thread
    that a cancelled loop waits for (until Enter), so the process does not unwind: the context is closed
    (the drift log written, the demo's simulator stopped) and the process leaves; a second Ctrl-C while
    that runs leaves at once."""
    import signal

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, lambda *_: os._exit(130))
        try:
            ctx.close()
            ctx.stderr.flush()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass
        os._exit(130)

    signal.signal(signal.SIGINT, stop)


def run(ctx: Context, args: argparse.Namespace) -> int:
    try:
        import mcp  # noqa: F401 - only to say clearly when the extra is missing
    except ImportError:
        raise UsageError("cmldyn mcp needs the MCP SDK, an optional extra: pip install 'cmldyn[mcp]'") from None
    from ..mcp.server import build_server, serve_http, serve_stdio
    from ..mcp.tools import Policy, Toolbox

    if args.http is not None and not 0 <= args.http <= 65535:
        raise UsageError(f"--http takes a port from 0 to 65535 (0 picks a free one), got {args.http}")
    if not args.confirm_ttl > 0:
        raise UsageError(f"--confirm-ttl takes a number of seconds above 0, got {args.confirm_ttl}")
    if args.max_concurrent < 1:
        raise UsageError(f"--max-concurrent takes a number of calls, 1 or more, got {args.max_concurrent}")
    api = ctx.client()
    for flag, value in (("--allow", args.allow), ("--tools", args.tools)):
        for name in _names(value):
            if api.model.find(name) is None:
                raise UsageError(f"{flag}: no operation {name!r}{did_you_mean(name, api.model.names())}")
    policy = Policy(allow_write=args.allow_write, allow_destructive=args.allow_destructive,
                    allow=frozenset(api.model.get(n).name for n in _names(args.allow)), reveal_env=args.reveal_env,
                    max_result=args.max_result, wait_timeout=args.wait_timeout, max_concurrent=args.max_concurrent,
                    confirm_writes=args.confirm_writes)
    toolbox = Toolbox(api, policy, direct=tuple(api.model.get(n).name for n in _names(args.tools)), tag=args.tag)
    toolbox.approvals.ttl = args.confirm_ttl
    if args.tag and not toolbox.direct_operations():
        tags = sorted({str(t) for op in api.model.operations.values() for t in (op.raw_op.get("tags") or [])})
        raise UsageError(f"--tag {args.tag}: no operation has this tag{did_you_mean(args.tag, tags)}",
                         hint=f"the spec's tags: {', '.join(tags[:20])}" if tags else "the spec tags no operation")
    if args.confirm_writes and not (args.allow_write or args.allow_destructive or args.allow):
        ctx.stderr.write("cmldyn mcp: --confirm-writes has nothing to confirm: the server is read-only "
                         "(add --allow-write, --allow-destructive or --allow OP)\n")
    toolbox.warm()
    server = build_server(toolbox, revalidate=args.revalidate, log=ctx.stderr)
    if args.http is None:
        from ..output import is_terminal

        _stop_on_ctrl_c(ctx)  # before the line that says Ctrl-C stops it: a Ctrl-C right after it is quiet too
        if is_terminal(ctx.stdin):  # a person, not an MCP client, started it
            ctx.stderr.write("cmldyn mcp: serving MCP on standard input and output; start it from an MCP client "
                             "(see the README for Claude, VS Code and Cursor). Ctrl-C stops it.\n")
        serve_stdio(server)
        return Exit.OK
    token = os.environ.get(TOKEN_ENV) or ""
    if not token:
        token = secrets.token_urlsafe(32)
        ctx.stderr.write(f"cmldyn mcp: this server's bearer token (shown once; set {TOKEN_ENV} to choose it): {token}\n")
    try:
        serve_http(server, args.http, token, ctx.stderr)
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.http}: {error.strerror}") from None
    return Exit.OK
