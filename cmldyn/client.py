"""Client: one callable per operation of the spec, built at run time on first use.

Owns: host handling, loading the spec through the transport, the callables
(with real ``__name__``, ``__doc__`` and ``__signature__``), ``call()``, ``raw()``
and ``default_client()``. May import: errors, spec, model, request, transport,
results. Must not: print, exit, or import the REPL, the CLI or the simulator.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import replace
import os
import time
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlencode, urlsplit

from ._version import __version__
from .errors import CredentialError, OperationError, ParamError, SpecError, did_you_mean
from .model import OperationInfo, OperationModel, ServiceModel, schema_properties, type_label
from .paginate import iter_items, iter_pages
from .jsonvalue import to_plain
from .request import PreparedRequest, prepare
from .schemas import SchemaClasses
from .results import Result, ResultList, decode_body, error_from_response, wrap
from .cache import CacheEntry, SpecCache
from .spec import Spec, build_spec, decode_json, load_spec, validate
from .transport import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, RetryPolicy, Transport

JSON = Any
SPEC_PATH = "/api/v2/swagger.json"


def normalize_host(host: str) -> str:
    """``ml-x.cloudera.site`` -> ``https://ml-x.cloudera.site``; a trailing ``/api/v1`` or ``/api/v2`` is dropped.

    CML sessions expose ``CDSW_API_URL`` ending in ``/api/v1`` and users paste the
    v2 base; the spec's own paths already start with ``/api/v2``.
    """
    text = str(host).strip().rstrip("/")
    if not text:
        raise ParamError("no host given", hint="pass --host https://<workspace> or set CML_HOST")
    if "://" not in text:
        text = "https://" + text
    for suffix in ("/api/v1", "/api/v2"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParamError(f"invalid host {host!r}; expected https://host[:port]")
    return text


class Client:
    """A client for any Swagger 2.0 / OpenAPI 3.x API, built from its spec at run time.

    Args:
        host: the workspace URL (``https://ml-xxxx.cloudera.site``); scheme defaults to https.
        token: the API key, with or without the ``Bearer `` prefix.
        spec: a spec URL, local file or parsed dict; default ``{host}/api/v2/swagger.json``.
        cache: keep fetched specs (True: the user's cache directory; a path; a SpecCache). Off by
            default for library use; the CLI and the REPL turn it on. Each start then costs one
            conditional request, and a 304 reuses the cached spec.
        offline: use the cached spec without asking the server (needs ``cache``).
        refresh: fetch the spec again even if the cache has it.
        ca_cert: a CA bundle file for TLS verification.
        verify: False turns TLS verification off (with a warning).
        timeout: (connect, read) seconds; a single number sets both.
        retries: attempts for idempotent calls on 429/502/503/504 and connection failures.
        deadline: overall seconds for one call, retries included.

    Every operation is an attribute (``api.list_projects(page_size=2)``) and is also
    reachable by raw operationId or alias with ``api.call("ListProjects", ...)``.
    """

    def __init__(
        self,
        host: str,
        token: str | None = None,
        *,
        spec: str | os.PathLike[str] | dict[str, JSON] | Spec | None = None,
        ca_cert: str | None = None,
        verify: bool = True,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 3,
        deadline: float = DEFAULT_DEADLINE,
        transport: Transport | None = None,
        on_wait: Callable[[str], None] | None = None,
        cache: SpecCache | str | bool | None = None,
        offline: bool = False,
        refresh: bool = False,
    ) -> None:
        started = time.perf_counter()
        self.host = normalize_host(host)
        if isinstance(timeout, (int, float)):
            timeout = (float(timeout), float(timeout))
        self._transport = transport or Transport(
            self.host, token, verify=verify, ca_cert=ca_cert, timeout=timeout, deadline=deadline,
            retry=RetryPolicy(attempts=max(1, retries)), on_wait=on_wait,
        )
        self._callables: dict[str, Callable[..., Any]] = {}
        self.progress: Callable[[str], None] | None = None  # the REPL and CLI show waiting progress here
        self._cache = SpecCache(cache) if isinstance(cache, str) else (SpecCache() if cache is True else (cache or None))
        self._offline = offline
        self._refresh = refresh
        self._pending_cache: tuple[str, str, str | None, str | None, CacheEntry | None] | None = None
        self._cached_table: list[list[Any]] | None = None
        self.spec_state = "loaded"
        self.spec_changes: tuple[list[str], list[str]] | None = None
        self._spec_source = spec if spec is not None else self.host + SPEC_PATH
        loaded = self._load(self._spec_source)
        self._install(loaded)
        self.ready_seconds = time.perf_counter() - started

    # ------------------------------------------------------------------ spec

    def _load(self, source: str | os.PathLike[str] | dict[str, JSON] | Spec) -> Spec:
        if isinstance(source, Spec):
            return source
        if self._cache is not None and isinstance(source, str) and source.startswith(("http://", "https://")):
            return self._load_cached(source)
        if self._offline:
            raise SpecError("--offline needs the spec cache (or a local --spec file)")
        return load_spec(source, fetch=self._fetch_spec)

    def _load_cached(self, url: str) -> Spec:
        """One conditional request; a 304 (or --offline) reuses the cached text."""
        assert self._cache is not None
        entry = self._cache.get(self._transport.origin, url)
        if self._offline:
            if entry is None:
                raise SpecError(f"no cached spec for {url}", hint="run once without --offline to fetch it")
            self.spec_state = "cache (offline)"
            return self._from_entry(entry, url)
        headers = {"accept": "application/json"}
        if entry is not None and not self._refresh:
            headers.update(entry.validators())
        response = self._transport.fetch(url, headers)
        if response.status == 304 and entry is not None:
            self.spec_state = "cache (not modified)"
            return self._from_entry(entry, url)
        if response.status >= 400:
            raise self._spec_fetch_error(response, url)
        doc = _as_doc(decode_json(response.body, what=f"spec at {url}", content_type=response.headers.get("content-type")))
        self.spec_state = "fetched"
        self._pending_cache = (url, response.body.decode("utf-8"), response.headers.get("etag"),
                               response.headers.get("last-modified"), entry)
        return build_spec(doc, url, from_json=True)

    def _from_entry(self, entry: CacheEntry, url: str) -> Spec:
        """A spec from the cache: checked when it was stored (and its checksum verified on read), so
        the pre-scan is skipped, and the operation index is reused when this version of cmldyn made it."""
        doc = _as_doc(decode_json(entry.text.encode("utf-8"), what=f"cached spec {entry.path}"))
        table = entry.table or {}
        usable = table.get("made_by") == _TABLE_MAKER and isinstance(table.get("rows"), list)
        if usable:
            self._cached_table = table["rows"]
        return build_spec(doc, url, checked=usable, warnings=table.get("warnings") if usable else None, from_json=True)

    def _store_cache(self) -> None:
        if self._pending_cache is None or self._cache is None:
            return
        url, text, etag, last_modified, previous = self._pending_cache
        self._pending_cache = None
        names = self.model.names()
        if previous is not None and previous.text != text:
            self.spec_changes = (sorted(set(names) - set(previous.operations)), sorted(set(previous.operations) - set(names)))
        table = {"made_by": _TABLE_MAKER, "rows": self.model.table(), "warnings": list(self.spec.warnings)}
        self._cache.put(self._transport.origin, url, text, etag=etag, last_modified=last_modified, operations=names,
                        table=table)

    def _spec_fetch_error(self, response: Any, url: str) -> SpecError:
        error = error_from_response(response.status, response.reason, response.body, response.headers,
                                    operation=None, secrets=self._transport.secrets)
        failure = SpecError(f"cannot fetch the spec from {url}: {error.message}",
                            hint="check --host, or give the spec with --spec FILE")
        failure.__cause__ = error
        return failure

    def _fetch_spec(self, url: str) -> tuple[bytes, str | None]:
        """GET the spec with the client's TLS settings and timeouts (the key only on the client's origin)."""
        response = self._transport.fetch(url, {"accept": "application/json"})
        if response.status >= 400:
            raise self._spec_fetch_error(response, url)
        return response.body, response.headers.get("content-type")

    def _install(self, spec: Spec) -> None:
        self.spec = spec
        table, self._cached_table = self._cached_table, None
        self.model = ServiceModel(spec, reserved=_RESERVED, table=table)
        self._callables = {}
        self._models: SchemaClasses | None = None
        self.base_url = self.host + spec.base_path
        self._store_cache()

    def refresh(self) -> tuple[list[str], list[str]]:
        """Fetch the spec again (unconditionally); return the operation names (added, removed)."""
        before = set(self.model.names())
        source = self._spec_source
        saved, self._refresh = self._refresh, True
        try:
            self._install(self._load(source))  # a Spec handed in is used as it is: nothing to fetch
        finally:
            self._refresh = saved
        after = set(self.model.names())
        return sorted(after - before), sorted(before - after)

    @property
    def spec_warnings(self) -> list[str]:
        """What loading noticed (ignored hosts, renamed collisions, cache problems) plus the validator's findings."""
        cached = getattr(self, "_validator_findings", None)
        if cached is None:
            cached = validate(self.spec.raw) if self.spec.raw is not None else []
            self._validator_findings = cached
        cache_notes = self._cache.warnings if self._cache is not None else []
        return list(self.model.warnings) + list(cache_notes) + list(cached)

    @property
    def cache_path(self) -> str | None:
        """Where this client's spec is cached (None without a cache or for a local spec)."""
        source = self._spec_source
        if self._cache is None or not isinstance(source, str) or not source.startswith(("http://", "https://")):
            return None
        return self._cache.path_for(self._transport.origin, source)

    # ------------------------------------------------------------------ operations

    @property
    def models(self) -> SchemaClasses:
        """A class per named schema: ``api.models.CreateProjectRequest(name="x")``."""
        made = self.__dict__.get("_models")
        if made is None:
            made = SchemaClasses(self.model.schema_names(), self.model.schema)
            self._models = made
        return made

    @property
    def operations(self) -> list[OperationInfo]:
        """Every operation: name, method, path, summary, operationId."""
        return self.model.infos()

    def operation(self, name: str) -> OperationModel:
        return self.model.get(name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        model = self.__dict__.get("model")
        if model is None:
            raise AttributeError(name)
        op = model.find(name)
        if op is None:
            raise OperationError(f"no operation {name!r} in the spec{did_you_mean(name, model.names())}")
        return self._callable(op)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.model.names()))

    def call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """Call an operation by Python name, raw operationId or alias (``api.call("class")``)."""
        return self._callable(self.model.get(operation))(*args, **kwargs)

    def prepare(self, operation: str, *args: Any, **kwargs: Any) -> PreparedRequest:
        """Check arguments and build the request without sending it (``--dry-run``)."""
        request: PreparedRequest = prepare(self.model.get(operation), args, kwargs)
        return request

    def url_for(self, request: PreparedRequest) -> str:
        """The full URL a prepared request goes to."""
        return self.base_url + request.path + ("?" + urlencode(request.query) if request.query else "")

    def _callable(self, op: OperationModel) -> Callable[..., Any]:
        fn = self._callables.get(op.name)
        if fn is None:
            fn = _build_callable(self, op)
            self._callables[op.name] = fn
        return fn

    def _invoke(self, op: OperationModel, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request = prepare(op, args, kwargs)
        return self.send(request, op)

    def send(self, request: PreparedRequest, op: OperationModel | None = None) -> Any:
        """Send a prepared request and decode the answer (bytes for binary operations)."""
        origin = (request.method, request.path)
        response = self._transport.send(_rebase(request, self.base_url, self._transport.base_url))
        if response.status >= 400:
            raise error_from_response(response.status, response.reason, response.body, response.headers,
                                      operation=request.operation, secrets=self._transport.secrets, context=response.note)
        if request.binary_response:
            return response.body
        data = decode_body(response.body, response.content_type, what=f"response of {request.operation or request.path}")
        # The response schema is resolved only if a missing field is asked for (a call whose
        # result goes straight to JSON or JMESPath never pays for it).
        schema = (lambda: op.response_schema) if op is not None else None
        result = _wrap_response(data, schema, response.status, response.headers)
        if isinstance(result, Result):
            object.__setattr__(result, "_origin", origin)
        return result

    # ------------------------------------------------------------------ waiting

    def wait(self, target: Any, *args: Any, until: str = "success", delay: float = 2.0, timeout: float = 600.0,
             max_attempts: int | None = None, progress: Callable[[str], None] | None = None,
             sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> Any:
        """Wait until a resource reaches a final status; return its last state.

        ``target`` is a result this client returned (a run, build, deployment,
        application or project: it is fetched again by its own URL), or a get
        operation with its arguments (``api.wait(api.get_job_run, pid, jid, rid)``).
        ``until="success"`` raises WaiterError when the resource fails or stops;
        ``until="done"`` returns on any final status. Ctrl-C stops the wait.
        """
        from .waiter import wait_until

        op, poll, first = self._poller(target, args, kwargs)
        rule = self._status_rule(op)
        return wait_until(poll, rule, until=until, delay=delay, timeout=timeout, max_attempts=max_attempts,
                          progress=progress if progress is not None else self.progress, sleep=sleep, first=first)

    def waiter_for(self, op: OperationModel) -> OperationModel | None:
        """The get operation that re-reads what ``op`` returns, where it has a status to wait on."""
        path, creates = _item_path(op.method.upper(), op.path)
        for candidate in self.model.operations.values():
            if candidate.method != "get":
                continue
            same = candidate.path == path if not creates else (
                candidate.path.startswith(path + "/{") and candidate.path.count("/") == path.count("/") + 1)
            if same and self._has_status(candidate):
                return candidate
        return None

    def _has_status(self, op: OperationModel) -> bool:
        try:
            self._status_rule(op)
        except ParamError:
            return False
        return True

    def _poller(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[OperationModel, Callable[[], Any], Any]:
        operation = getattr(target, "operation", None)
        if callable(target) and isinstance(operation, OperationModel):
            return operation, lambda: target(*args, **kwargs), None
        origin = getattr(target, "_origin", None) if isinstance(target, Result) else None
        if origin is None:
            raise ParamError("wait() takes a result this client returned, or a get operation and its arguments")
        path, creates = _item_path(*origin)
        if creates:  # POST to a collection made a new item: fetch it by its id
            ident = target.get("id")
            if not ident:
                raise ParamError("cannot tell how to fetch this result again (no id); pass a get operation instead")
            path = f"{path}/{quote(str(ident), safe='')}"
        found = self.model.match("get", path)
        if found is None:
            raise ParamError(f"no get operation fetches {path}; pass one: api.wait(api.get_..., ...)")
        getter, values = found
        fetch = self._callable(getter)
        return getter, lambda: fetch(**{p.name: values[p.wire] for p in getter.path_params}), target

    def _status_rule(self, op: OperationModel) -> Any:
        from .waiter import StatusRule, rule_from_enum

        props = schema_properties(op.response_schema, self.spec)
        for name in ("status", "creation_status", "state"):
            if name in props:
                prop = props[name] if isinstance(props[name], dict) else {}
                enum = prop.get("enum")
                return rule_from_enum(name, enum) if isinstance(enum, list) else StatusRule(name, {})
        raise ParamError(f"{op.name} returns no status field to wait on")

    def raw(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: JSON = None,
            data: bytes | None = None, headers: dict[str, str] | None = None, binary: bool = False) -> Any:
        """Call an endpoint outside the spec (CML's API v1, say) with the same key, TLS and errors.

        ``path`` is relative to the host (``/api/v1/projects``).
        """
        if not path.startswith("/"):
            raise ParamError(f"raw() takes a path starting with '/', got {path!r}")
        query = [(k, str(v)) for k, v in (params or {}).items() if v is not None]
        request = PreparedRequest(method.upper(), path, query=query, headers=dict(headers or {}),
                                  json_body=to_plain(json, drop_none=True), has_json_body=json is not None, data=data,
                                  operation=f"{method.upper()} {path}", binary_response=binary)
        response = self._transport.send(request)
        if response.status >= 400:
            raise error_from_response(response.status, response.reason, response.body, response.headers,
                                      operation=request.operation, secrets=self._transport.secrets)
        if binary:
            return response.body
        return _wrap_response(decode_body(response.body, response.content_type), None, response.status, response.headers)

    def on_wait(self, announce: Callable[[str], None] | None) -> None:
        """Be told (one line) before each retry wait: the REPL prints it, a script may log it."""
        self._transport.on_wait = announce

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<cmldyn.Client {self.host} {self.spec.title!r} {self.spec.api_version} ({len(self.model.operations)} operations)>"


_RESERVED = frozenset(name for name in dir(Client) if not name.startswith("__")) | {
    "spec", "model", "host", "base_url", "ready_seconds", "progress", "spec_state", "spec_changes",
}
# A cached operation index is reused only by the cmldyn version (and reserved names) that made it.
_TABLE_MAKER = f"{__version__}:{hashlib.sha256(' '.join(sorted(_RESERVED)).encode()).hexdigest()[:12]}"


def _as_doc(value: JSON) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise SpecError("spec is not a JSON object")
    return value


def _item_path(method: str, path: str) -> tuple[str, bool]:
    """Where the resource behind a call lives: (path, whether the call created it in that collection).

    ``POST .../runs/{run_id}:stop`` acts on ``.../runs/{run_id}``; ``PATCH /projects/{project.id}``
    on the project; ``POST .../runs`` creates a run inside ``.../runs``.
    """
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        return path.rsplit(":", 1)[0], False
    return path, method.upper() == "POST"


def _rebase(request: PreparedRequest, base_url: str, transport_base: str) -> PreparedRequest:
    """The transport knows the host; the spec's base path goes in front of the operation's path.

    A copy: the caller's request keeps its own path, so sending it twice sends it to the same URL.
    """
    prefix = base_url[len(transport_base):]
    return replace(request, path=prefix + request.path) if prefix else request


def _wrap_response(data: JSON, schema: JSON, status: int, headers: dict[str, str]) -> Any:
    wrapped = wrap(data, schema)
    if isinstance(wrapped, list):
        wrapped = ResultList(wrapped)
    if hasattr(wrapped, "_status") and not isinstance(wrapped, (str, int, float, bool)):
        try:
            object.__setattr__(wrapped, "_status", status)
            object.__setattr__(wrapped, "_headers", headers)
        except AttributeError:
            pass
    return wrapped


def _build_callable(client: Client, op: OperationModel) -> Callable[..., Any]:
    def operation(*args: Any, **kwargs: Any) -> Any:
        return client._invoke(op, args, kwargs)

    operation.__name__ = op.name
    operation.__qualname__ = f"Client.{op.name}"
    operation.__doc__ = op.doc()
    operation.__signature__ = _signature(op)  # type: ignore[attr-defined]
    operation.operation = op  # type: ignore[attr-defined]
    operation.operation_id = op.operation_id  # type: ignore[attr-defined]
    if op.page_list_field:
        field = op.page_list_field

        def pages(*args: Any, **kwargs: Any) -> Iterator[Any]:
            """Each page, following next_page_token (page_size, search_filter and sort repeated)."""
            return iter_pages(operation, args, kwargs)

        def items(*args: Any, max_items: int | None = None, **kwargs: Any) -> Iterator[Any]:
            return iter_items(operation, field, args, kwargs, max_items=max_items)

        items.__doc__ = f"Every item of {field!r} across pages, fetched as you iterate."

        operation.pages = pages  # type: ignore[attr-defined]
        operation.items = items  # type: ignore[attr-defined]
    return operation


def _signature(op: OperationModel) -> inspect.Signature:
    params = []
    for p in op.positional:
        params.append(inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=type_label(p.schema) if p.location != "body" else type_label(p.schema)))
    for p in op.params:
        if p in op.positional:
            continue
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=p.type_label))
    if op.body_param is not None:
        params.append(inspect.Parameter("body_fields", inspect.Parameter.VAR_KEYWORD))
    code, schema, _ = op.success
    ret = "bytes" if op.binary_response else (type_label(schema) if schema is not None else "None")
    return inspect.Signature(params, return_annotation=ret)


