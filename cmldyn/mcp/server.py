"""The MCP SDK side of ``cmldyn mcp``: the low-level server, stdio and streamable HTTP, the spec as a
resource, and revalidating the spec while the server runs.

The only module that imports the SDK (``mcp``, ``mcp_types``, ``anyio``, ``uvicorn``). Tools that
answer from the spec alone (search, describe) run at once, never queued behind anything; tools that
reach the server run on threads of their own, at most ``max_concurrent`` at a time, and one more is
refused at once with a tool error (a stalled workspace costs those threads, nothing else). The spec
is revalidated in the background at most every ``revalidate`` seconds, with one conditional request,
when a request arrives; if the tools change, the client is told (``notifications/tools/list_changed``).
Over HTTP the server listens on 127.0.0.1 only and wants its own bearer token on every request; a
caller's own API key rides in ``X-Cmldyn-Api-Key`` and the bearer token goes nowhere else.

On the 2026-07-28 protocol: a write waiting for a person becomes an ``input_required`` result (an
elicitation form and the signed approval state; approvals.py), asked within the call on earlier
protocols; ``wait_for`` becomes a task for clients that declare the Tasks extension, served by
``tasks/get``, ``tasks/update`` and ``tasks/cancel`` (tasks.py). May import: client (TYPE_CHECKING),
errors, mcp.tasks, mcp.tools.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import socket
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.subscriptions import ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .._version import __version__
from ..errors import CmldynError
from .tasks import EXTENSION as TASKS
from .tasks import TaskBoard
from .tools import KEY_HEADER, LOCAL_TOOLS, Approval, Reply, Toolbox, key_digest

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["SPEC_URI", "build_server", "serve_http", "serve_stdio"]

SPEC_URI = "cmldyn://spec"


class _Revalidator:
    """At most one conditional spec request per ``every`` seconds, started by incoming requests and run in
    the background: no request waits for it (a stalled server must not hold up a search)."""

    def __init__(self, toolbox: Toolbox, every: float, log: TextIO, bus: Any) -> None:
        self.toolbox = toolbox
        self.bus = bus
        self.every = every
        self.log = log
        self.last = time.monotonic()
        self.running: asyncio.Task[None] | None = None
        self.again: Any = None  # a request that came while a check ran: its context, for one more check after

    def start(self, ctx: Any) -> None:
        """Start a check when one is due; return at once. While one runs, one more is owed when it ends
        (the spec may have changed after the running check asked)."""
        if self.every < 0 or time.monotonic() - self.last < self.every:
            return
        if self.running is not None:
            self.again = ctx
            return
        self.last = time.monotonic()
        self.running = asyncio.get_running_loop().create_task(self.check(ctx))
        self.running.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.running = None
        if not task.cancelled() and task.exception() is not None:
            self.log.write(f"cmldyn mcp: spec not revalidated: {type(task.exception()).__name__}\n")
        owed, self.again = self.again, None
        if owed is not None:
            self.start(owed)

    async def check(self, ctx: Any) -> None:
        before = _fingerprint(self.toolbox)
        try:
            added, removed = await anyio.to_thread.run_sync(lambda: self.toolbox.api.refresh(conditional=True))
        except CmldynError as error:
            self.log.write(f"cmldyn mcp: spec not revalidated: {error.message}\n")
            return
        self.toolbox.reindex()
        if added or removed:
            self.log.write(f"cmldyn mcp: the spec changed: {len(added)} operation(s) added, {len(removed)} removed\n")
        if _fingerprint(self.toolbox) != before:
            await self.bus.publish(ToolsListChanged())  # sessions of 2026-07-28 that listen for it
            if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:  # earlier sessions: sent as it happens
                try:
                    await ctx.session.send_tool_list_changed()
                except Exception as error:  # noqa: BLE001 - a client that cannot hear it lists again later
                    self.log.write(f"cmldyn mcp: could not notify the client: {type(error).__name__}\n")


def _fingerprint(toolbox: Toolbox) -> str:
    return json.dumps(toolbox.tools(), sort_keys=True, default=str)


class _Gate:
    """At most ``size`` tool calls that reach the server at once, on threads of their own (not the pool other
    work uses); a call over the bound is answered at once, never queued."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.busy = 0
        self.threads = anyio.CapacityLimiter(self.size)

    async def run(self, toolbox: Toolbox, name: str, arguments: dict[str, Any] | None,
                  approval: Approval | None = None, key: str | None = None) -> Reply:
        reply: Reply = await self.run_call(toolbox.busy, toolbox.answer, name, arguments, approval, key)
        return reply

    async def run_call(self, busy: Any, work: Any, *args: Any) -> Any:
        if self.busy >= self.size:
            return Reply(*busy())
        self.busy += 1
        try:
            return await anyio.to_thread.run_sync(work, *args, limiter=self.threads)
        finally:
            self.busy -= 1


