"""What ``cmldyn mcp`` offers an agent, in plain Python (no MCP SDK here): the tools, their input
schemas and annotations, the safety policy, and the results as bounded, masked JSON text.

The default tools scale to any spec: ``search_operations`` (ranked by the words of the name,
summary, path and tags), ``describe_operation`` (parameters, body fields and answer fields, bounded),
``call_operation`` (arguments checked by the validator before anything is sent, an optional JMESPath
``query``, ``max_items`` paging through a list) and ``wait_for`` (the inferred waiter, bounded by a
time-out). Chosen operations can also be tools of their own, with JSON input schemas made from their
parameters and bodies. Every call passes the policy first: read-only unless writes are allowed, and
destructive operations (DELETE, custom verbs such as ``:stop``, delete-like names, key rotation) only
with ``--allow-destructive`` or by name. Results are masked (key-, token-, password- and secret-like
fields, every value of an ``environment`` map) and cut to a size limit with a note on how to narrow
them.

What one tool call may ask is bounded, and a call past a bound is a tool error at once: its arguments
at most :data:`MAX_ARGUMENTS` bytes as JSON (and nested at most :data:`MAX_DEPTH` deep), a search at
most :data:`MAX_SEARCH` characters, names :data:`MAX_NAME`, a JMESPath ``query`` the filter's own
bounds (10,000 characters, 100 levels). May import: client (TYPE_CHECKING), errors, filtering,
jsonvalue, output, paginate, schema.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CmldynError, ToolError, did_you_mean, redact
from ..filtering import search as jmespath_search
from ..jsonvalue import mask, to_plain
from ..output import error_lines

if TYPE_CHECKING:
    from ..client import Client
    from ..model import OperationModel
    from ..schema import Schema

__all__ = ["FIXED_TOOLS", "LOCAL_TOOLS", "MAX_ARGUMENTS", "MAX_DEPTH", "MAX_NAME", "MAX_SEARCH", "Approval", "Approvals",
           "Confirmation", "KEY_HEADER", "Policy", "Reply", "Toolbox", "Waiting", "classify", "tool_name"]

#: The tools that answer from the spec alone: they never wait behind calls to the server.
LOCAL_TOOLS = frozenset({"search_operations", "describe_operation"})
MAX_ARGUMENTS = 256 * 1024  # bytes of one call's arguments, as JSON
MAX_DEPTH = 32  # how deep those arguments may nest
MAX_SEARCH = 500  # characters of a search_operations query
MAX_NAME = 200  # characters of an operation or tool name
MAX_KEYS = 16  # callers' own keys (HTTP) whose clients are kept
#: The header of an HTTP request to ``cmldyn mcp --http`` that carries the caller's own key for the API.
KEY_HEADER = "X-Cmldyn-Api-Key"

READ_METHODS = ("get", "head", "options")
_CURRENT = threading.local()  # the tool call being answered on this thread: (tool, arguments, approval)
_DESTRUCTIVE_WORDS = ("delete", "remove", "destroy", "purge", "erase", "wipe", "drop", "stop", "restart", "kill",
                      "terminate", "cancel", "rotate", "revoke", "reset", "regenerate", "uninstall", "disable")
_SYNONYMS = {"start": ("create", "run", "launch"), "launch": ("create", "start"), "run": ("create", "start"),
             "kill": ("stop", "delete"), "remove": ("delete",), "show": ("get", "list"), "find": ("list", "search"),
             "new": ("create",), "make": ("create",), "add": ("create",), "change": ("update",), "edit": ("update",),
             "fetch": ("get",), "all": ("list",)}


@dataclass
class Policy:
    """What the server may do on the agent's behalf."""

    allow_write: bool = False
    allow_destructive: bool = False
    allow: frozenset[str] = frozenset()  # operations allowed by name, whatever they are
    reveal_env: bool = False
    max_result: int = 16 * 1024
    wait_timeout: float = 300.0
    #: Tool calls that reach the server at the same time at most; one more is refused at once.
    max_concurrent: int = 8
    #: Every write (what the flags allow) waits for a person to approve it, bound to the exact call.
    confirm_writes: bool = False

    def refusal(self, op: OperationModel) -> str | None:
        """Why ``op`` may not be called (naming the flag that would allow it), or None."""
        kind = classify(op)
        if kind == "read" or op.name in self.allow:
            return None
        what = f"{op.name} ({op.method.upper()} {op.path})"
        if kind == "write" and not self.allow_write:
            return f"{what} writes; this server is read-only: start it with --allow-write (or --allow {op.name})"
        if kind == "destructive" and not self.allow_destructive:
            return (f"{what} is destructive; start the server with --allow-destructive, or allow this one operation "
                    f"with --allow {op.name}")
        return None


