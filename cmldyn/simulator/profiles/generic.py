"""The generic profile: what the simulator does for any spec beyond the engine's inference.

The spec's own security schemes, its declared error shape, lists paged in the spec's own style,
generated demo data. :class:`Profile` is also the base of every other profile (CML's in cml.py),
whose tables and overrides say what differs.
"""


from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, Callable

from ...schema import Schema
from ...validator import Rules
from ..routes import OPEN_RULES, ApiFailure, Reply, Route, SpecIndex
from ..samples import Sampler

if TYPE_CHECKING:
    from ..engine import Call, Engine

__all__ = ["Profile"]

JSON = Any
Handler = Callable[["Engine", "Call"], Reply]
CreateHook = Callable[["Engine", dict[str, JSON], tuple[str, ...], dict[str, JSON]], None]
ActionHook = Callable[["Engine", str, dict[str, JSON]], None]

# Field names an error body says its message or status code under, in the order they are tried.
_MESSAGE_FIELDS = ("message", "error", "detail", "title", "error_description", "errorMessage", "msg", "description")
_PHRASES = {s.value for s in HTTPStatus}
_CODE_FIELDS = ("code", "status", "statusCode", "status_code", "error_code", "errorCode")


@dataclass
class Profile:
    """The generic profile; subclasses (CML's) fill in the tables and override what differs."""

    name: str = "generic"
    #: Where the spec is served (without auth, with an ETag); cmldyn looks at the first by default.
    spec_paths: tuple[str, ...] = ("/api/v2/swagger.json", "/openapi.json")
    #: How strictly a JSON body is read: extra fields are legal unless the schema says otherwise.
    body_rules: Rules = OPEN_RULES
    #: Required query parameters and headers are checked (grpc-gateway does not).
    strict_params: bool = True
    #: ``rich`` answers (names, emails, dates by field name) or ``minimal`` ones (a profile fills them).
    sample_style: str = "rich"
    extra_required: dict[str, list[str]] = field(default_factory=dict)
    operations: dict[str, Handler] = field(default_factory=dict)
    on_create: dict[str, CreateHook] = field(default_factory=dict)
    actions: dict[str, ActionHook] = field(default_factory=dict)
    seeds: tuple[str, ...] = ("demo", "empty")
    #: Headers sent with every answer.
    headers: dict[str, str] = field(default_factory=dict)
    #: The field that names an object, by collection (``*``: every collection); else inferred.
    id_fields: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------ hooks with a default

    def collection_prefix(self, index: SpecIndex) -> str:
        """The leading path that names no collection (the base path, and ``/api``, ``/v1`` ... that every path shares)."""
        paths = [r.template[len(index.base_path):] for r in index.routes]
        common: list[str] = []
        split = [p.strip("/").split("/") for p in paths]
        for parts in zip(*split, strict=False) if split else ():
            first = parts[0]
            if all(p == first for p in parts) and (first == "api" or _is_version(first)):
                common.append(first)
            else:
                break
        return index.base_path + ("/" + "/".join(common) if common else "")

    def request_path(self, method: str, raw_path: str) -> str:
        """The path a request is routed by: the one it came with (a profile may read a workspace's own forms)."""
        return raw_path

    def in_api(self, index: SpecIndex, raw_path: str) -> bool:
        """Whether a path is under the API at all (else it is a plain 404, before any auth)."""
        return raw_path.startswith(index.base_path + "/") or raw_path == index.base_path or not index.base_path

    def keys(self, token: str) -> dict[str, str]:
        """The users the simulator knows and each one's key (``Simulator.keys``): one, with the simulator's key."""
        return {"user": token}

    def authorize(self, index: SpecIndex, route: Route | None, headers: dict[str, str], query: dict[str, list[str]],
                  token: str) -> str | None:
        """Let the request in (the user it is made as: None for one the spec lets anyone make), or raise a 401
        :class:`ApiFailure`: the spec's own schemes, checked against the simulator's one key (for HTTP
        basic: any user, the key as password)."""
        alternatives = index.security_of(route) if route is not None else None
        if alternatives is None:
            return None
        lowered = {k.lower(): v for k, v in headers.items()}
        for schemes in alternatives:
            if all(_satisfied(s.kind, s.param, lowered, query, token) for s in schemes):
                return "user" if schemes else None
        wanted = " or ".join(" and ".join(s.describe() for s in schemes) for schemes in alternatives)
        challenge = "Basic" if any(s.kind == "basic" for a in alternatives for s in a) else "Bearer"
        raise ApiFailure(401, 16, f"authentication required: {wanted}", {"WWW-Authenticate": f'{challenge} realm="cmldyn-sim"'})

    def error_reply(self, index: SpecIndex, route: Route | None, failure: ApiFailure, sampler: Sampler) -> Reply:
        """An error in the shape the spec declares for that status (its own schema), else a plain one."""
        declared = route.error_response(failure.status) if route is not None else None
        if declared is None or declared.schema is None:
            return Reply(failure.status, {"code": failure.status, "message": failure.message})
        schema = declared.schema
        body = sampler.value(schema, "error")
        if not isinstance(body, dict):
            return Reply(failure.status, body)
        props = schema.properties
        texts = [n for n in _MESSAGE_FIELDS if n in props and props[n].type in ("string", None)]
        for name in texts:
            # RFC 9457 problem details: a short title, the particulars in detail.
            short = name == "title" and len(texts) > 1
            body[name] = HTTPStatus(failure.status).phrase if short and failure.status in _PHRASES else failure.message
        # grpc-gateway's status body ({code, message, details}) carries the grpc code, not the HTTP status.
        grpc = "details" in props and "code" in props and props["code"].type == "integer"
        for name in _CODE_FIELDS:
            if name in props and props[name].type in ("integer", "number", "string") and not props[name].enum:
                number = failure.code if grpc else failure.status
                body[name] = number if props[name].type != "string" else str(number)
                break
        for name, prop in props.items():
            if prop.type == "array" and name not in schema.required:
                body[name] = []
        media = next((m for m in declared.media if "json" in m), "application/json")
        return Reply(failure.status, body, content_type=media)

    def list_answer(self, engine: Engine, route: Route, objects: list[dict[str, JSON]],
                    query: dict[str, str]) -> JSON:
        """A list answer paged in the spec's own style (tokens, offset/limit or page/per-page)."""
        from ..listing import page_in_style

        return page_in_style(engine, route, objects, query)

    def created(self, engine: Engine, collection: str, obj: dict[str, JSON], parents: tuple[str, ...],
                body: dict[str, JSON], schema: Schema | None) -> None:
        """A new object, before it is stored: the collection's hook where the profile has one, else its
        status (an enum) starts moving through its values."""
        hook = self.on_create.get(collection)
        if hook is not None:
            hook(engine, obj, parents, body)
        else:
            engine.progress(obj, schema, body)

    def seed(self, engine: Engine, name: str) -> None:
        """``demo``: a few generated objects in every top-level collection and one level below."""
        if name == "demo":
            from ..seed import seed_generated

            seed_generated(engine)

    def answer_json(self, body: JSON) -> bytes:
        return json.dumps(body).encode()


def _is_version(segment: str) -> bool:
    return len(segment) > 1 and segment[0] in "vV" and segment[1:].replace(".", "").isdigit()


def _satisfied(kind: str, param: str, headers: dict[str, str], query: dict[str, list[str]], token: str) -> bool:
    given: str | None = None
    if kind == "header":
        given = headers.get(param.lower())
        if given is not None and param.lower() == "authorization" and given[:7].lower() == "bearer ":
            given = given[7:]  # Kubernetes' apiKey "authorization" header holds "Bearer <token>"
    elif kind == "query":
        values = query.get(param)
        given = values[-1] if values else None
    elif kind == "cookie":
        try:
            jar = SimpleCookie(headers.get("cookie", ""))
        except CookieError:
            return False
        given = jar[param].value if param in jar else None
    elif kind == "bearer":
        auth = headers.get("authorization", "")
        given = auth[7:] if auth[:7].lower() == "bearer " else None
    elif kind == "basic":
        auth = headers.get("authorization", "")
        if auth[:6].lower() != "basic ":
            return False
        try:
            given = base64.b64decode(auth[6:], validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())


