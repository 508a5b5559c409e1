"""How a credential goes on a request: the key checked once when it is read, attached at send time.

Owns: :func:`clean_token` (whitespace and a ``Bearer `` prefix stripped, characters a header cannot
hold refused, the key held as a Secret) and the two auth hooks the transport hands requests (called
with the prepared request, as requests' AuthBase is, so a ``~/.netrc`` entry can never replace them):
:class:`BearerAuth` for an API whose spec declares no usable scheme (CML's), :class:`SchemeAuth` for
the schemes a spec declares. The key is revealed only inside the hooks. May import: errors, security.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import CredentialError, Secret, reveal
from .security import Scheme

__all__ = ["BearerAuth", "SchemeAuth", "clean_token"]

# RFC 6750 b64token, plus the characters CML keys use; anything else cannot be a header value.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/=:]+$")


def clean_token(token: Secret | str | None) -> Secret | None:
    """Strip whitespace and an optional ``Bearer `` prefix; refuse characters a header cannot hold.

    Returns the key held as a :class:`Secret` (None when there is none).

    Raises:
        CredentialError: naming the problem, never the key.
    """
    text = reveal(token)
    if text is None:
        return None
    text = str(text).strip()
    if text.lower().startswith("bearer "):
        text = text[7:].strip()
    if not text:
        return None
    if not _TOKEN_RE.match(text):
        raise CredentialError("API key contains invalid characters", hint="copy the key again from User Settings > API Keys")
    return Secret(text)


class BearerAuth:
    """Adds ``authorization: Bearer <key>`` to each request, as requests' auth hook (the AuthBase
    protocol: called with the prepared request), so a ~/.netrc entry can never replace it."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __call__(self, r: Any) -> Any:
        r.headers["authorization"] = "Bearer " + self._token.reveal()
        return r

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class SchemeAuth:
    """Attaches credentials as the spec's security schemes say: an API key in a header, the query
    or a cookie; bearer; basic. An auth hook like BearerAuth, so netrc cannot replace it either."""

    def __init__(self, schemes: Sequence[Scheme], token: Secret | None, user: str | None, password: Secret | None,
                 keys: Mapping[str, Secret] | None = None) -> None:
        self._schemes = tuple(schemes)
        self._default = token
        self._keys = dict(keys or {})  # a key of its own for a scheme, by scheme name (a profile's [schemes.X])
        self._user = user
        self._password = password

    def __call__(self, r: Any) -> Any:
        for scheme in self._schemes:
            token = reveal(self._keys.get(scheme.name, self._default)) or ""
            if scheme.kind == "basic":
                pair = f"{self._user or ''}:{reveal(self._password) or ''}".encode("utf-8")
                r.headers["authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            elif scheme.kind == "bearer":
                r.headers["authorization"] = f"Bearer {token}"
            elif scheme.kind == "header":
                r.headers[scheme.param] = token
            elif scheme.kind == "query":
                r.prepare_url(r.url, {scheme.param: token})
            elif scheme.kind == "cookie":
                cookie = f"{scheme.param}={token}"
                r.headers["cookie"] = f"{r.headers['cookie']}; {cookie}" if r.headers.get("cookie") else cookie
        return r

    def __repr__(self) -> str:
        return f"SchemeAuth({', '.join(s.name for s in self._schemes)}, ***)"
