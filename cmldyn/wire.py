"""A request as it goes on the wire, for the transport and for what records or reprints it.

Owns: how a PreparedRequest's body is handed to requests (:func:`body_kwargs`, one rule for sending and
for ``--curl``), :class:`Exchange` (one request and answer with every credential already ``***``: what
``--har`` records), :class:`Wire` (a request exactly as it would go out, its credentials written as markers
naming the variables that hold them) and those markers. May import: credentials, errors, request, security.
Must not: send anything (transport.py does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from .credentials import BearerAuth, SchemeAuth
from .errors import Secret, redact, reveal
from .request import PreparedRequest
from .security import Scheme

__all__ = ["Exchange", "PASSWORD_VAR", "TOKEN_VAR", "VAR_MARK", "Wire", "body_kwargs", "exchange_from", "marked_auth",
           "scheme_var", "wire_from"]

#: What a credential is written as in a Wire when it is not revealed: the marker around the variable's name.
VAR_MARK = ("CMLDYNVAR_", "_ENDVAR")  # letters and _ only: a URL keeps them as they are
TOKEN_VAR, PASSWORD_VAR = "CML_API_KEY", "CMLDYN_PASSWORD"
_CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-api-key")
_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}


@dataclass
class Exchange:
    """One request and its answer as sent and received, every credential already replaced by ``***``
    (headers that carry one, the key's text anywhere in the URL or a body): what ``--har`` records."""

    started: float  # wall-clock seconds (time.time) when the request went out
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes | None
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    response_body: bytes
    elapsed: float  # seconds from sending to the last byte
    http_version: str = "HTTP/1.1"


@dataclass(frozen=True)
class Wire:
    """A request exactly as it would go out (``--curl``): method, URL, headers, body bytes. Without
    ``reveal`` every credential is a marker ``CMLDYNVAR_NAME_ENDVAR`` naming the variable that holds it, and an
    HTTP basic pair is left out of the headers and given as ``basic_user`` (its password: CMLDYN_PASSWORD)."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None
    basic_user: str | None = None


def scheme_var(scheme: str) -> str:
    """The variable a security scheme's own key is read from in a printed command."""
    return "CMLDYN_KEY_" + re.sub(r"[^A-Za-z0-9]+", "_", scheme).strip("_").upper()


def body_kwargs(request: PreparedRequest) -> dict[str, Any]:
    """The body as requests takes it (json, files and form, or bytes)."""
    if request.has_json_body:
        return {"json": request.json_body}
    if request.files is not None:
        if not request.files and not request.form:
            return {"files": [("", ("", b"", "application/octet-stream"))]}
        return {"files": request.files or None, "data": request.form or None}
    if request.form is not None:
        return {"data": request.form}
    if request.data is not None:
        return {"data": request.data}
    return {}


def exchange_from(raw: Any, body: bytes, wall: float, elapsed: float, secrets: Sequence[Secret]) -> Exchange:
    """What requests sent and received (``raw``: its Response), credentials out."""

    def hide_header(name: str, value: str) -> str:
        return "***" if name.lower() in _CREDENTIAL_HEADERS else redact(value, secrets)

    def hide_bytes(data: bytes) -> bytes:
        for secret in secrets:
            value = (reveal(secret) or "").encode("utf-8")
            if value:
                data = data.replace(value, b"***")
        return data

    sent = raw.request
    request_body = sent.body.encode("utf-8") if isinstance(sent.body, str) else sent.body
    return Exchange(
        wall, sent.method, redact(sent.url, secrets), [(k, hide_header(k, v)) for k, v in sent.headers.items()],
        hide_bytes(request_body) if isinstance(request_body, bytes) else None,
        raw.status_code, raw.reason or "", [(k, hide_header(k, v)) for k, v in raw.headers.items()],
        hide_bytes(body), elapsed, _VERSIONS.get(getattr(raw.raw, "version", 11), "HTTP/1.1"))


def marked_auth(auth: Union[bool, Sequence[Scheme]], *, token: bool, user: str | None,
                schemes: Mapping[str, Any]) -> BearerAuth | SchemeAuth | None:
    """The auth hook that would be sent, with markers in place of the key, the password and each scheme's key."""
    def mark(name: str) -> Secret:
        return Secret(f"{VAR_MARK[0]}{name}{VAR_MARK[1]}")

    if auth is True:
        return BearerAuth(mark(TOKEN_VAR)) if token else None
    if not auth:
        return None
    return SchemeAuth(auth, mark(TOKEN_VAR) if token else None, user, mark(PASSWORD_VAR),
                      {name: mark(scheme_var(name)) for name in schemes})


def wire_from(prepared: Any, *, user: str | None, reveal: bool) -> Wire:
    """A Wire from requests' prepared request: the headers curl would not write itself, the body bytes."""
    basic_user = None
    headers = []
    for name, value in prepared.headers.items():
        if name.lower() in ("connection", "accept-encoding", "content-length"):
            continue  # curl writes its own
        if not reveal and name.lower() == "authorization" and value.startswith("Basic "):
            basic_user = user or ""
            continue
        headers.append((name, value))
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    return Wire(prepared.method or "GET", prepared.url or "", headers, body, basic_user)
