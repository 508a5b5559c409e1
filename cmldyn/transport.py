"""The only code that touches the network: a Transport with one ``send()``.

Owns: the requests.Session (requests is imported on the first request), the bearer
key (attached as an auth hook, so that a ~/.netrc entry can never replace it), timeouts
and the overall deadline, the response size cap, retries with jittered backoff,
same-origin redirects only, and translating library exceptions into TransportError
by their types. May import: errors, request, settings.
Must not: know about operations or parse bodies (results.py does).
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union
from urllib.parse import urlencode, urljoin, urlsplit

from ._version import __version__
from .credentials import BearerAuth, SchemeAuth, clean_token
from .errors import ApiError, CredentialError, ResponseError, Secret, TransportError, UsageError, redact, reveal
from .request import PreparedRequest
from .security import Scheme
from .settings import Settings
from .wire import Exchange, Wire, body_kwargs, exchange_from, marked_auth, wire_from

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",

    "ONLY_ORIGIN_ENV",
    "READ_ONLY_METHODS",
    "Response",
    "RetryPolicy",
    "Transport",
]

DEFAULT_TIMEOUT = (5.0, 30.0)
DEFAULT_DEADLINE = 120.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_AFTER_CAP = 60.0
MAX_REDIRECTS = 5
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
#: Set by cmldyn's test fixtures to the simulator's origin(s), comma-separated: a transport for any other
#: origin is refused before it sends anything (a test can never reach a real workspace).
ONLY_ORIGIN_ENV = "CMLDYN_ONLY_ORIGIN"

if TYPE_CHECKING:
    import requests

# How a request is authenticated: True (the key as bearer), False (nothing) or the schemes to apply.
Auth = Union[bool, Sequence[Scheme]]


def _http() -> Any:
    """requests, imported on the first request: a client built from a local or cached spec that sends
    nothing (``ops``, ``describe``, completion) never pays for importing it."""
    import requests

    return requests


def _urllib3() -> Any:
    import urllib3

    return urllib3


@dataclass
class Response:
    """A complete HTTP answer: status, headers (lower-case names), body bytes."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    url: str
    elapsed: float = 0.0
    note: str = ""  # what the retry loop did, for the error message ("gave up after 3 attempts")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class RetryPolicy:
    """When a call is sent again, and how long to wait between attempts.

    The rule (the README and ARCHITECTURE.md say the same): GET, HEAD, OPTIONS, PUT and DELETE are sent
    again after 429, 502, 503, 504, a time-out or a reset connection (not a refused one); a POST or
    PATCH only after 429, which a server sends before it does any work (botocore retries throttling for
    every method too), never after a 5xx or a connection that failed mid-way, which may have done the
    work. At most ``attempts`` in all; waits are full-jitter backoff or the server's ``Retry-After``
    (capped at ``retry_after_cap``), their sum within ``budget`` seconds; every attempt within the
    transport's deadline.
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 8.0
    budget: float = 30.0
    retry_after_cap: float = RETRY_AFTER_CAP
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return float(self.rand() * min(self.cap, self.base * (2 ** attempt)))


@dataclass
class Transport:
    """Sends PreparedRequests to one origin (scheme, host, port) with one pooled session."""

    base_url: str
    token: Secret | str | None = None  # held as a Secret: its repr shows ***
    verify: bool = True
    user: str | None = None
    password: Secret | str | None = None
    scheme_keys: Mapping[str, Secret | str] = field(default_factory=dict)  # scheme name -> its own key
    ca_cert: str | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = MAX_RESPONSE_BYTES
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.monotonic
    on_wait: Callable[[str], None] | None = None
    # Called as (method, path, status) after each answer: the REPL drops live values a write changed.
    after_send: list[Callable[[str, str, int], None]] = field(default_factory=list)
    #: Told of every exchange (credentials already redacted): ``--har`` and the REPL's ``.har`` record them.
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    #: Refuse, before any I/O, every method but GET, HEAD and OPTIONS (``cmldyn check`` crawls read-only).
    read_only: bool = False
    #: A proxy URL for every request (cmlapi's ``Configuration.proxy``); None: the environment's, as before.
    proxy: str | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"invalid host URL {self.base_url!r}; expected https://host[:port]")
        self.origin = _origin(self.base_url)
        _only_allowed(self.origin)
        self._local = threading.local()
        token = clean_token(self.token)
        keys = {name: key for name, key in ((n, clean_token(k)) for n, k in self.scheme_keys.items()) if key}
        password = Secret.of(self.password)
        if any(ch in (reveal(password) or "") for ch in "\r\n\0"):
            raise CredentialError("the password contains a line break or NUL character (not shown)")
        self.token, self.scheme_keys, self.password = token, keys, password
        self._credentials = (token, password, keys)  # the same, typed as held
        self._auth = BearerAuth(token) if token else None
        # Proxies from the environment are looked up once (with the first session), not per call;
        # trust_env is off so netrc and REQUESTS_CA_BUNDLE never override what the user configured.
        self._proxies: dict[str, str] | None = None
        if not self.verify:
            warnings.warn(f"TLS verification is off for {self.origin}: the connection can be intercepted", stacklevel=3)
        self._verify: bool | str = self.ca_cert if (self.verify and self.ca_cert) else self.verify

    @classmethod
    def from_settings(cls, settings: Settings, *, on_wait: Callable[[str], None] | None = None) -> Transport:
        """The transport for resolved settings: their host, key, TLS choice and time limits."""
        options: dict[str, Any] = {}
        if settings.deadline is not None:
            options["deadline"] = float(settings.deadline)
        return cls(settings.base_url, settings.token, verify=not settings.insecure, ca_cert=settings.ca_cert,
                   user=settings.user, password=settings.password, scheme_keys=dict(settings.scheme_keys),
                   proxy=settings.proxy,
                   timeout=settings.timeouts(DEFAULT_TIMEOUT), retry=RetryPolicy(attempts=max(1, settings.retries)),
                   on_wait=on_wait, **options)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """The credentials this transport sends: what its error texts are redacted against."""
        token, password, keys = self._credentials
        return tuple(s for s in (token, password, *keys.values()) if s)

    def key_for(self, scheme: str) -> Secret | str | None:
        """The key a scheme is sent with: its own (from a profile), else the one key."""
        return self.scheme_keys.get(scheme) or self.token

    def _session(self) -> requests.Session:
        # requests does not promise a Session is thread-safe: one per thread.
        session = getattr(self._local, "session", None)
        if session is None:
            library = _http()
            if self._proxies is None:
                self._proxies = ({"http": self.proxy, "https": self.proxy} if self.proxy
                                 else library.utils.get_environ_proxies(self.base_url))
            session = library.Session()
            session.trust_env = False
            session.headers["User-Agent"] = f"cmldyn/{__version__}"
            self._local.session = session
        made: requests.Session = session
        return made

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def url_for(self, request: PreparedRequest) -> str:
        url = self.base_url + request.path
        if request.query:
            url += "?" + urlencode(request.query, doseq=True)
        return url

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """GET an absolute URL (the spec); the key is attached only on this transport's own origin."""
        request = PreparedRequest("GET", url, headers=dict(headers or {}), operation="GET spec")
        return self.send(request, auth=_origin(url) == self.origin, absolute=True)

    def send(self, request: PreparedRequest, *, auth: Auth = True, absolute: bool = False) -> Response:
        """Send with retries, the overall deadline and same-origin redirects.

        ``auth``: True sends the key as bearer (a spec with no usable scheme, as CML's), False or an
        empty list sends nothing, a list of schemes sends the credentials those schemes say.

        Raises:
            TransportError: no usable HTTP answer (refused, timeout, TLS, cut short, too large).
            ApiError: a redirect to another origin (not followed).
            UsageError: a write through a read-only transport (nothing is sent).
        """
        _only_allowed(_origin(request.path) if absolute else self.origin)
        if self.read_only and request.method not in READ_ONLY_METHODS:
            raise UsageError(f"refusing to send {request.method} {request.path}: this transport is read-only "
                             f"(only {', '.join(READ_ONLY_METHODS)} are sent)")
        response = self._send_retrying(request, auth, absolute)
        for listener in self.after_send:
            listener(request.method, request.path, response.status)
        return response

    def _send_retrying(self, request: PreparedRequest, auth: Auth, absolute: bool) -> Response:
        start = self.clock()
        policy = self.retry
        idempotent = request.method in IDEMPOTENT
        attempts = 1 if request.background else policy.attempts  # completion's fetches never wait on retries
        attempt = 0
        waited = 0.0
        while True:
            failure: TransportError | None = None
            response: Response | None = None
            try:
                response = self._send_following(request, start, auth, absolute)
            except TransportError as exc:
                if not (idempotent and exc.retryable) or attempt + 1 >= attempts:
                    if attempt:
                        exc.message = f"{exc.message} (gave up after {attempt + 1} attempts)"
                    raise
                failure = exc
                # A kept-alive connection the server had just closed: reconnect at once, no backoff.
                delay = 0.0 if (attempt == 0 and getattr(exc, "reset", False)) else policy.backoff(attempt)
            else:
                if response.status not in RETRY_STATUSES or not (idempotent or response.status == 429):
                    return response
                if attempt + 1 >= attempts:
                    return _gave_up(response, f"gave up after {attempt + 1} attempts" if attempt else "")
                delay = policy.backoff(attempt)
                asked = _retry_after(response.headers.get("retry-after"))
                if asked is not None:
                    if asked > policy.retry_after_cap * 4:
                        return _gave_up(response, f"server asked to wait {_human(asked)}; giving up")
                    delay = min(asked, policy.retry_after_cap)
            # Another attempt only where it can still finish: within the deadline and the waiting budget.
            why = ""
            if self.clock() - start + delay >= self.deadline:
                why = f"the {_human(self.deadline)} deadline would pass"
            elif waited + delay > policy.budget:
                why = f"the {_human(policy.budget)} retry budget is spent"
            if why:
                note = f"gave up after {attempt + 1} attempt{'s' if attempt else ''}: {why}"
                if response is not None:
                    return _gave_up(response, note)
                assert failure is not None
                failure.message = f"{failure.message} ({note})"
                raise failure
            waited += delay
            if self.on_wait is not None:
                self.on_wait(f"retrying {request.method} {request.path} in {delay:.1f} s "
                             f"(attempt {attempt + 2} of {attempts})")
            policy.sleep(delay)
            attempt += 1

    def _send_following(self, request: PreparedRequest, start: float, auth: Auth, absolute: bool) -> Response:
        url = request.path if absolute else self.url_for(request)
        origin = _origin(url)
        method = request.method
        hops = 0
        while True:
            response = self._send_once(method, url, request, start, auth)
            if response.status not in (301, 302, 303, 307, 308) or "location" not in response.headers:
                return response
            target = urljoin(url, response.headers["location"])
            if _origin(target) != origin:
                raise ApiError(
                    f"refusing redirect to other origin {_origin(target)} (from {origin})",
                    status=response.status,
                    reason=response.reason,
                    operation=request.operation,
                    hint="check the host; cmldyn never sends the key to another origin",
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise TransportError(f"too many redirects (more than {MAX_REDIRECTS}) from {request.path}")
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method = "GET"
            url = target

    def _send_once(self, method: str, url: str, request: PreparedRequest, start: float, auth: Auth) -> Response:
        remaining = self.deadline - (self.clock() - start)
        if remaining <= 0:
            raise TransportError(f"no complete response within the {self.deadline:.0f} s deadline", retryable=False)
        connect, read = request.timeout or self.timeout
        kwargs: dict[str, Any] = dict(
            headers=request.headers or None,
            timeout=(min(connect, remaining), min(read, remaining)),
            allow_redirects=False,
            stream=True,
            verify=self._verify,
            auth=self._hook(auth),
        )
        if method == request.method:
            kwargs.update(body_kwargs(request))
        began, wall = self.clock(), time.time()
        session = self._session()
        kwargs["proxies"] = self._proxies
        try:
            raw = session.request(method, url, **kwargs)
        except _http().exceptions.RequestException as exc:
            raise self._translate(exc, url, kwargs["timeout"]) from None
        try:
            body = self._read_body(raw, start, kwargs["timeout"])
        finally:
            raw.close()
        headers = {k.lower(): v for k, v in raw.headers.items()}
        if self.observers:
            self._tell(raw, body, wall, self.clock() - began)
        return Response(raw.status_code, raw.reason or "", headers, body, url, self.clock() - began)

    def _tell(self, raw: Any, body: bytes, wall: float, elapsed: float) -> None:
        exchange = exchange_from(raw, body, wall, elapsed, self.secrets)
        for observer in list(self.observers):
            observer(exchange)

    def wire(self, request: PreparedRequest, *, auth: Auth = True, reveal_keys: bool = False) -> Wire:
        """The request exactly as :meth:`send` would put it on the wire, sending nothing (``--curl``).
        Credentials are markers naming their variables unless ``reveal_keys``."""
        token, _, keys = self._credentials
        hook = self._hook(auth) if reveal_keys else marked_auth(auth, token=bool(token), user=self.user, schemes=keys)
        prepared = self._session().prepare_request(_http().Request(
            request.method, self.url_for(request), headers=request.headers or None, auth=hook, **body_kwargs(request)))
        return wire_from(prepared, user=self.user, reveal=reveal_keys)

    def _read_body(self, raw: requests.Response, start: float, timeout: tuple[float, float]) -> bytes:
        chunks: list[bytes] = []
        size = 0
        expected = raw.headers.get("content-length")
        source = raw.raw
        # read1 returns what has arrived (a drip cannot hold one read open past the deadline);
        # stream() would block until 64 KB or the end.
        chunks_in = (
            iter(lambda: source.read1(65536, decode_content=True), b"")
            if hasattr(source, "read1")
            else source.stream(65536, decode_content=True)
        )
        try:
            for chunk in chunks_in:
                size += len(chunk)
                if size > self.max_bytes:
                    raise ResponseError(
                        f"response larger than {self.max_bytes // (1024 * 1024)} MB; stopped reading",
                        hint="narrow the request (page_size, search_filter)",
                    )
                chunks.append(chunk)
                if self.clock() - start > self.deadline:
                    raise TransportError(
                        f"no complete response within the {self.deadline:.0f} s deadline (still receiving)", retryable=False
                    )
        except (TransportError, ResponseError):
            raise
        except Exception as exc:  # urllib3 and http.client errors while reading, told apart by type
            raise self._reading_error(exc, size, expected, timeout, _where(raw.url or self.base_url)) from None
        return b"".join(chunks)

    def _hook(self, auth: Auth) -> BearerAuth | SchemeAuth | None:
        if auth is True:
            return self._auth
        if not auth:
            return None
        token, password, keys = self._credentials
        return SchemeAuth(auth, token, self.user, password, keys)

    def _reading_error(self, exc: BaseException, size: int, expected: str | None,
                       timeout: tuple[float, float], where: str) -> TransportError:
        """What went wrong while the body was arriving, from the library exception's type."""
        urllib3 = _urllib3()
        import http.client  # loaded by requests already; not imported up front, so a start that sends nothing skips it

        incomplete = _find(exc, urllib3.exceptions.IncompleteRead, http.client.IncompleteRead)
        if incomplete is not None or _find(exc, urllib3.exceptions.ProtocolError, ConnectionError) is not None:
            partial = getattr(incomplete, "partial", None)
            have = partial if isinstance(partial, int) else (len(partial) if isinstance(partial, bytes) else size)
            if expected:
                return TransportError(f"connection closed mid-response ({have} of {expected} bytes) by {where}")
            return TransportError(f"connection closed mid-response by {where}, after {have} bytes "
                                  "(the length was not announced: a chunked body cut short)")
        if _find(exc, urllib3.exceptions.ReadTimeoutError, socket.timeout) is not None:
            return TransportError(f"no more of the response within {_human(timeout[1])} (read timeout) from {where}")
        if _find(exc, urllib3.exceptions.DecodeError) is not None:
            return TransportError("the response could not be decompressed (a corrupt gzip or deflate body)",
                                  retryable=False)
        return TransportError(f"reading the response failed: {type(exc).__name__}: {redact(str(exc), self.secrets)[:200]}")

    def _translate(self, exc: requests.exceptions.RequestException, url: str,
                   timeout: tuple[float, float]) -> TransportError:
        """A requests exception as a TransportError, told apart by the types in its cause chain."""
        requests, urllib3 = _http(), _urllib3()
        where = _where(url)
        if isinstance(exc, requests.exceptions.SSLError):
            if re.search(r"(?i)wrong[_ ]version[_ ]number|record layer failure|http request|unknown protocol", str(exc)):
                return TransportError(f"the server at {where} answered plain HTTP, not TLS; use http:// instead of https://",
                                      hint=f"--host http://{where}", retryable=False)
            return TransportError(f"TLS verification failed for {where}: {_tls_reason(exc)}",
                                  hint="give the CA bundle with --ca-cert FILE (ca_cert=...)", retryable=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return TransportError(f"cannot connect to {where} (connect timeout after {_human(timeout[0])})")
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return TransportError(f"no response within {_human(timeout[1])} (read timeout) from {where}")
        if isinstance(exc, requests.exceptions.InvalidHeader):
            return TransportError("a header value is invalid (not shown)", retryable=False)
        if isinstance(exc, requests.exceptions.ConnectionError):
            if _find(exc, ConnectionRefusedError) is not None:
                reason = "connection refused"
            elif _find(exc, urllib3.exceptions.NameResolutionError, socket.gaierror) is not None:
                reason = "name not resolved"
            elif _find(exc, ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
                       urllib3.exceptions.ProtocolError) is not None:
                reason = "connection reset"
            else:
                reason = "connection failed"
            # A refused connection is not retried: nothing listens, and waiting rarely changes that.
            error = TransportError(f"cannot connect to {where} ({reason})", hint="check --host and that the server is reachable",
                                   retryable=reason != "connection refused")
            error.reset = reason == "connection reset"  # type: ignore[attr-defined]
            return error
        text = redact(str(exc), self.secrets)
        return TransportError(f"request to {where} failed: {type(exc).__name__}: {text[:200]}")


def _only_allowed(origin: str) -> None:
    """Refuse, before any I/O, an origin other than the ones a test fixture allows (see ONLY_ORIGIN_ENV)."""
    import os

    allowed = os.environ.get(ONLY_ORIGIN_ENV)
    if allowed and origin not in {_origin(o.strip()) for o in allowed.split(",") if o.strip()}:
        raise TransportError(f"refusing {origin}: while a cmldyn test fixture runs, only its simulator "
                             f"({allowed}) can be reached ({ONLY_ORIGIN_ENV})",
                             hint="build the client from cml.url (or call cmlapi.default_client() with no arguments)",
                             retryable=False)


def _where(url: str) -> str:
    """``host:port`` of a URL, for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _gave_up(response: Response, note: str) -> Response:
    """The last answer of a retried call, saying why no further attempt was made."""
    if note:
        response.note = note
        response.reason = f"{response.reason}; {note}"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _human(seconds: float) -> str:
    """How a duration reads in a message: 2 days, 3 hours, 30 s, 0.5 s."""
    if seconds >= 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.2g} s"


def _find(exc: BaseException, *types: type[BaseException]) -> Any:
    """The first exception of one of ``types`` in ``exc``'s chain: itself, what it wraps (urllib3 keeps
    the underlying error in ``reason`` or ``args``), its cause and its context."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue and len(seen) < 32:
        item = queue.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, types):
            return item
        inner = [getattr(item, "reason", None), *getattr(item, "args", ()), item.__cause__, item.__context__]
        queue.extend(e for e in inner if isinstance(e, BaseException))
    return None


def _tls_reason(exc: BaseException) -> str:
    """Why the TLS handshake failed, from the ssl module's own error."""
    import ssl

    verify = _find(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        return str(getattr(verify, "verify_message", "") or "certificate verify failed").rstrip(".")
    failure = _find(exc, ssl.SSLError)
    reason = getattr(failure, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.lower().replace("_", " ")
    return "the certificate was not accepted"
