"""Client: one callable per operation of the spec, built at run time on first use.

Owns: host handling, loading the spec through the transport, the callables
(with real ``__name__``, ``__doc__`` and ``__signature__``), ``call()``, ``raw()``
and ``default_client()``. May import: errors, spec, model, request, transport,
results. Must not: print, exit, or import the REPL, the CLI or the simulator.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote, urlencode

from .cache import SpecCache
from .callables import build_callable
from .classes import SchemaClasses
from .contract import ContractReport, unapplied
from .errors import ContractError, CredentialError, OperationError, ParamError, did_you_mean
from .extras import Pool, RawAnswer, split_extras, with_http_info, with_timeout
from .jsonvalue import JSON, to_plain
from .loader import LoadedSpec, SpecLoader, SpecSource, default_spec_url, open_cache
from .model import OperationInfo, OperationModel, item_path, resource_path
from .request import PreparedRequest, prepare
from .results import Result, decode_answer, decode_body, error_from_response, wrap_answer
from .settings import Settings, normalize_host
from .settings import resolve as resolve_settings
from .spec import build_spec, validate
from .transport import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Auth, Transport

if TYPE_CHECKING:
    from .export import HarRecorder

__all__ = ["Client", "RESERVED", "connect", "default_client", "from_spec", "spec_loader"]


class Client:
    """A client for any Swagger 2.0 / OpenAPI 3.x API, built from its spec at run time.

    Args:
        host: the workspace URL (``https://ml-xxxx.cloudera.site``); scheme defaults to https.
        token: the API key, with or without the ``Bearer `` prefix; it goes as the spec's security
            schemes say (a header, the query or a cookie, or bearer), and as bearer where the spec
            declares no usable scheme (CML).
        user, password: for an API whose spec declares HTTP basic.
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
        host: str | None = None,
        token: str | None = None,
        *,
        spec: SpecSource | None = None,
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
        loader: SpecLoader | None = None,
        loaded: LoadedSpec | None = None,
        user: str | None = None,
        password: str | None = None,
        check: bool = True,
        strict: bool = False,
        verify_writes: bool = False,
    ) -> None:
        started = time.perf_counter()
        if transport is None:
            settings = Settings(host=host, token=token, user=user, password=password, ca_cert=ca_cert,
                                insecure=not verify, timeout=timeout, deadline=deadline, retries=retries)
            transport = Transport.from_settings(settings, on_wait=on_wait)
        self.host = normalize_host(host) if host else transport.base_url
        self._transport = transport
        self._callables: dict[str, Callable[..., Any]] = {}
        self.progress: Callable[[str], None] | None = None  # the REPL and CLI show waiting progress here
        #: Every answer checked against the spec (see contract.py); ``strict`` makes a finding fail the call.
        self.contract = ContractReport(enabled=check, strict=strict, secrets=transport.secrets)
        #: Read every write back (where the spec has a get for the object) and record the fields not applied.
        self.verify_writes = verify_writes
        self._pool = Pool()  # for cmlapi's async_req=True
        self.last_status: int | None = None  # of the most recent answer (cmlapi's _with_http_info reads it)
        self.last_headers: dict[str, str] = {}
        self._last_sent: tuple[PreparedRequest, OperationModel | None] | None = None  # for last_curl()
        if loader is None:
            loader = SpecLoader(transport, cache=open_cache(cache), offline=offline, refresh=refresh, reserved=RESERVED)
        self.loader = loader
        if loaded is None:  # the one place a constructor does I/O: the convenient path, Client(host, key)
            loaded = loader.load(spec if spec is not None else default_spec_url(self.host))
        self._install(loaded)
        self.ready_seconds = time.perf_counter() - started

    # ------------------------------------------------------------------ spec

    def _install(self, loaded: LoadedSpec) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self.model = loaded.model
        self._callables = {}
        #: A class per named schema: ``api.models.CreateProjectRequest(name="x")``, each made on first use.
        #: An attribute, not a property, so that IPython's completer (which evaluates no property) sees it.
        self.models = SchemaClasses(self.model.schema_names(), self.model.schema)
        base = self.spec.base_path
        # A host given with the API's own base path (https://h/v1 for a spec whose basePath is /v1) is not doubled.
        self.base_url = self.host if base and self.host.rstrip("/").endswith(base.rstrip("/")) else self.host + base

    @property
    def spec_state(self) -> str:
        """How the spec was obtained: fetched, cache (not modified), cache (offline), file or given."""
        return self.loaded.state

    @property
    def spec_changes(self) -> tuple[list[str], list[str]] | None:
        """(added, removed) operation names when a fetched spec replaced the cached copy."""
        return self.loaded.changes

    @property
    def transport(self) -> Transport:
        """The transport this client sends with (its retry policy and ``on_wait`` may be changed)."""
        return self._transport

    @property
    def spec_source(self) -> SpecSource:
        """Where the spec came from (a URL, a file, a dict or a Spec)."""
        return self.loaded.source

    def refresh(self, *, conditional: bool = False) -> tuple[list[str], list[str]]:
        """Fetch the spec again (``conditional``: only if its ETag changed); return the names (added, removed)."""
        before = set(self.model.names())
        self._install(self.loader.load(self.loaded.source, refresh=not conditional))  # a Spec is used as it is
        after = set(self.model.names())
        return sorted(after - before), sorted(before - after)

    @property
    def spec_warnings(self) -> list[str]:
        """What loading noticed (ignored hosts, renamed collisions, cache problems) plus the validator's findings."""
        cached = getattr(self, "_validator_findings", None)
        if cached is None:
            cached = validate(self.spec.raw) if self.spec.raw is not None else []
            self._validator_findings = cached
        return list(self.model.warnings) + list(self.loaded.notes) + list(cached)

    @property
    def cache_path(self) -> str | None:
        """Where this client's spec is cached (None without a cache or for a local spec)."""
        return self.loaded.cache_path

    # ------------------------------------------------------------------ operations

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
        if op is None and name.endswith("_with_http_info") and model.find(name[:-15]) is not None:
            return with_http_info(self.call, model.get(name[:-15]))
        if op is None:
            raise OperationError(f"no operation {name!r} in the spec{did_you_mean(name, model.names())}")
        return self._callable(op)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.model.names()))

    def call(self, operation: str | OperationModel, /, *args: Any, **kwargs: Any) -> Any:
        """Call an operation by Python name, raw operationId, alias (``api.call("class")``) or model."""
        op = operation if isinstance(operation, OperationModel) else self.model.get(operation)
        extras = split_extras(kwargs) if kwargs else {}
        if not extras:
            return self.send(prepare(op, args, kwargs), op)
        if extras.pop("async_req", False):  # on the shared pool; the arguments are checked there too
            return self._pool.submit(lambda: self.call(op, *args, **kwargs, **extras))
        request = with_timeout(prepare(op, args, kwargs), extras.get("_request_timeout"))
        if extras.get("_preload_content") is False:
            return self.send(request, op, answer="raw")
        return self.send(request, op, answer="data" if extras.get("_return_http_data_only", True) else "info")

    def prepare(self, operation: str, /, *args: Any, **kwargs: Any) -> PreparedRequest:
        """Check arguments and build the request without sending it (``--dry-run``)."""
        request: PreparedRequest = prepare(self.model.get(operation), args, kwargs)
        return request

    def curl(self, operation: str, /, *args: Any, reveal: bool = False, **kwargs: Any) -> str:
        """The call as a curl command that sends exactly the same request; nothing is sent. The key is
        written as ``"$CML_API_KEY"`` (a scheme's own key as ``$CMLDYN_KEY_<SCHEME>``, a basic password as
        ``$CMLDYN_PASSWORD``) unless ``reveal``."""
        op = self.model.get(operation)
        return self._curl(prepare(op, args, kwargs), op, reveal)

    def last_curl(self, *, reveal: bool = False) -> str | None:
        """The most recent request this client sent, as a curl command (None before the first)."""
        last = self._last_sent
        return self._curl(last[0], last[1], reveal) if last is not None else None

    def _curl(self, request: PreparedRequest, op: OperationModel | None, reveal: bool) -> str:
        from .export import curl_command

        auth = self.auth_for(op) if op is not None else self.default_auth()
        transport = self._transport
        wire = transport.wire(_rebase(request, self.base_url, transport.base_url), auth=auth, reveal_keys=reveal)
        return curl_command(wire, insecure=not transport.verify, ca_cert=transport.ca_cert if transport.verify else None)

    def record_har(self) -> HarRecorder:
        """Record every request and answer from now on (credentials and secret-named fields redacted);
        ``recorder.save("calls.har")`` writes HAR 1.2 (0600), ``recorder.stop()`` ends the recording."""
        from .export import HarRecorder

        return HarRecorder().attach(self._transport)

    def url_for(self, request: PreparedRequest) -> str:
        """The full URL a prepared request goes to."""
        return self.base_url + request.path + ("?" + urlencode(request.query) if request.query else "")

    def _callable(self, op: OperationModel) -> Callable[..., Any]:
        fn = self._callables.get(op.name)
        if fn is None:
            fn = build_callable(self.call, op)
            self._callables[op.name] = fn
        return fn

    def send(self, request: PreparedRequest, op: OperationModel | None = None, *, answer: str = "data") -> Any:
        """Send a prepared request and decode the answer (bytes for binary operations).

        ``answer``: ``data`` (the decoded answer), ``info`` (data, status, headers), ``raw`` (a RawAnswer).
        """
        if answer == "info":
            data = self.send(request, op)
            headers = getattr(data, "_headers", None) or self.last_headers
            return data, getattr(data, "_status", None) or self.last_status, dict(headers)
        origin = (request.method, request.path)
        self._last_sent = (request, op)
        auth = self.auth_for(op) if op is not None else self.default_auth()
        response = self._transport.send(_rebase(request, self.base_url, self._transport.base_url), auth=auth)
        contract = self.contract
        if response.status >= 400:
            if op is not None and contract.enabled:
                contract.observe(op, response.status, response.headers.get("content-type"), raw=response.body)
                self._strict(None)
            raise error_from_response(response.status, response.reason, response.body, response.headers,
                                      operation=request.operation, secrets=self._transport.secrets, context=response.note)
        self.last_status, self.last_headers = response.status, response.headers
        if answer == "raw":
            return RawAnswer(response.status, response.reason, response.body, dict(response.headers))
        if request.binary_response:
            if op is not None and contract.enabled:
                contract.observe(op, response.status, response.headers.get("content-type"))
                self._strict(response.body)
            return response.body
        declared = op.response(str(response.status)) if op is not None else None
        if declared is None and op is not None:
            declared = op.success[1:]
        schema, media = declared if declared is not None else (None, [])
        data = decode_answer(response.body, response.headers.get("content-type"), media,
                             what=f"response of {request.operation or request.path}")
        if op is not None and contract.enabled:
            contract.observe(op, response.status, response.headers.get("content-type"), data)
            if self.verify_writes and request.method in ("POST", "PUT", "PATCH") and isinstance(request.json_body, dict):
                self._read_back(request, op, response.status, data)
        if isinstance(data, (str, bytes)):
            return self._strict(data)  # text/* as str, any other media type as bytes
        result = wrap_answer(data, schema, response.status, response.headers)
        if isinstance(result, Result):
            object.__setattr__(result, "_origin", origin)
        return self._strict(result)

    def _read_back(self, request: PreparedRequest, op: OperationModel, status: int, answer: JSON) -> None:
        """Read a written object back with the spec's get for it and record what was not applied."""
        path, created = item_path(request.method, request.path)
        key = next((k for k in ("id", "name") if isinstance(answer, dict) and isinstance(answer.get(k), (str, int))), None)
        target = self.model.match("GET", path)
        if (created or target is None) and key is not None and isinstance(answer, dict):
            path = f"{path.rstrip('/')}/{quote(str(answer[key]), safe='')}"
            target = self.model.match("GET", path)
        if target is None:
            return
        got = self.send(PreparedRequest("GET", path, operation=target[0].name), target[0])
        plain = got.to_dict() if hasattr(got, "to_dict") else got
        self.contract.record(unapplied(op.name, status, request.json_body, plain))

    def _strict(self, result: Any) -> Any:
        """With strict checking, an answer that differs from the spec fails the call (the answer rides along)."""
        if self.contract.strict:
            errors = [d for d in self.contract.last if d.severity == "error"]
            if errors:
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                raise ContractError(f"the answer differs from the spec: {errors[0]}{more}", findings=errors, result=result,
                                    hint="see them all with 'cmldyn spec drift'; --no-check turns checking off")
        return result

    @property
    def needs_key(self) -> bool:
        """True where no credential was given and the spec expects one it does not say how to send
        (CML's served spec declares a scheme that no client can use, and applies it nowhere)."""
        model = self.model
        transport = self._transport
        return not (transport.token or transport.user or transport.scheme_keys) and model.declares_security \
            and not model.schemes

    def auth_for(self, op: OperationModel) -> Auth:
        """How ``op``'s request is authenticated: the schemes of the first alternative its ``security``
        accepts that the given credentials satisfy; nothing where it needs nothing; the key as bearer
        where the spec declares no usable scheme (CML's served spec names one no client can use).

        Raises:
            CredentialError: the operation needs a credential that was not given (before any I/O).
        """
        return self._auth(op.security, op.name)

    def default_auth(self) -> Auth:
        """How a request outside the spec (:meth:`raw`) is authenticated: as the spec's own top-level
        ``security`` says, else with the first scheme the given credentials satisfy; never an error."""
        return self._auth(self.model.default_security, None)

    def _auth(self, alternatives: list[list[str]] | None, name: str | None) -> Auth:
        model = self.model
        transport = self._transport
        have_user = bool(transport.user)
        if not model.schemes:
            return bool(transport.token)
        if alternatives is None:  # schemes declared, none required: send the key the way the spec names first
            first = next((s for s in model.schemes.values() if not s.needs_user and transport.key_for(s.name)), None)
            return [first] if first is not None else False
        for names in alternatives:
            chosen = [model.schemes.get(n) for n in names]
            if all(s is not None and (have_user if s.needs_user else bool(transport.key_for(s.name))) for s in chosen):
                return [s for s in chosen if s is not None]
        if name is None:
            return False
        wanted = next((model.schemes[n] for names in alternatives for n in names if n in model.schemes), None)
        if wanted is None:
            raise CredentialError(f"{name} needs a security scheme cmldyn cannot use "
                                  f"({', '.join(n for names in alternatives for n in names)})")
        raise CredentialError(f"{name} needs {wanted.describe()} (security scheme {wanted.name!r})",
                              hint=f"pass {wanted.flag()}")

    def auth_preview(self, op: OperationModel) -> dict[str, str]:
        """What :meth:`auth_for` attaches, values shown as ``***`` (for ``--dry-run``)."""
        auth = self.auth_for(op)
        if auth is True:
            return {"authorization": "Bearer ***"}
        if not auth:
            return {}
        shown: dict[str, str] = {}
        for scheme in auth:
            if scheme.kind in ("bearer", "basic"):
                shown["authorization"] = f"{scheme.kind.title()} ***"
            else:
                shown[f"{scheme.kind} {scheme.param}"] = "***"
        return shown

    # ------------------------------------------------------------------ waiting

    def wait(self, target: Any, /, *args: Any, until: str = "success", delay: float = 2.0, timeout: float = 600.0,
             max_attempts: int | None = None, progress: Callable[[str], None] | None = None,
             sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> Any:
        """Wait until a resource reaches a final status; return its last state.

        ``target`` is a result this client returned (a run, build, deployment,
        application or project: it is fetched again by its own URL), or a get
        operation with its arguments (``api.wait(api.get_job_run, pid, jid, rid)``).
        ``until="success"`` raises WaiterError when the resource fails or stops;
        ``until="done"`` returns on any final status. Ctrl-C stops the wait.
        """
        from .display import notebook_progress
        from .waiter import wait_until

        op, poll, first = self._poller(target, args, kwargs)
        rule = self._status_rule(op)
        shown = progress if progress is not None else (self.progress or notebook_progress())  # a line in Jupyter
        noun = op.name.removeprefix("get_").replace("_", " ")  # get_job_run waits on a "job run"
        return wait_until(poll, rule, until=until, delay=delay, timeout=timeout, max_attempts=max_attempts,
                          progress=shown, sleep=sleep, first=first, noun=noun)

    def waiter_for(self, op: OperationModel) -> OperationModel | None:
        """The get operation that re-reads what ``op`` returns, where it has a status to wait on."""
        path, creates = item_path(op.method.upper(), op.path)
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

    def _poller(self, target: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> tuple[OperationModel, Callable[[], Any], Any]:
        operation = getattr(target, "operation", None)
        if callable(target) and isinstance(operation, OperationModel):
            return operation, lambda: target(*args, **kwargs), None
        origin = getattr(target, "_origin", None) if isinstance(target, Result) else None
        if origin is None:
            raise ParamError("wait() takes a result this client returned, or a get operation and its arguments")
        path = resource_path(origin[0], origin[1], target)  # a POST to a collection made a new item: by its id
        if path is None:
            raise ParamError("cannot tell how to fetch this result again (no id); pass a get operation instead")
        found = self.model.match("get", path)
        if found is None:
            raise ParamError(f"no get operation fetches {path}; pass one: api.wait(api.get_..., ...)")
        getter, values = found
        fetch = self._callable(getter)
        return getter, lambda: fetch(**{p.name: values[p.wire] for p in getter.path_params}), target

    def _status_rule(self, op: OperationModel) -> Any:
        from .waiter import StatusRule, rule_from_enum

        schema = op.response_schema
        props = schema.properties if schema is not None else {}
        for name in ("status", "creation_status", "state"):
            if name in props:
                enum = props[name].enum
                return rule_from_enum(name, enum) if enum else StatusRule(name, {})
        raise ParamError(f"{op.name} returns no status field to wait on")

    def project_env(self, project: Any, **options: Any) -> Any:
        """A project's environment variables (by project, id or exact name), changed safely: see
        cmldyn.workflows.ProjectEnvironment (``set``, ``unset``, ``merge``, ``restart_apps``)."""
        from .workflows.environment import ProjectEnvironment

        return ProjectEnvironment(self, project, **options)

    def raw(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: JSON = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        binary: bool = False,
    ) -> Any:
        """Call an endpoint outside the spec (CML's API v1, say) with the same key, TLS and errors.

        ``path`` is relative to the host (``/api/v1/projects``).
        """
        if not path.startswith("/"):
            raise ParamError(f"raw() takes a path starting with '/', got {path!r}")
        query = [(k, str(v)) for k, v in (params or {}).items() if v is not None]
        request = PreparedRequest(
            method.upper(),
            path,
            query=query,
            headers=dict(headers or {}),
            json_body=to_plain(json, drop_none=True),
            has_json_body=json is not None,
            data=data,
            operation=f"{method.upper()} {path}",
            binary_response=binary,
        )
        response = self._transport.send(request, auth=self.default_auth())
        if response.status >= 400:
            raise error_from_response(
                response.status,
                response.reason,
                response.body,
                response.headers,
                operation=request.operation,
                secrets=self._transport.secrets,
            )
        if binary:
            return response.body
        return wrap_answer(decode_body(response.body, response.content_type), None, response.status, response.headers)

    def on_wait(self, announce: Callable[[str], None] | None) -> None:
        """Be told (one line) before each retry wait: the REPL prints it, a script may log it."""
        self._transport.on_wait = announce

    def close(self) -> None:
        self._pool.close()
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<cmldyn.Client {self.host} {self.spec.title!r} {self.spec.api_version} ({len(self.model.operations)} operations)>"
        )


RESERVED = frozenset(name for name in dir(Client) if not name.startswith("__")) | {
    "spec", "model", "models", "contract", "verify_writes", "last_status", "last_headers", "host", "base_url",
    "ready_seconds", "progress", "loader", "loaded",
}
"""Names an operation cannot take as an attribute (it gets a trailing ``_`` instead)."""


def _rebase(request: PreparedRequest, base_url: str, transport_base: str) -> PreparedRequest:
    """The transport knows the host; the spec's base path goes in front of the operation's path.

    A copy: the caller's request keeps its own path, so sending it twice sends it to the same URL.
    """
    prefix = base_url[len(transport_base) :]
    return replace(request, path=prefix + request.path) if prefix else request


def connect(
    settings: Settings, *, cache: SpecCache | str | bool | None = None, on_wait: Callable[[str], None] | None = None
) -> Client:
    """The client for resolved settings: transport, then loader, then the loaded spec, then Client.

    This is the route every entry point takes (the CLI, the REPL, ``default_client()``,
    the cmlapi layer): the spec is ``settings.spec`` or the workspace's own
    ``/api/v2/swagger.json``, fetched with the same key, TLS settings and time limits as calls.
    """
    transport = Transport.from_settings(settings, on_wait=on_wait)
    loader = spec_loader(settings, transport, cache=cache)
    loaded = loader.load(settings.spec or default_spec_url(settings.base_url))
    return Client(transport=transport, loader=loader, loaded=loaded, check=not settings.no_check, strict=settings.strict)


def spec_loader(
    settings: Settings, transport: Transport | None = None, *, cache: SpecCache | str | bool | None = None
) -> SpecLoader:
    """The loader a client of these settings would use (``cmldyn spec diff`` compares through it)."""
    transport = transport or Transport.from_settings(settings)
    return SpecLoader(
        transport,
        cache=open_cache(cache),
        offline=settings.offline and cache not in (None, False),
        refresh=settings.refresh,
        reserved=RESERVED,
    )


def default_client(url: str | None = None, cml_api_key: str | None = None, **options: Any) -> Client:
    """The client for the current CML session, as ``cmlapi.default_client()`` gives it.

    With no arguments inside a CML session it reads ``CDSW_API_URL`` (its ``/api/v1``
    suffix dropped) or ``https://$CDSW_DOMAIN``, and ``CDSW_APIV2_KEY``; elsewhere the
    same chain as the command line (``CML_HOST``, ``CML_API_KEY``, the default profile).
    ``options`` are Client's keyword arguments (``ca_cert``, ``timeout``, ``cache`` ...).

    Raises:
        ValueError: no host anywhere (as cmlapi does outside a session).
        CredentialError: no API key anywhere.
    """
    settings = resolve_settings({"host": url, "token": cml_api_key}, os.environ)
    if not settings.host:
        raise ValueError("default_client() needs url= outside a CML session (no CDSW_API_URL or CDSW_DOMAIN set)")
    if not settings.token:
        raise CredentialError("no API key: pass cml_api_key= or set CDSW_APIV2_KEY")
    cache = options.pop("cache", None)
    if options:
        fields = {"ca_cert", "timeout", "deadline", "retries", "spec", "offline", "refresh"}
        unknown = sorted(set(options) - fields - {"verify"})
        if unknown:
            raise ParamError(f"default_client() got an unknown option {unknown[0]!r}{did_you_mean(unknown[0], fields)}")
        if "verify" in options:
            options["insecure"] = not options.pop("verify")
        settings = replace(settings, **options)
    return connect(settings, cache=cache)


def from_spec(spec: dict[str, JSON], host: str, token: str | None = None, **options: Any) -> Client:
    """A client for a spec you already hold as a dict."""
    return Client(host, token, spec=build_spec(spec), **options)