class TaskParams(types.RequestParams):
    """The params of tasks/get, tasks/update and tasks/cancel (``taskId``; ``inputResponses`` for update)."""

    task_id: str
    input_responses: dict[str, Any] | None = None


def _wants_tasks(ctx: Any) -> bool:
    """Whether this request may be answered with a task: 2026-07-28, and the client declares the extension."""
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    capabilities = getattr(ctx.session, "client_capabilities", None)
    return TASKS in (getattr(capabilities, "extensions", None) or {})


def _add_tasks(server: Server[Any], board: TaskBoard) -> None:
    """The Tasks extension's methods; tasks are followed on threads of their own (see tasks.py)."""
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS

    def known(ctx: Any, params: TaskParams) -> Any:
        task = board.get(params.task_id, _owner(ctx))
        if task is None:
            raise MCPError(code=INVALID_PARAMS, message=f"no task {params.task_id[:80]!r} (tasks are kept an hour "
                                                        "after they end)")
        return task

    async def get(ctx: Any, params: TaskParams) -> dict[str, Any]:
        return dict(known(ctx, params).view())

    async def update(ctx: Any, params: TaskParams) -> dict[str, Any]:
        known(ctx, params)  # wait_for's tasks never ask for input: responses are acknowledged and ignored
        return {}

    async def cancel(ctx: Any, params: TaskParams) -> dict[str, Any]:
        known(ctx, params)
        board.cancel(params.task_id, _owner(ctx))
        return {}

    server.add_request_handler("tasks/get", TaskParams, get)
    server.add_request_handler("tasks/update", TaskParams, update)
    server.add_request_handler("tasks/cancel", TaskParams, cancel)
    server.extensions[TASKS] = {}


def build_server(toolbox: Toolbox, *, revalidate: float = 300.0, log: TextIO = sys.stderr) -> Server[Any]:
    """The low-level server for a toolbox."""
    bus = InMemorySubscriptionBus()
    checker = _Revalidator(toolbox, revalidate, log, bus)
    gate = _Gate(toolbox.policy.max_concurrent)
    board = TaskBoard(toolbox)
    api: Client = toolbox.api

    async def wait_as_task(ctx: Any, params: types.CallToolRequestParams) -> Any:
        """wait_for on 2026-07-28 with the Tasks extension: the first call now, a task for the rest."""
        refused = toolbox.precheck(params.name, params.arguments)
        if refused:
            return _result(Reply(*refused))
        approval = _approval(params) if toolbox.policy.confirm_writes else None
        started = await gate.run_call(toolbox.busy, toolbox.begin_wait, params.arguments, approval, _caller_key(ctx))
        if isinstance(started, Reply):
            return await _ask_a_person(ctx, toolbox, gate, params, started) if started.confirm else _result(started)
        task = board.start(started, lambda reply: _result(reply).model_dump(by_alias=True, mode="json",
                                                                            exclude_none=True), _owner(ctx))
        if task is None:
            return _result(Reply(f"busy: {board.max_running} waits are followed as tasks already (the most at once); "
                                 "cancel one, or wait_for again when one has ended", failed=True))
        return {"resultType": "task", **task.view()}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        checker.start(ctx)
        return types.ListToolsResult(tools=[
            types.Tool(name=t["name"], description=t["description"], input_schema=t["input_schema"],
                       output_schema=t["output_schema"], annotations=types.ToolAnnotations(**t["annotations"]))
            for t in toolbox.tools()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> Any:
        checker.start(ctx)
        if params.name == "wait_for" and _wants_tasks(ctx):
            return await wait_as_task(ctx, params)
        if params.name in LOCAL_TOOLS:  # from the spec alone, in milliseconds: answered at once
            reply = toolbox.answer(params.name, params.arguments)
        else:  # checked first (no network): a call that cannot go ahead is answered even when the gate is full
            refused = toolbox.precheck(params.name, params.arguments)
            approval = _approval(params) if toolbox.policy.confirm_writes else None
            reply = Reply(*refused) if refused else await gate.run(toolbox, params.name, params.arguments, approval,
                                                                   _caller_key(ctx))
            if reply.confirm is not None:
                return await _ask_a_person(ctx, toolbox, gate, params, reply)
        return _result(reply)

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[types.Resource(
            uri=SPEC_URI, name="spec", mime_type="application/json",
            description=f"The spec the tools are built from: {api.spec.title} {api.spec.api_version}")])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        if str(params.uri) != SPEC_URI:
            raise ValueError(f"no resource {params.uri}; the one resource is {SPEC_URI}")
        text = json.dumps(api.spec.raw, ensure_ascii=False)
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=SPEC_URI, mime_type="application/json",
                                                                             text=text)])

    instructions = (f"Operations of {api.spec.title} at {api.host}: search_operations, then describe_operation, then "
                    "call_operation (or wait_for). " + toolbox.policy_text())
    server = Server("cmldyn", version=__version__, instructions=instructions, on_list_tools=list_tools,
                    get_tool_input_schema=toolbox.input_schema_of,
                    on_call_tool=call_tool, on_list_resources=list_resources, on_read_resource=read_resource,
                    on_subscriptions_listen=ListenHandler(bus))
    _add_tasks(server, board)
    return server


