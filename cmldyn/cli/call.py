"""``cmldyn call OPERATION [words...]``: one call, its answer filtered and printed.

Owns: the call command (dry run, ``--all`` paging with progress, ``--wait``, ``-q`` and ``-o``).
May import: client (through the context), errors, filtering, output, paginate, browse (for
``call OP --help``), callwords.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..contract import differs
from ..errors import ParamError, UsageError
from .callwords import cli_usage, parse_call_words
from .context import Context
from .exits import Exit

if TYPE_CHECKING:
    from ..model import OperationModel

__all__ = ["run"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    from ..filtering import compile_expression, search
    from ..output import is_terminal

    if args.help or args.operation is None:
        if args.operation is None and not args.help:
            raise UsageError("call needs an OPERATION", hint="see 'cmldyn ops' for them, 'cmldyn call --help' for the words")
        if args.operation is None:
            ctx.stdout.write(args.command_help())
            return Exit.OK
        from .browse import run_describe

        return run_describe(ctx, args)  # `cmldyn call OP --help`: the operation's own documentation
    api = ctx.client()
    api.verify_writes = args.verify
    op = api.operation(args.operation)
    mark = api.contract.mark()
    try:
        kwargs = parse_call_words(op, list(args.words), ctx.stdin)
        if args.query:
            compile_expression(args.query)  # a bad expression fails before any request
        if args.curl:
            if args.reveal:
                ctx.stderr.write("cmldyn: warning: --reveal: the command holds the key; do not share it\n")
            ctx.stdout.write(api.curl(op.name, reveal=args.reveal, **kwargs) + "\n")
            return Exit.OK
        if args.reveal:
            raise UsageError("--reveal goes with --curl")
        if args.dry_run:
            request = api.prepare(op.name, **kwargs)
            ctx.emit({"method": request.method, "url": api.url_for(request),
                      "headers": {**api.auth_preview(op), **request.headers},
                      "body": request.body_preview()}, args.output)
            return Exit.OK
        getter = api.waiter_for(op) if args.wait else None
        if args.wait and getter is None:
            raise UsageError(f"{op.name} has nothing to wait for (no status to poll); drop --wait")
        result = _gather(ctx, api, op, kwargs) if args.all else api.call(op, **kwargs)
        if args.verify:  # what the write sent but the object does not hold, on stderr; the answer is printed
            for drift in (d for d in api.contract.last if d.kind == "not-applied"):
                ctx.stderr.write(f"cmldyn: warning: not applied: {drift}\n")
    except ParamError as error:
        if error.hint is None:  # an argument error is told how the call is written
            error.hint = "usage: " + cli_usage(op)
        raise
    if getter is not None:
        from ..output import progress_printer

        try:
            result = api.wait(result, progress=progress_printer(ctx.stderr) if is_terminal(ctx.stderr) else None)
        except KeyboardInterrupt:
            ctx.stderr.write(_resume_line(getter, kwargs, result))
            raise
    if args.query:
        result = search(args.query, result)
    more = "" if args.all or not op.page_list_field else "--all gathers them, --page-token {token} gets the next one"
    ctx.emit(result, args.output, more=more)
    note = differs(api.contract.since(mark))
    if note:  # the answer is printed; what differs is said on stderr (--strict would have failed the call)
        ctx.stderr.write(f"cmldyn: note: {note}; 'cmldyn spec drift' lists them, --strict fails the call\n")
    return Exit.OK


def _resume_line(getter: OperationModel, kwargs: dict[str, Any], started: Any) -> str:
    """What Ctrl-C during --wait leaves on the screen: what was started, and how to wait for it again."""
    from ..jsonvalue import to_plain

    plain = to_plain(started)
    fields = plain if isinstance(plain, dict) else {}
    values = []
    for param in getter.path_params:
        value = kwargs.get(param.name)
        if value is None:
            value = fields.get(param.name) or (fields.get("id") if param is getter.path_params[-1] else None)
        values.append(str(value) if value is not None else param.name.upper())
    what = fields.get("id") or fields.get("name") or "it"
    return (f"cmldyn: stopped waiting; {what} goes on on the server. Wait for it again with:\n"
            f"  cmldyn call {getter.name} {' '.join(values)} --wait\n")


def _gather(ctx: Context, api: Any, op: OperationModel, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every page of a list call as one answer, with a progress line on a terminal."""
    from ..output import is_terminal
    from ..paginate import iter_pages

    field_name = op.page_list_field
    if not field_name:
        raise UsageError(f"{op.name} does not page (no page_token in, next_page_token out)")
    items: list[Any] = []
    progress = is_terminal(ctx.stderr)
    for n, page in enumerate(iter_pages(lambda **kw: api.call(op, **kw), (), kwargs), start=1):
        items.extend(page.get(field_name) or [])
        if progress:
            ctx.stderr.write(f"\rpage {n}: {len(items)} {field_name}")
            ctx.stderr.flush()
    if progress:
        ctx.stderr.write("\n")
    return {field_name: items}
