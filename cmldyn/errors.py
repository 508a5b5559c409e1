"""Every exception cmldyn raises, and the one redactor that keeps secrets out of their text.

Imports nothing from cmldyn. Our own mistakes (bad spec, bad arguments) and the
server's answers stay on separate branches, so callers can tell "fix your call"
from "the API said no":

    CmldynError
    ├── UsageError         bad command-line words (unknown option, a flag without its value)
    ├── ConfigError        the config file or a profile in it is unusable (names file:line)
    ├── StorageError       a private file cannot be written, or is not safe to read
    ├── SpecError          spec could not be fetched, parsed or resolved, or was refused
    ├── OperationError     unknown operation (also an AttributeError, so hasattr/dir behave)
    ├── ParamError         missing, unknown or ill-typed argument; raised before any I/O
    ├── CredentialError    no API key, or a key that cannot be sent (bad characters)
    ├── TransportError     connection refused, timeout, TLS; the library error is __cause__
    ├── ResponseError      the server answered, but not with a body we can use
    ├── ApiError           server answered >= 400: .status, .operation, .result, .body
    │   ├── AuthError      401 / 403
    │   └── NotFoundError  404
    ├── FilterError        bad JMESPath: .expression and .position
    ├── PaginationError    cursor repeated or malformed
    ├── WaiterError        gave up waiting (time or attempts ran out): .last_result
    │   └── WorkloadError  the call worked, the workload failed (a run, build, deployment or app): .step
    ├── ContractError      strict checking: an answer differs from the spec (.findings, .result)
    └── ToolError          an MCP tool call that cannot go ahead (refused, too large, busy, unknown)

`ApiException` is an alias of `ApiError`, so scripts written for the generated
`cmlapi` client keep their `except cmlapi.rest.ApiException` lines.

Also here, because every message needs them: :func:`redact` (the one redactor: secrets and
credential header values become ``***``), :class:`Secret` (how every cmldyn object holds a key, so
no ``repr``, ``str``, ``vars()`` walk or traceback with locals shows it) and :func:`did_you_mean`
(the one spelling hint).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Union

__all__ = [
    "ApiError",
    "ApiException",
    "AuthError",
    "CmldynError",
    "ConfigError",
    "ContractError",
    "CredentialError",
    "FilterError",
    "NotFoundError",
    "OperationError",
    "PaginationError",
    "ParamError",
    "ResponseError",
    "Secret",
    "Secrets",
    "SpecError",
    "StorageError",
    "ToolError",
    "TransportError",
    "UsageError",
    "WaiterError",
    "WorkloadError",
    "did_you_mean",
    "redact",
    "reveal",
]


class CmldynError(Exception):
    """Base of every error cmldyn raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CmldynError):
    """Bad command-line words: an unknown option, a flag without its value, two bodies."""


class ConfigError(CmldynError):
    """The config file or a profile in it is unusable."""


class StorageError(CmldynError):
    """A private file could not be written or is not safe to read."""


class SpecError(CmldynError):
    """The spec could not be fetched, parsed or resolved, or was refused as unsafe."""


class OperationError(CmldynError, AttributeError):
    """No operation of that name in the spec."""


class ParamError(CmldynError, TypeError):
    """An argument is missing, unknown, of the wrong type or outside its enum."""


class CredentialError(CmldynError):
    """No API key was given, or the key cannot be sent as given."""