def _result(reply: Reply) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=reply.text)], is_error=reply.failed,
                                structured_content=None if reply.failed else reply.structured)


_CONFIRM_KEY = "confirm"
_CONFIRM_FORM = {"type": "object", "properties": {"approve": {
    "type": "boolean", "title": "Send this request", "description": "true sends it once; false sends nothing"}},
    "required": ["approve"]}


def _approval(params: types.CallToolRequestParams) -> Approval | None:
    """The approval a re-sent tools/call carries (its echoed state and the person's answer), or None."""
    state = getattr(params, "request_state", None)
    if not state:
        return None
    answer: Any = (getattr(params, "input_responses", None) or {}).get(_CONFIRM_KEY)
    if isinstance(answer, dict):
        action, content = answer.get("action"), answer.get("content")
    else:
        action, content = getattr(answer, "action", ""), getattr(answer, "content", None)
    return Approval(str(state), str(action or ""), content if isinstance(content, dict) else None)


def _caller_key(ctx: Any) -> str | None:
    """The caller's own key for the API (the X-Cmldyn-Api-Key header of an HTTP request), or None: the server's
    key is used. The Authorization header (this server's own bearer token) is never sent on."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    value = headers.get(KEY_HEADER.lower())
    return str(value).strip() or None if value else None


def _owner(ctx: Any) -> str:
    """Whose a task is: a digest of the caller's own key (so another caller of a shared HTTP server cannot read or
    cancel it), or empty for calls made with the server's key."""
    key = _caller_key(ctx)
    return key_digest(key) if key else ""


def _can_elicit(ctx: Any) -> bool:
    capabilities = getattr(ctx.session, "client_capabilities", None)
    return getattr(capabilities, "elicitation", None) is not None


async def _ask_a_person(ctx: Any, toolbox: Toolbox, gate: _Gate, params: types.CallToolRequestParams,
                        reply: Reply) -> Any:
    """A write waiting for confirmation: on 2026-07-28 an ``input_required`` result (a form asking the person,
    and the signed approval state the client sends back with their answer); on earlier protocols the person is
    asked within the call; a client that cannot ask anyone gets a tool error saying how to go on."""
    assert reply.confirm is not None
    if not _can_elicit(ctx):
        return _result(Reply(
            f"not sent: this server asks a person to confirm each write (--confirm-writes), and this client cannot "
            f"ask one (it declares no elicitation capability). Use a client that supports elicitation (form mode), "
            f"or have the server started without --confirm-writes. What would be sent: "
            f"{json.dumps(reply.confirm.preview, ensure_ascii=False, default=str)}", failed=True))
    request = types.ElicitRequest(params=types.ElicitRequestFormParams(message=reply.confirm.message,
                                                                       requested_schema=_CONFIRM_FORM))
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return types.InputRequiredResult(input_requests={_CONFIRM_KEY: request}, request_state=reply.confirm.state)
    try:  # an earlier protocol: the person is asked now, within this call
        answer = await ctx.session.elicit_form(reply.confirm.message, _CONFIRM_FORM, related_request_id=ctx.request_id)
    except Exception as error:  # noqa: BLE001 - whatever the client did, nothing is sent
        return _result(Reply(f"not sent: the client could not ask for confirmation ({type(error).__name__})",
                             failed=True))
    approval = Approval(reply.confirm.state, str(answer.action), answer.content)
    return _result(await gate.run(toolbox, params.name, params.arguments, approval, _caller_key(ctx)))


def _options(server: Server[Any]) -> Any:
    return server.create_initialization_options(notification_options=NotificationOptions(tools_changed=True))


def serve_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, _options(server))

    anyio.run(main)


class _BearerGate:
    """ASGI: every HTTP request must carry ``Authorization: Bearer <the server's token>``."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error":"missing or wrong bearer token (it was printed when cmldyn mcp started)"}'
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def serve_http(server: Server[Any], port: int, token: str, log: TextIO) -> None:
    """Streamable HTTP on 127.0.0.1:``port`` (0 picks one), behind the bearer gate."""
    import uvicorn

    app = _BearerGate(server.streamable_http_app(host="127.0.0.1"), token)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    bound = listener.getsockname()[1]
    log.write(f"cmldyn mcp: listening on http://127.0.0.1:{bound}/mcp (127.0.0.1 only)\n")
    log.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])
