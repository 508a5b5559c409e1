"""What ``cmldyn mcp`` offers an agent, in plain Python (no MCP SDK here): the tools, their input and
output schemas and annotations, and each call's reply as bounded, masked text and structured content.

The default tools scale to any spec: ``search_operations`` (search.py), ``describe_operation``
(parameters, body fields and answer fields, bounded), ``call_operation`` (arguments checked by the
validator before anything is sent, an optional JMESPath ``query``, ``max_items`` paging through a list)
and ``wait_for`` (the inferred waiter, bounded by a time-out; as a task on 2026-07-28, tasks.py).
Chosen operations can also be tools of their own. Every call passes the policy first (policy.py:
read-only unless writes are allowed, destructive operations only by flag or by name, the bounds on one
call); with ``confirm_writes`` a write then waits for a person's approval bound to that exact call
(approvals.py). Results are masked (key-, token-, password- and secret-like fields, every value of an
``environment`` map), cut to a size limit with a note on how to narrow them, and given as structured
content that fits the tool's output schema (shapes.py). Over HTTP a caller may send its own key
(:data:`KEY_HEADER`): its calls then go out with that key and none of the server's credentials.
May import: client, errors, filtering, jsonvalue, output, paginate, schema, model (TYPE_CHECKING).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CmldynError, ToolError, did_you_mean, redact
from ..filtering import search as jmespath_search
from ..jsonvalue import mask, to_plain
from ..output import error_lines
from .approvals import Approval, Approvals, Confirmation, ask_text, preview
from .policy import (
    MAX_ARGUMENTS,
    MAX_DEPTH,
    MAX_NAME,
    MAX_SEARCH,
    Policy,
    answer_fields,
    bounded,
    classify,
    input_schema,
    short,
    tool_name,
)
from .search import Index, build_index, rank

if TYPE_CHECKING:
    from ..client import Client
    from ..model import OperationModel

__all__ = ["Approval", "Approvals", "Confirmation", "FIXED_TOOLS", "KEY_HEADER", "LOCAL_TOOLS", "MAX_ARGUMENTS",
           "MAX_DEPTH", "MAX_NAME", "MAX_SEARCH", "Policy", "Reply", "Toolbox", "Waiting", "classify", "key_digest",
           "tool_name"]

#: The tools that answer from the spec alone: they never wait behind calls to the server.
LOCAL_TOOLS = frozenset({"search_operations", "describe_operation"})
MAX_KEYS = 16  # callers' own keys (HTTP) whose clients are kept
#: The header of an HTTP request to ``cmldyn mcp --http`` that carries the caller's own key for the API.
KEY_HEADER = "X-Cmldyn-Api-Key"
_CURRENT = threading.local()  # the tool call being answered on this thread: (tool, arguments, approval, client)

# ---------------------------------------------------------------- the tools


FIXED_TOOLS = ("search_operations", "describe_operation", "call_operation", "wait_for")


@dataclass
class Waiting:
    """A ``wait_for`` whose first call was made: what following it needs."""

    op: OperationModel
    getter: OperationModel  # the get operation that reads the workload again
    first: Any  # what the first call returned
    until: str
    deadline: float  # time.monotonic() when the wait gives up
    client: Client | None = None  # the client it was started with (a caller's own key), followed with the same

    @property
    def noun(self) -> str:
        return self.getter.name.removeprefix("get_").replace("_", " ")


@dataclass
class Reply:
    """One tool call's reply: its text, whether it is a tool error, its structured content, or a write that
    waits for a person's confirmation."""

    text: str
    failed: bool = False
    structured: dict[str, Any] | None = None
    confirm: Confirmation | None = None


