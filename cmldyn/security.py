"""How a spec says credentials travel: its security schemes and which operations need which.

Owns: reading Swagger 2.0 ``securityDefinitions`` and OpenAPI 3 ``components.securitySchemes``
into :class:`Scheme` values (an API key in a header, the query or a cookie; HTTP bearer or basic;
OAuth2 and OpenID Connect with a token the user already has, sent as bearer), telling usable
schemes from the rest, and reading the global and per-operation ``security`` requirements
(``security: []`` means none). Plain data; the transport attaches what a scheme says.
May import: errors, jsonvalue, prescan. Must not: hold a credential.

Where the credential goes never follows the spec's host: only *how* it is sent does, and only to
the configured origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .jsonvalue import JSON
from .prescan import follow

__all__ = ["Scheme", "read_schemes", "requirements"]

# RFC 9110 token characters: what a header or cookie name may hold. CML's served spec names its
# scheme "authorization (e.g. 'authorization: Bearer APIKEY')", which is not a header name.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class Scheme:
    """One usable security scheme: ``kind`` is header, query, cookie (API keys), bearer or basic."""

    name: str
    kind: str
    param: str = ""  # the header, query parameter or cookie an API key goes in

    @property
    def needs_user(self) -> bool:
        return self.kind == "basic"

    def describe(self) -> str:
        if self.kind in ("header", "query", "cookie"):
            return f"an API key in the {self.kind} {self.param!r}"
        return "HTTP basic (user and password)" if self.kind == "basic" else "a bearer token"

    def flag(self) -> str:
        """What the user passes for it."""
        return "--user NAME (password from CMLDYN_PASSWORD or asked)" if self.needs_user else \
            "--token KEY (or CML_API_KEY / CMLDYN_TOKEN)"


def read_schemes(doc: dict[str, JSON], *, openapi3: bool) -> tuple[dict[str, Scheme], list[str]]:
    """(usable schemes by name, notes on the ones cmldyn cannot use)."""
    if openapi3:
        components = doc.get("components")
        table = components.get("securitySchemes") if isinstance(components, dict) else None
    else:
        table = doc.get("securityDefinitions")
    usable: dict[str, Scheme] = {}
    notes: list[str] = []
    for name, raw in (table.items() if isinstance(table, dict) else []):
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            try:
                raw = follow(doc, raw["$ref"])
            except KeyError:
                raw = None
        if not isinstance(raw, dict):
            notes.append(f"security scheme {name!r} is not an object; ignored")
            continue
        scheme = _scheme(str(name), raw)
        if scheme is None:
            notes.append(f"security scheme {name!r} ({raw.get('type')}) cannot be used by cmldyn; ignored")
        else:
            usable[str(name)] = scheme
    return usable, notes


def _scheme(name: str, raw: dict[str, JSON]) -> Scheme | None:
    kind = str(raw.get("type") or "").lower()
    if kind == "apikey":
        where = str(raw.get("in") or "")
        param = str(raw.get("name") or "")
        if where in ("header", "query", "cookie") and _TOKEN.match(param):
            return Scheme(name, where, param)
        return None
    if kind == "basic":  # Swagger 2.0
        return Scheme(name, "basic")
    if kind == "http":
        http = str(raw.get("scheme") or "").lower()
        return Scheme(name, "basic") if http == "basic" else (Scheme(name, "bearer") if http == "bearer" else None)
    if kind in ("oauth2", "openidconnect"):
        return Scheme(name, "bearer")  # a token the user already has
    return None


def requirements(op: dict[str, JSON], doc: dict[str, JSON]) -> list[list[str]] | None:
    """The alternatives an operation accepts (each a list of scheme names, all needed together);
    ``[[]]`` where it needs nothing (``security: []`` or an empty alternative); None where neither
    the operation nor the spec says."""
    found = op.get("security", doc.get("security"))
    if not isinstance(found, list):
        return None
    alternatives = [[str(k) for k in item] for item in found if isinstance(item, dict)]
    return alternatives if alternatives else [[]]