def default_client(url: str | None = None, cml_api_key: str | None = None, **options: Any) -> Client:
    """The client for the current CML session, as ``cmlapi.default_client()`` gives it.

    With no arguments inside a CML session it reads ``CDSW_API_URL`` (its ``/api/v1``
    suffix dropped) or ``https://$CDSW_DOMAIN``, and ``CDSW_APIV2_KEY``.

    Raises:
        ValueError: outside a session with no ``url`` (as cmlapi does).
    """
    if url is None:
        if os.environ.get("CDSW_API_URL"):
            url = os.environ["CDSW_API_URL"]
        elif os.environ.get("CDSW_DOMAIN"):
            url = "https://" + os.environ["CDSW_DOMAIN"]
        else:
            raise ValueError("default_client() needs url= outside a CML session (no CDSW_API_URL or CDSW_DOMAIN set)")
    if cml_api_key is None:
        cml_api_key = os.environ.get("CDSW_APIV2_KEY")
    if not cml_api_key:
        raise CredentialError("no API key: pass cml_api_key= or set CDSW_APIV2_KEY")
    return Client(url, cml_api_key, **options)


def from_spec(spec: dict[str, JSON], host: str, token: str | None = None, **options: Any) -> Client:
    """A client for a spec you already hold as a dict."""
    return Client(host, token, spec=build_spec(spec), **options)