@dataclass
class Toolbox:
    """The tools for one client and policy; ``direct`` names operations that are tools of their own."""

    api: Client
    policy: Policy = field(default_factory=Policy)
    direct: tuple[str, ...] = ()
    tag: str | None = None
    _index: list[tuple[OperationModel, dict[str, float], str]] | None = field(default=None, init=False, repr=False)
    _outputs: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _inputs: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _wrapped: set[str] = field(default_factory=set, init=False, repr=False)
    _checkers: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    approvals: Approvals = field(default_factory=Approvals, init=False, repr=False)
    _clients: dict[str, Client] = field(default_factory=dict, init=False, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # ------------------------------------------------------------ whose key a call is sent with

    @property
    def sender(self) -> Client:
        """The client this thread's tool call sends with: one made for the caller's own key (a header of
        ``cmldyn mcp --http``), else the server's."""
        return getattr(_CURRENT, "client", None) or self.api

    def client_for(self, key: str | None) -> Client:
        """The server's client, or (given a caller's own key) a client of the same spec that sends that key
        and none of the server's credentials; the last :data:`MAX_KEYS` are kept (by a digest of the key)."""
        if not key:
            return self.api
        import dataclasses

        from ..client import Client

        digest = key_digest(key)
        with self._clients_lock:
            found = self._clients.pop(digest, None)
            if found is None:
                try:
                    transport = dataclasses.replace(self.api.transport, token=key, user=None, password=None,
                                                    scheme_keys={}, observers=[], after_send=[])
                except CmldynError as error:
                    raise ToolError(f"the {KEY_HEADER} header holds a key that cannot be sent ({error.message}); "
                                    "nothing was sent") from None
                found = Client(transport=transport, loaded=self.api.loaded, check=self.api.contract.enabled)
            self._clients[digest] = found  # the most recent last
            while len(self._clients) > MAX_KEYS:
                self._clients.pop(next(iter(self._clients)))
            return found

    # ------------------------------------------------------------ the list

    def reindex(self) -> None:
        """After the spec changed: search works from the new operations (the index is built again now)."""
        self._index = None
        self._outputs = None
        self._inputs = None
        self._wrapped = set()
        self._checkers = {}
        self._terms()

    def warm(self) -> None:
        """Build the search index before the first request asks for it."""
        self._terms()

    def direct_operations(self) -> list[OperationModel]:
        ops = []
        for op in self.api.model.operations.values():
            tags = op.raw_op.get("tags") or []
            if op.name in FIXED_TOOLS:
                continue  # the fixed tool keeps its name; the operation stays reachable through call_operation
            if op.name in self.direct or (self.tag and isinstance(tags, list) and self.tag in tags):
                ops.append(op)
        return ops

    def _direct_by_tool(self) -> dict[str, OperationModel]:
        return {tool_name(op.name): op for op in self.direct_operations()}

    def tools(self) -> list[dict[str, Any]]:
        """Each tool as a dict: name, description, input_schema, annotations (MCP's hints)."""
        writes = self.policy.allow_write or self.policy.allow_destructive or bool(self.policy.allow)
        calls = {"read_only_hint": not writes, "destructive_hint": self.policy.allow_destructive or bool(self.policy.allow),
                 "idempotent_hint": not writes, "open_world_hint": True}
        reads = {"read_only_hint": True, "destructive_hint": False, "idempotent_hint": True, "open_world_hint": False}
        title = self.api.spec.title
        out = [
            {"name": "search_operations",
             "description": f"Find operations of the {title} API by words (\"start a job\"). Returns name, method, "
                            "path, summary and whether each is read-only, a write or destructive.",
             "input_schema": {"type": "object", "properties": {
                 "query": {"type": "string", "description": "words to look for"},
                 "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
                 "required": ["query"]},
             "annotations": reads},
            {"name": "describe_operation",
             "description": "An operation's parameters and body fields (types, required, enums) and its answer's "
                            "fields. Call it before call_operation.",
             "input_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
             "annotations": reads},
            {"name": "call_operation",
             "description": "Call an operation with its arguments (checked before anything is sent). query: a JMESPath "
                            "applied to the answer; max_items: gather a paged list up to this many items. "
                            + self.policy_text(),
             "input_schema": {"type": "object", "properties": {
                 "name": {"type": "string"},
                 "arguments": {"type": "object", "description": "parameters and body fields by name", "default": {}},
                 "query": {"type": "string", "description": "JMESPath, e.g. projects[].{id: id, name: name}"},
                 "max_items": {"type": "integer", "minimum": 1}},
                 "required": ["name"]},
             "annotations": calls},
            {"name": "wait_for",
             "description": "Call an operation (a start, or a get of something with a status) and wait until what it "
                            "returns reaches a final status, bounded by a time-out. until: success (fail on a failed "
                            "status) or done (any final status).",
             "input_schema": {"type": "object", "properties": {
                 "name": {"type": "string"}, "arguments": {"type": "object", "default": {}},
                 "until": {"type": "string", "enum": ["success", "done"], "default": "success"},
                 "timeout": {"type": "number", "minimum": 1, "description": "seconds"}},
                 "required": ["name"]},
             "annotations": calls},
        ]
        for op in self.direct_operations():
            kind = classify(op)
            out.append({"name": tool_name(op.name), "description": short(f"{op.method.upper()} {op.path}. {op.summary} "
                                                                f"({kind})", 400),
                        "input_schema": input_schema(op),
                        "annotations": {"read_only_hint": kind == "read", "destructive_hint": kind == "destructive",
                                        "idempotent_hint": op.method.lower() in ("get", "head", "put", "delete"),
                                        "open_world_hint": True}})
        for tool in out:
            tool["output_schema"] = self.output_schema(str(tool["name"]))
        return out

    def input_schema_of(self, tool: str) -> dict[str, Any] | None:
        """A tool's input schema by name (the HTTP transport checks ``Mcp-Param-*`` headers against it; asked on
        every call, so kept rather than listing every tool again), or None for no such tool."""
        if self._inputs is None:
            self._inputs = {str(t["name"]): t["input_schema"] for t in self.tools()}
        return self._inputs.get(tool)

    def policy_text(self) -> str:
        """What the policy allows, in one or two sentences (in call_operation's description and the instructions)."""
        p = self.policy
        asked = " Each write waits for a person to approve it (shown what it would send)." if p.confirm_writes else ""
        if p.allow_destructive:
            return "Writes and destructive operations are allowed." + asked
        allowed = f" Also allowed by name: {', '.join(sorted(p.allow))}." if p.allow else ""
        if p.allow_write:
            return "Writes are allowed; destructive operations are refused." + allowed + asked
        return "Read-only: only GET and HEAD operations can be called." + allowed + (asked if p.allow else "")

    # ------------------------------------------------------------ dispatch

    def run(self, tool: str, arguments: dict[str, Any] | None) -> tuple[str, bool]:
        """(text, is_error) for one tool call. Never raises: every failure is one line of text."""
        reply = self.answer(tool, arguments)
        return reply.text, reply.failed

    def answer(self, tool: str, arguments: dict[str, Any] | None, approval: Approval | None = None,
               key: str | None = None) -> Reply:
        """One tool call's reply: the text, whether it failed, and the structured content that fits the tool's
        output schema (none for a failure), or a write waiting for a person (with ``--confirm-writes``; the
        call comes again with their ``approval``). Never raises."""
        args = dict(arguments or {})
        try:
            self._enter(tool, args, approval, key)
            if tool == "search_operations":
                found = self.search(str(args.get("query") or ""), int(args.get("limit") or 10))
                return Reply(self._json(found), structured={"operations": found})
            if tool == "describe_operation":
                described = self.describe(str(args.get("name") or ""))
                return Reply(self._json(described), structured=described)
            if tool == "call_operation":
                return self.call(str(args.get("name") or ""), args.get("arguments"), args.get("query"),
                                 args.get("max_items"))
            if tool == "wait_for":
                return self.wait(str(args.get("name") or ""), args.get("arguments"), str(args.get("until") or "success"),
                                 args.get("timeout"))
            direct = self._direct_by_tool().get(tool)
            if direct is not None:
                return self.call(direct.name, args, None, None, tool=tool)
            raise ToolError(f"no tool {tool!r}{did_you_mean(tool, [t['name'] for t in self.tools()])}")
        except (CmldynError, TypeError, ValueError, OverflowError) as error:
            return Reply(*self._failure(error))

    def _enter(self, tool: str, args: dict[str, Any], approval: Approval | None, key: str | None) -> None:
        """Begin one tool call on this thread (calls run at once on threads of their own): what it is, for an
        approval to be minted or redeemed against; whose key it sends with; then its bounds. Raises ToolError."""
        _CURRENT.call = (tool, dict(args), approval)
        _CURRENT.client = None  # until the caller's key is known to be usable: errors redacted with the server's
        _CURRENT.client = self.client_for(key)
        bounded(tool, args)

    def _failure(self, error: Exception) -> tuple[str, bool]:
        """A tool error in the words the CLI and the REPL use, redacted; bad argument types named as such."""
        if isinstance(error, CmldynError):
            line, hint = error_lines(error, self.sender.transport.secrets)
            return line + (f" (hint: {hint})" if hint else ""), True
        return redact(f"bad arguments: {str(error)[:300]}", self.sender.transport.secrets), True

    def precheck(self, tool: str, arguments: dict[str, Any] | None) -> tuple[str, bool] | None:
        """The tool error of a call that cannot go ahead, found without the network (bounds, an unknown or
        refused operation, arguments the validator rejects, a JMESPath that does not compile), or None."""
        from ..filtering import compile_expression

        args = dict(arguments or {})
        _CURRENT.client = None  # nothing is sent here: errors are redacted against the server's own key
        try:
            bounded(tool, args)
            if tool in ("call_operation", "wait_for"):
                self._checked(str(args.get("name") or ""), args.get("arguments"))
                if args.get("query"):
                    compile_expression(str(args["query"]))
            elif tool not in LOCAL_TOOLS and self._direct_by_tool().get(tool) is None:
                raise ToolError(f"no tool {tool!r}{did_you_mean(tool, [t['name'] for t in self.tools()])}")
        except (CmldynError, TypeError, ValueError, OverflowError) as error:
            return self._failure(error)
        return None

    def busy(self) -> tuple[str, bool]:
        """The tool error for a call over the ``max_concurrent`` bound (the server refuses it at once)."""
        return (f"busy: {self.policy.max_concurrent} calls to the server are still running (the most at once); "
                "try again when one has finished, or use search_operations and describe_operation meanwhile"), True

    def _json(self, value: Any) -> str:
        return redact(json.dumps(value, ensure_ascii=False, indent=1), self.sender.transport.secrets)

    # ------------------------------------------------------------ search and describe

    def _terms(self) -> Index:
        if self._index is None:
            self._index = build_index(self.api.model.operations.values())
        return self._index

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        return rank(self._terms(), query, limit)


    def operation(self, name: str) -> OperationModel:
        op = self.api.model.find(name)
        if op is None:
            raise ToolError(f"no operation {name!r}{did_you_mean(name, self.api.model.names())}; "
                            "use search_operations to find one")
        return op

    def describe(self, name: str) -> dict[str, Any]:
        op = self.operation(name)
        params = []
        for p in op.params:
            if p.location == "body":
                continue
            entry: dict[str, Any] = {"name": p.name, "in": p.location, "type": p.type_label, "required": p.required}
            if p.enum:
                entry["enum"] = list(p.enum)[:30]
            if p.description:
                entry["description"] = short(p.description, 200)
            params.append(entry)
        body = []
        if op.body_param is not None:
            schema = op.body_param.schema
            for key, prop in list(schema.properties.items())[:60]:
                if prop.read_only:
                    continue
                field_entry: dict[str, Any] = {"name": key, "type": prop.label(1), "required": key in schema.required}
                if prop.enum:
                    field_entry["enum"] = list(prop.enum)[:30]
                if prop.description:
                    field_entry["description"] = short(prop.description, 160)
                body.append(field_entry)
        answer = op.response_schema
        fields = answer_fields(answer)
        out: dict[str, Any] = {"name": op.name, "method": op.method.upper(), "path": op.path, "kind": classify(op),
                               "summary": op.summary, "description": short(op.description, 800),
                               "parameters": params, "body_fields": body, "answer_fields": fields}
        refusal = self.policy.refusal(op)
        if refusal:
            out["refused_here"] = refusal
        if op.page_list_field:
            out["pages"] = f"a paged list of {op.page_list_field}: call_operation with max_items gathers pages"
        return out

    # ------------------------------------------------------------ calls

    def _checked(self, name: str, arguments: Any) -> tuple[OperationModel, dict[str, Any]]:
        op = self.operation(name)
        refusal = self.policy.refusal(op)
        if refusal:
            raise ToolError(f"refused: {refusal}")
        if arguments is None:
            arguments = {}
        if isinstance(arguments, str) and arguments.strip().startswith("{"):
            try:
                arguments = json.loads(arguments)  # some clients send the object as JSON text
            except ValueError:
                pass
        if not isinstance(arguments, dict):
            raise ToolError("arguments must be an object of parameter and body-field names")
        self.api.prepare(op.name, **arguments)  # the validator's checks, before anything is sent
        return op, arguments

    def call(self, name: str, arguments: Any, query: Any, max_items: Any, *, tool: str = "call_operation") -> Reply:
        op, kwargs = self._checked(name, arguments)
        waiting = self._confirmed(op, kwargs)
        if waiting is not None:
            return waiting
        if max_items is not None and op.page_list_field:
            from ..paginate import iter_pages

            limit = max(1, int(max_items))
            items: list[Any] = []
            for page in iter_pages(lambda **kw: self.sender.call(op, **kw), (), kwargs):
                items.extend(to_plain(page).get(op.page_list_field) or [])
                if len(items) >= limit:
                    break
            plain: Any = {op.page_list_field: items[:limit]}
        else:
            plain = to_plain(self.sender.call(op, **kwargs))
            if max_items is not None and isinstance(plain, list):
                plain = plain[: max(1, int(max_items))]
        return self._reply(op, plain, query, tool)

    def wait(self, name: str, arguments: Any, until: str, timeout: Any) -> Reply:
        started = self._begin_wait(name, arguments, until, timeout)
        if isinstance(started, Reply):
            return started
        return self._follow(started, None, time.sleep)

    def begin_wait(self, arguments: dict[str, Any] | None, approval: Approval | None = None,
                   key: str | None = None) -> Reply | Waiting:
        """``wait_for`` up to its first call (checks, a person's approval, the start): what a task follows, or
        the reply that ends the call here (an error, or a write waiting for confirmation). Never raises."""
        args = dict(arguments or {})
        try:
            self._enter("wait_for", args, approval, key)
            return self._begin_wait(str(args.get("name") or ""), args.get("arguments"),
                                    str(args.get("until") or "success"), args.get("timeout"))
        except (CmldynError, TypeError, ValueError, OverflowError) as error:
            return Reply(*self._failure(error))

    def follow(self, waiting: Waiting, *, progress: Any = None, sleep: Any = time.sleep) -> Reply:
        """Wait for what ``begin_wait`` started; the reply ``wait_for`` gives. Never raises a CmldynError (a
        ``sleep`` that raises stops the wait with its exception)."""
        _CURRENT.client = waiting.client
        try:
            return self._follow(waiting, progress, sleep)
        except (CmldynError, TypeError, ValueError, OverflowError) as error:
            return Reply(*self._failure(error))

    def _begin_wait(self, name: str, arguments: Any, until: str, timeout: Any) -> Reply | Waiting:
        op, kwargs = self._checked(name, arguments)
        if until not in ("success", "done"):
            raise ToolError("until must be success or done")
        limit = min(float(timeout), self.policy.wait_timeout) if timeout else self.policy.wait_timeout
        getter = self.api.waiter_for(op)
        if getter is None:
            raise ToolError(f"{op.name} returns nothing with a status to wait on; use call_operation")
        waiting = self._confirmed(op, kwargs)
        if waiting is not None:
            return waiting
        deadline = time.monotonic() + limit
        first = self.sender.call(op, **kwargs)
        return Waiting(op, getter, first, until, deadline, self.sender)

    def _follow(self, waiting: Waiting, progress: Any, sleep: Any) -> Reply:
        left = max(1.0, waiting.deadline - time.monotonic())
        final = self.sender.wait(waiting.first, until=waiting.until, timeout=left, progress=progress or (lambda _: None),
                                 sleep=_ramped(sleep))
        return self._reply(waiting.getter, to_plain(final), None, "wait_for")

    # ------------------------------------------------------------ writes confirmed by a person

    def _confirmed(self, op: OperationModel, kwargs: dict[str, Any]) -> Reply | None:
        """With ``confirm_writes``, a write goes ahead only with an approval for exactly this call: without one,
        the reply asks (a preview and a fresh approval state); with one that is not valid, a tool error; with
        one the person declined, a tool error. None: go ahead (a read, or approved)."""
        if not self.policy.confirm_writes or classify(op) == "read":
            return None
        tool, args, approval = _CURRENT.call
        if approval is None:
            shown = preview(self.sender, op, kwargs, classify(op))
            return Reply(self._json({"confirmation_needed": shown}),
                         confirm=Confirmation(ask_text(shown), shown, self.approvals.mint(tool, args)))
        self.approvals.redeem(approval.state, tool, args)
        if not approval.approved:
            said = {"decline": "declined", "cancel": "dismissed"}.get(approval.action, "did not approve")
            raise ToolError(f"not sent: the person {said} {op.name} ({op.method.upper()} {op.path})")
        return None

    # ------------------------------------------------------------ results: text and structured content

    def output_schema(self, tool: str) -> dict[str, Any]:
        """The tool's output schema (made once per spec; see shapes.py)."""
        if self._outputs is None:
            from .shapes import Shapes

            shapes = Shapes()
            ops = list(self.api.model.operations.values())
            described = {"type": "object", "properties": {
                key: {} for key in ("name", "method", "path", "kind", "summary", "description", "parameters",
                                    "body_fields", "answer_fields", "refused_here", "pages")},
                "required": ["name", "method", "path", "kind"]}
            found = {"type": "object", "properties": {"operations": {"type": "array", "items": {
                "type": "object", "properties": {k: {"type": "string"} for k in
                                                 ("name", "method", "path", "summary", "kind")}}}},
                     "required": ["operations"]}
            outputs: dict[str, Any] = {"search_operations": found, "describe_operation": described,
                                       "call_operation": shapes.envelope(ops),
                                       "wait_for": shapes.envelope(self._waited())}
            for op in self.direct_operations():
                outputs[tool_name(op.name)], wrapped = shapes.direct(op)
                if wrapped:
                    self._wrapped.add(tool_name(op.name))
            self._outputs = outputs
        schema: dict[str, Any] = self._outputs[tool]
        return schema

    def _waited(self) -> list[OperationModel]:
        """The get operations wait_for can end with: those that re-read what some operation starts."""
        found: dict[str, OperationModel] = {}
        for op in self.api.model.operations.values():
            getter = self.api.waiter_for(op) if op.method != "get" or op.path_params else None
            if getter is not None:
                found[getter.name] = getter
        return list(found.values())

    def _conforms(self, tool: str, value: Any) -> bool:
        """Whether ``value`` validates against the tool's output schema (always, where jsonschema is missing:
        it comes with the MCP SDK)."""
        checker = self._checkers.get(tool)
        if checker is None:
            try:
                from jsonschema import Draft202012Validator
            except ImportError:
                return True
            checker = self._checkers[tool] = Draft202012Validator(self.output_schema(tool))
        return bool(checker.is_valid(value))

    def _reply(self, op: OperationModel, plain: Any, query: Any, tool: str) -> Reply:
        """The text (the answer as JSON, cut to the size limit with a note) and the structured content (the
        envelope, or a direct tool's answer) of one answer, masked and redacted alike."""
        from .shapes import fit

        if isinstance(plain, (bytes, bytearray)):
            body = {"binary_answer_bytes": len(plain), "note": "a file is not returned through MCP; fetch it with: "
                    "cmldyn call OPERATION ... -o raw > FILE"}
            return Reply(json.dumps(body), structured=self._structured(op, tool, body, "binary", None))
        shape: str = "answer"
        if query:
            plain = jmespath_search(str(query), plain)
            shape = "query"
        whole = redact(json.dumps(mask(plain, reveal_env=self.policy.reveal_env), ensure_ascii=False, indent=1,
                                  default=str), self.sender.transport.secrets)
        masked = json.loads(whole)  # the structure as redacted as the text
        text = self._cut_text(whole)
        kept, cut = fit(masked, self.policy.max_result - 600)
        note = (f"cut to fit the {self.policy.max_result / 1024:.0f} KiB limit: lists keep their first items; narrow it "
                "with query, max_items or the operation's own filters") if cut else None
        return Reply(text, structured=self._structured(op, tool, kept, shape, note))

    def _structured(self, op: OperationModel, tool: str, result: Any, shape: str, note: str | None) -> dict[str, Any]:
        if tool in ("call_operation", "wait_for"):
            envelope: dict[str, Any] = {"operation": op.name, "shape": shape, "result": result}
            if note:
                envelope["note"] = note
            if shape == "answer" and not self._conforms(tool, envelope):
                envelope["shape"] = "drift"  # the server's answer does not fit the spec: left untyped, said so
            return envelope
        self.output_schema(tool)  # knows whether the answer is wrapped
        value = {"result": result} if tool in self._wrapped else result
        if not isinstance(value, dict) or not self._conforms(tool, value):
            return {}  # the answer does not fit the spec's schema: the text has it, the structure stays empty
        return value

    def _cut_text(self, text: str) -> str:
        size = len(text.encode("utf-8"))
        limit = self.policy.max_result
        if size <= limit:
            return text
        kept = text.encode("utf-8")[: limit - 400].decode("utf-8", "ignore")
        kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
        return (f"{kept}\n… [cut: the answer is {size / 1024:.0f} KiB, over the {limit / 1024:.0f} KiB limit. Narrow it "
                "with query (a JMESPath such as 'projects[].{id: id, name: name}'), with max_items, or with the "
                "operation's own filters (page_size, search_filter)]")


def _ramped(sleep: Any) -> Any:
    """``sleep`` with the first waits shorter (0.5 s, then 1 s, then what the waiter asks): a workload that ends
    in a second is answered in about one, and a long one is polled no more often than before."""
    steps = iter((0.5, 1.0))

    def wait(seconds: float) -> None:
        sleep(min(seconds, next(steps, seconds)))

    return wait


def key_digest(key: str) -> str:
    """What stands for a caller's own key where one is kept or compared (its clients, whose tasks are whose)."""
    import hashlib

    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