class TransportError(CmldynError):
    """The request did not get an HTTP answer: refused, timed out, TLS, cut short.

    ``retryable`` is False where trying again cannot help (TLS, a body over the cap).
    """

    def __init__(self, message: str, *, hint: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable


class ResponseError(CmldynError):
    """The server answered, but the body is unusable (HTML, bad UTF-8, too large...)."""


class ApiError(CmldynError):
    """The server answered with an error status.

    Attributes mirror the generated cmlapi's ApiException (``status``, ``reason``,
    ``body``, ``headers``) and add ``operation``, the server's ``code`` and
    ``server_message`` parsed from CML's error body, and ``result`` (the parsed body).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        reason: str = "",
        operation: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        code: int | None = None,
        server_message: str | None = None,
        result: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason
        self.operation = operation
        self.body = body
        self.headers = headers or {}
        self.code = code
        self.server_message = server_message
        self.result = result


ApiException = ApiError


class AuthError(ApiError):
    """401 or 403: the key was refused or lacks the permission."""


class NotFoundError(ApiError):
    """404: no such resource (or no such path on this server)."""


class FilterError(CmldynError, ValueError):
    """A JMESPath expression that does not compile, or passes a bound (``bound``: too long, too deep)."""

    def __init__(self, message: str, *, expression: str = "", position: int | None = None, bound: bool = False) -> None:
        super().__init__(message)
        self.expression = expression
        self.position = position
        self.bound = bound


class PaginationError(CmldynError):
    """The server handed back a page token it had already given."""


class WaiterError(CmldynError):
    """A waiter gave up: the time or attempts ran out (or, as :class:`WorkloadError`, the resource failed)."""

    def __init__(self, message: str, *, last_result: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.last_result = last_result


class WorkloadError(WaiterError):
    """The calls worked, but what they started ended in a failure state: a job run, model build, deployment
    or application (``step`` names where a workflow stopped). Its own exit code, 7."""

    def __init__(self, message: str, *, last_result: Any = None, step: str = "", hint: str | None = None) -> None:
        super().__init__(message, last_result=last_result, hint=hint)
        self.step = step


_HEADER_VALUE = re.compile(r"(?i)\b(authorization|cookie|set-cookie|x-api-key)(\s*[:=]\s*)([^\r\n,'\"}]+)")


class ContractError(CmldynError):
    """With strict checking on: the server answered, but not as the spec says (the answer is ``.result``)."""

    def __init__(self, message: str, *, findings: list[Any] | None = None, result: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.findings = list(findings or [])
        self.result = result


class ToolError(CmldynError):
    """An MCP tool call that cannot go ahead: returned to the agent as a tool error, never raised past the server."""


class Secret:
    """A key, a password: ``repr``, ``str``, ``vars()`` and pickling show nothing of it.

    The value lives in a closure, not in an attribute, so a walk over ``vars()`` or ``__dict__`` of any
    object holding one (a Client, its transport, the settings) finds no string to leak, and a traceback
    printed with its locals shows ``Secret('***')``. :meth:`reveal` hands it to the one place that sends
    it (the transport's auth hook) and to the redactor.
    """

    __slots__ = ("_value",)
    _value: Callable[[], str]

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", lambda: value)

    @classmethod
    def of(cls, value: Secret | str | None) -> Secret | None:
        """``value`` held as a Secret (None and ``""`` stay None)."""
        if value is None or isinstance(value, Secret):
            return value
        return cls(str(value)) if str(value) else None

    def reveal(self) -> str:
        value: str = self._value()
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Secret cannot be changed")

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __eq__(self, other: object) -> bool:
        import hmac

        if isinstance(other, Secret):
            other = other.reveal()
        return isinstance(other, str) and hmac.compare_digest(self.reveal().encode(), other.encode())

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled (it would write the key out)")


#: What messages are redacted against: keys held as Secrets (or, from a caller's own hands, as text).
Secrets = tuple[Union[Secret, str], ...]


def reveal(value: Secret | str | None) -> str | None:
    """The text of a key held either way, for the code that sends it."""
    return value.reveal() if isinstance(value, Secret) else value


def redact(text: str, secrets: Iterable[Secret | str | None] = ()) -> str:
    """Return ``text`` with every secret and every credential header value replaced by ``***``."""
    for held in secrets:
        secret = reveal(held)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _HEADER_VALUE.sub(_hide_header_value, text)


_VARIABLE = re.compile(r"^(?:(?:Bearer|Basic|Token)\s+)?\$\{?[A-Za-z_][A-Za-z0-9_]*$")


def _hide_header_value(match: re.Match[str]) -> str:
    """A credential header's value as ``***``, unless it is only a shell variable (``Bearer ${CML_API_KEY}``
    in a printed curl command): that names where the key is, not the key."""
    if _VARIABLE.match(match.group(3).strip()):
        return match.group(0)
    return match.group(1) + match.group(2) + "***"


def did_you_mean(word: str, choices: Iterable[str], *, show: Callable[[str], str] = repr) -> str:
    """``"; did you mean 'page_size'?"`` for the closest choice, or ``""`` when none is close.

    A choice that differs only in underscores and case (``projectid`` for ``project_id``)
    counts as close even where difflib's ratio would not. ``show`` formats the choice
    (the CLI shows ``--page-size``).
    """
    import difflib  # only when a name was wrong: not a start-up cost

    pool = [c for c in choices if c]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        folded = word.replace("_", "").replace("-", "").lower()
        close = [c for c in pool if c.replace("_", "").replace("-", "").lower() == folded][:1]
    return f"; did you mean {show(close[0])}?" if close else ""