def classify(op: OperationModel) -> str:
    """``read`` (GET, HEAD, OPTIONS), ``destructive`` (DELETE, a destroying custom verb such as ``:stop`` or
    ``:restart``, a delete-like name, key rotation) or ``write``."""
    method = op.method.lower()
    if method in READ_METHODS:
        return "read"
    last = op.path.rstrip("/").rsplit("/", 1)[-1]
    verb = last.rsplit(":", 1)[1].lower() if ":" in last.replace("{", "").replace("}", "") else ""
    words = set(re.split(r"[_\W]+", op.name.lower())) | set(re.split(r"[_\W]+", verb))
    if method == "delete" or words & set(_DESTRUCTIVE_WORDS):
        return "destructive"
    return "write"  # a custom verb that destroys nothing (CML's :download) is a write: POST needs --allow-write


# ---------------------------------------------------------------- JSON schemas for direct tools


def json_schema(schema: Schema | None, depth: int = 0, *, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A JSON Schema for a spec schema: references followed, cycles and depth bounded."""
    if schema is None:
        return {}
    out: dict[str, Any] = {}
    if schema.type and schema.type != "file":
        out["type"] = schema.type
    if schema.format:
        out["format"] = schema.format
    if schema.enum:
        out["enum"] = list(schema.enum)
    if schema.description:
        out["description"] = _short(schema.description, 200)
    if schema.pointer in seen or depth >= 4:
        return out
    inner = seen | {schema.pointer}
    if schema.type == "array" and schema.items is not None:
        out["items"] = json_schema(schema.items, depth + 1, seen=inner)
    props = schema.properties
    if props:
        out["type"] = "object"
        out["properties"] = {k: json_schema(v, depth + 1, seen=inner) for k, v in props.items() if not v.read_only}
        required = sorted(k for k in schema.required if k in out["properties"])
        if required:
            out["required"] = required
    return out


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- the tools


FIXED_TOOLS = ("search_operations", "describe_operation", "call_operation", "wait_for")


@dataclass
class Confirmation:
    """A write waiting for a person: the question, what would be sent, and the approval to send back."""

    message: str
    preview: dict[str, Any]
    state: str


@dataclass
class Approval:
    """What came back for a write: the server's approval state as echoed, and the person's answer
    (``action`` accept, decline or cancel; ``content`` the form: ``{"approve": true}``)."""

    state: str
    action: str = ""
    content: dict[str, Any] | None = None

    @property
    def approved(self) -> bool:
        return self.action == "accept" and bool((self.content or {}).get("approve"))


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


class Approvals:
    """Approvals minted by this process: ``payload.signature``, the payload naming the tool, a digest of the
    call's whole arguments, an expiry and a nonce, signed with HMAC-SHA256 under a secret made at start and
    held only in memory. Each is redeemed at most once; a tampered, replayed, expired or rebound one is
    refused with a line that says which, and the caller sends nothing."""

    def __init__(self, ttl: float = 300.0, *, clock: Any = time.time) -> None:
        import os

        self._secret = os.urandom(32)
        self.ttl = ttl
        self.clock = clock
        self._used: dict[str, float] = {}  # nonce -> its expiry (kept until then)

    @staticmethod
    def digest(tool: str, arguments: dict[str, Any]) -> str:
        import hashlib

        text = json.dumps([tool, arguments], sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _sign(self, payload: bytes) -> str:
        import base64
        import hashlib
        import hmac

        return base64.urlsafe_b64encode(hmac.new(self._secret, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def mint(self, tool: str, arguments: dict[str, Any]) -> str:
        import base64
        import secrets

        claims = {"t": tool, "a": self.digest(tool, arguments), "e": round(self.clock() + self.ttl, 3),
                  "n": secrets.token_urlsafe(12)}
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def redeem(self, state: str, tool: str, arguments: dict[str, Any]) -> None:
        """Accept the approval for exactly this call once, or raise ToolError saying why not."""
        import base64
        import hmac

        nothing = "; nothing was sent"
        payload, _, signature = str(state).partition(".")
        if not payload or not hmac.compare_digest(signature.encode(), self._sign(payload.encode()).encode()):
            raise ToolError("refused: the approval is not one this server made (changed or made up)" + nothing)
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            nonce, expiry = str(claims["n"]), float(claims["e"])
        except (ValueError, KeyError, TypeError):
            raise ToolError("refused: the approval cannot be read" + nothing) from None
        now = self.clock()
        self._used = {n: e for n, e in self._used.items() if e > now}
        if nonce in self._used:
            raise ToolError("refused: this approval was used already (each approves one call, once)" + nothing)
        if expiry <= now:
            raise ToolError(f"refused: the approval expired (they last {self.ttl:.0f} s); call again to ask anew"
                            + nothing)
        if claims.get("t") != tool or claims.get("a") != self.digest(tool, arguments):
            raise ToolError("refused: the approval was given for a call with other arguments; call again to ask "
                            "for these" + nothing)
        self._used[nonce] = expiry


@dataclass
class Toolbox:
    """The tools for one client and policy; ``direct`` names operations that are tools of their own."""

    api: Client
    policy: Policy = field(default_factory=Policy)
    direct: tuple[str, ...] = ()
    tag: str | None = None
    _index: list[tuple[OperationModel, dict[str, float], str]] | None = field(default=None, init=False, repr=False)
    _outputs: dict[str, Any] | None = field(default=None, init=False, repr=False)
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
        import hashlib

        from ..client import Client

        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
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
            out.append({"name": tool_name(op.name), "description": _short(f"{op.method.upper()} {op.path}. {op.summary} "
                                                                f"({kind})", 400),
                        "input_schema": self.input_schema(op),
                        "annotations": {"read_only_hint": kind == "read", "destructive_hint": kind == "destructive",
                                        "idempotent_hint": op.method.lower() in ("get", "head", "put", "delete"),
                                        "open_world_hint": True}})
        for tool in out:
            tool["output_schema"] = self.output_schema(tool["name"])
        return out

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

    def input_schema(self, op: OperationModel) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for param in op.params:
            if param.location == "body":
                continue
            props[param.name] = json_schema(param.schema)
            if param.description:
                props[param.name]["description"] = _short(param.description, 200)
            if param.required:
                required.append(param.name)
        body = op.body_param
        for key, sub in op.body_fields.items():  # the body's fields as arguments of their own
            if sub.read_only:
                continue
            assert body is not None
            props[key] = json_schema(sub, 1, seen=frozenset({body.schema.pointer}))
        if body is not None:
            required += sorted(k for k in body.schema.required if k in props and k not in required)
        schema: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            schema["required"] = required
        return schema

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
        _CURRENT.call = (tool, dict(args), approval)  # per thread: calls run at once on threads of their own
        _CURRENT.client = None
        try:
            _CURRENT.client = self.client_for(key)
            _bounded(tool, args)
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
            _bounded(tool, args)
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

    def _terms(self) -> list[tuple[OperationModel, dict[str, float], str]]:
        if self._index is None:
            index = []
            for op in self.api.model.operations.values():
                weights: dict[str, float] = {}

                def add(text: str, weight: float, into: dict[str, float] = weights) -> None:
                    for word in _words(text):
                        into[word] = max(into.get(word, 0.0), weight)

                tags = op.raw_op.get("tags") or []
                add(" ".join(str(t) for t in tags) if isinstance(tags, list) else "", 1.0)
                add(_TEMPLATE.sub(" ", op.path), 1.5)
                add(op.summary, 2.0)
                add(op.name, 3.0)
                index.append((op, weights, classify(op)))
            self._index = index
        return self._index

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        words = _words(query)
        if not words:
            raise ToolError("search_operations needs a query of one or more words")
        wanted: list[tuple[str, ...]] = [(w, *(_stem(s) for s in _SYNONYMS.get(w, ()))) for w in words]
        scored = []
        for op, weights, kind in self._terms():
            score = 0.0
            for alternatives in wanted:
                best = 0.0
                for rank, word in enumerate(alternatives):
                    factor = 1.0 if rank == 0 else 0.6
                    hit = weights.get(word)
                    if hit is None and len(word) >= 4:
                        hit = max((w * 0.5 for t, w in weights.items() if t.startswith(word)), default=None)
                    if hit is not None:
                        best = max(best, hit * factor)
                score += best
            if score > 0:
                scored.append((-score, kind != "read", len(op.name), kind, op))
        scored.sort(key=lambda item: item[:3])
        return [{"name": op.name, "method": op.method.upper(), "path": op.path, "summary": op.summary, "kind": kind}
                for *_, kind, op in scored[: max(1, min(limit, 50))]]

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
                entry["description"] = _short(p.description, 200)
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
                    field_entry["description"] = _short(prop.description, 160)
                body.append(field_entry)
        answer = op.response_schema
        fields = _answer_fields(answer)
        out: dict[str, Any] = {"name": op.name, "method": op.method.upper(), "path": op.path, "kind": classify(op),
                               "summary": op.summary, "description": _short(op.description, 800),
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
        _CURRENT.call = ("wait_for", dict(args), approval)
        _CURRENT.client = None
        try:
            _CURRENT.client = self.client_for(key)
            _bounded("wait_for", args)
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
                              sleep=sleep)
        return self._reply(waiting.getter, to_plain(final), None, "wait_for")

    def stop_workload(self, waiting: Waiting) -> str:
        """After a cancelled wait: stop what it followed where the spec has a stop operation for it and the
        flags allow that operation without a person's approval; the task's last message either way."""
        from urllib.parse import quote

        from ..model import item_path

        _CURRENT.client = waiting.client
        origin = getattr(waiting.first, "_origin", None)
        if origin is None:
            return f"cancelled: stopped waiting; {waiting.noun} was not stopped (cannot tell where it is)"
        path, creates = item_path(*origin)
        if creates:
            ident = to_plain(waiting.first).get("id") if isinstance(to_plain(waiting.first), dict) else None
            if not ident:
                return f"cancelled: stopped waiting; {waiting.noun} was not stopped (its answer has no id)"
            path = f"{path}/{quote(str(ident), safe='')}"
        found = self.api.model.match("post", path + ":stop")
        if found is None:
            return f"cancelled: stopped waiting; {waiting.noun} goes on (the API has no operation that stops it)"
        stop, values = found
        refusal = self.policy.refusal(stop)
        if refusal:
            return f"cancelled: stopped waiting; {waiting.noun} goes on: {refusal}"
        if self.policy.confirm_writes:
            return (f"cancelled: stopped waiting; {waiting.noun} goes on: stopping it needs a person's approval; "
                    f"call {stop.name} to ask for it")
        try:
            self.sender.call(stop, **{p.name: values[p.wire] for p in stop.path_params})
        except CmldynError as error:
            return f"cancelled: stopped waiting; {waiting.noun} could not be stopped: {error.message}"
        return f"cancelled: {waiting.noun} stopped ({stop.name})"

    # ------------------------------------------------------------ writes confirmed by a person

    def _confirmed(self, op: OperationModel, kwargs: dict[str, Any]) -> Reply | None:
        """With ``confirm_writes``, a write goes ahead only with an approval for exactly this call: without one,
        the reply asks (a preview and a fresh approval state); with one that is not valid, a tool error; with
        one the person declined, a tool error. None: go ahead (a read, or approved)."""
        if not self.policy.confirm_writes or classify(op) == "read":
            return None
        tool, args, approval = _CURRENT.call
        if approval is None:
            preview = self.preview(op, kwargs)
            return Reply(self._json({"confirmation_needed": preview}),
                         confirm=Confirmation(_ask_text(preview), preview, self.approvals.mint(tool, args)))
        self.approvals.redeem(approval.state, tool, args)
        if not approval.approved:
            said = {"decline": "declined", "cancel": "dismissed"}.get(approval.action, "did not approve")
            raise ToolError(f"not sent: the person {said} {op.name} ({op.method.upper()} {op.path})")
        return None

    def preview(self, op: OperationModel, kwargs: dict[str, Any]) -> dict[str, Any]:
        """What a write would send: method, path, the body masked, and for an update of something that can be
        read, the fields it would change (read now from the current object)."""
        from urllib.parse import unquote

        prepared = self.sender.prepare(op.name, **kwargs)
        secrets = self.sender.transport.secrets
        body = prepared.json_body if prepared.has_json_body else None
        shown: dict[str, Any] = {"operation": op.name, "kind": classify(op), "method": prepared.method.upper(),
                                 "path": unquote(prepared.path)}
        if prepared.query:
            shown["query"] = {k: v for k, v in prepared.query}
        if body is not None:
            shown["body"] = json.loads(redact(json.dumps(mask(body), default=str), secrets))
        if prepared.method.upper() in ("PATCH", "PUT") and isinstance(body, dict):
            found = self.api.model.match("get", prepared.path.split("?")[0])
            if found is not None:
                getter, values = found
                try:
                    current = to_plain(self.sender.call(getter, **{p.name: values[p.wire] for p in getter.path_params}))
                except CmldynError as error:
                    shown["current"] = f"not read: {error.message}"
                else:
                    if isinstance(current, dict):
                        masked_now, masked_new = mask(current), mask(body)
                        shown["changes"] = {key: {"from": masked_now.get(key), "to": value}
                                            for key, value in masked_new.items() if masked_now.get(key) != value}
        return shown

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
                                       "wait_for": shapes.envelope([o for o in ops if o.method == "get"])}
            for op in self.direct_operations():
                outputs[tool_name(op.name)], wrapped = shapes.direct(op)
                if wrapped:
                    self._wrapped.add(tool_name(op.name))
            self._outputs = outputs
        return self._outputs[tool]

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
            note = "a file is not returned through MCP; fetch it with: cmldyn call OPERATION ... -o raw > FILE"
            body = {"binary_answer_bytes": len(plain), "note": note}
            return Reply(json.dumps(body), structured=self._structured(op, tool, body, "binary", None))
        shape = "answer"
        if query:
            plain = jmespath_search(str(query), plain)
            shape = "query"
        masked = json.loads(redact(json.dumps(mask(plain, reveal_env=self.policy.reveal_env), ensure_ascii=False,
                                              default=str), self.sender.transport.secrets))
        text = self._cut_text(json.dumps(masked, ensure_ascii=False, indent=1))
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


def _ask_text(preview: dict[str, Any]) -> str:
    """The question a person sees for one write."""
    lines = [f"Allow {preview['operation']} ({preview['kind']}): {preview['method']} {preview['path']}?"]
    if "changes" in preview:
        changed = preview["changes"]
        lines.append("Changes: " + (", ".join(f"{k}: {json.dumps(v['from'], default=str)} -> "
                                              f"{json.dumps(v['to'], default=str)}" for k, v in changed.items())
                                    if changed else "none (the values sent are the current ones)"))
    elif "body" in preview:
        lines.append("Body: " + _short(json.dumps(preview["body"], ensure_ascii=False, default=str), 1200))
    return "\n".join(lines)


def _bounded(tool: str, args: dict[str, Any]) -> None:
    """Refuse a tool call past the bounds in the module's docstring, before any work is done on it."""
    if len(tool) > MAX_NAME:
        raise ToolError(f"tool name too long ({len(tool):,} characters; the limit is {MAX_NAME})")
    try:
        size = len(json.dumps(args, default=str, check_circular=False).encode("utf-8", "replace"))
    except (RecursionError, ValueError):
        raise ToolError(f"arguments nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    if size > MAX_ARGUMENTS:
        raise ToolError(f"arguments too large: {size:,} bytes as JSON (the limit is {MAX_ARGUMENTS // 1024} KiB)")
    if _depth(args) > MAX_DEPTH:
        raise ToolError(f"arguments nested too deeply (the limit is {MAX_DEPTH} levels)")
    query = args.get("query")
    if tool == "search_operations" and isinstance(query, str) and len(query) > MAX_SEARCH:
        raise ToolError(f"search query too long ({len(query):,} characters; the limit is {MAX_SEARCH}): a few words do")
    name = args.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise ToolError(f"operation name too long ({len(name):,} characters; the limit is {MAX_NAME})")


def _depth(value: Any) -> int:
    """How deep a JSON value nests, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def tool_name(name: str) -> str:
    """An operation's name as a tool name: clients take at most 64 characters (a long name keeps a digest)."""
    if len(name) <= 64:
        return name
    import hashlib

    return name[:55] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]


def _answer_fields(schema: Schema | None) -> list[dict[str, str]]:
    if schema is None:
        return []
    out = []
    for key, prop in list(schema.properties.items())[:40]:
        entry = {"name": key, "type": prop.label(1)}
        items = prop.items if prop.type == "array" else None
        if items is not None and items.properties:
            entry["item_fields"] = ", ".join(list(items.properties)[:25])
        out.append(entry)
    if schema.type == "array" and schema.items is not None:
        out.append({"name": "[]", "type": schema.items.label(1),
                    "item_fields": ", ".join(list(schema.items.properties)[:25])})
    return out


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_STOP = frozenset({"a", "an", "the", "of", "to", "for", "in", "on", "and", "or", "by", "with", "my", "me", "i", "it",
                   "api", "v2", "v1", "is", "all"})


_TEMPLATE = re.compile(r"\{[^}]*\}")
_CAMEL = re.compile(r"([a-z])([A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _NOT_WORD.split(_CAMEL.sub(r"\1 \2", str(text)).lower()) if w and w not in _STOP]
