"""JSON values: the one strict decoder and the one conversion back to plain JSON.

Owns: decoding bytes that claim to be JSON (strict UTF-8, no NaN or Infinity, deep
nesting and over-long integers as clean errors), recognising an HTML page where JSON
was promised, and turning Results, request objects and containers back into plain
JSON values. The spec loader and the response decoder both use it; each passes the
error class of its own layer. May import: errors. Must not: do I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import CmldynError

__all__ = ["JSON", "MASK", "is_secret_name", "list_items", "loads_strict", "looks_like_html", "mask", "media_type",
           "spec_digest", "to_plain"]

JSON = Any


def media_type(content_type: str | None) -> str:
    """``"application/json; charset=utf-8"`` -> ``"application/json"``."""
    return (content_type or "").split(";")[0].strip().lower()


def looks_like_html(data: bytes, content_type: str | None) -> bool:
    """An HTML page (a login or SSO screen, a proxy's error page) rather than data."""
    ctype = media_type(content_type)
    head = data[:512].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype", b"<html"))


def loads_strict(data: bytes, *, what: str, error: type[CmldynError], content_type: str | None = None) -> JSON:
    """Decode JSON bytes strictly.

    Args:
        data: the bytes as received or read.
        what: how messages name the document ("spec at https://...", "response of list_projects").
        error: the exception class to raise (SpecError for specs, ResponseError for answers).
        content_type: shown in the message when the text is not JSON.

    Raises:
        error: invalid UTF-8 (with the byte offset), NaN or Infinity, too deeply nested,
            a number too large to read, or not JSON at all.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not valid UTF-8 at byte {exc.start}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise error(f"{what} is too deeply nested") from None
    except ValueError as exc:
        if "digits" in str(exc):  # Python's limit on integer string conversion
            raise error(f"{what} holds a number too large to read") from None
        ctype = media_type(content_type)
        raise error(f"{what} is not JSON{' (' + ctype + ')' if ctype else ''}: {str(exc)[:120]}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def to_plain(value: Any, *, drop_none: bool = False) -> JSON:
    """Results, request objects (anything with ``to_dict()``) and nested containers -> plain JSON.

    ``drop_none`` leaves out mapping entries whose value is None, as a request body needs
    (an unset field of a PATCH body must not be sent as null).
    """
    if value is None or isinstance(value, (str, int, float)):  # the common case first: a leaf
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return to_plain(to_dict(), drop_none=drop_none)
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, drop_none=drop_none) for k, v in value.items() if not (drop_none and v is None)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, drop_none=drop_none) for v in value]
    return value


def list_items(data: JSON) -> list[dict[str, JSON]]:
    """The objects of a list answer: the answer itself, or its one array of objects."""
    if isinstance(data, list):
        return [i for i in data if isinstance(i, dict)]
    if isinstance(data, dict):
        arrays = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(arrays) == 1:
            return [i for i in arrays[0] if isinstance(i, dict)]
    return []


MASK = "***"
# A secret by its name: the whole name (key, token ...) or its last word(s) (auth_token, db_password,
# ssh_private_key); a key that names something else (label_key, accelerator_key) is not one.
_SECRET_NAME = re.compile(r"(?i)(^(key|apikey)$|(^|[_\-.])(api_?key|tokens?|passwords?|passwd|secrets?|credentials?|"
                          r"(private|access|secret|ssh|auth|signing|encryption|master)_?key)$)")


def is_secret_name(name: str) -> bool:
    """Whether a field's name says it holds a secret (``DB_PASSWORD``, ``api_key``; not ``label_key``)."""
    return bool(_SECRET_NAME.search(re.sub(r"([a-z])([A-Z])", r"\1_\2", name)))


def mask(value: Any, *, reveal_env: bool = False, placeholder: str = MASK) -> Any:
    """A copy of ``value`` with the values of secret-named fields (key, token, password, secret, credentials)
    and of environment maps (names kept; CML sends them as JSON text) replaced by ``placeholder``: what MCP
    results and captured simulator states hold instead."""
    if isinstance(value, list):
        return [mask(v, reveal_env=reveal_env, placeholder=placeholder) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key)
        if is_secret_name(name) and item not in (None, "", [], {}):
            out[key] = placeholder
        elif name.lower() in ("environment", "env", "environment_variables", "envs") and not reveal_env:
            out[key] = _mask_environment(item, placeholder)
        else:
            out[key] = mask(item, reveal_env=reveal_env, placeholder=placeholder)
    return out


def _mask_environment(item: Any, placeholder: str) -> Any:
    """Every value of an environment map (CML sends it as JSON text), names kept."""
    if isinstance(item, dict):
        return {k: placeholder for k in item}
    if isinstance(item, str) and item.strip():
        try:
            parsed = json.loads(item)
        except ValueError:
            return placeholder
        if isinstance(parsed, dict):
            return json.dumps({k: placeholder for k in parsed})
        return placeholder
    return item


def spec_digest(doc: Any) -> str:
    """A spec's sha256 over its canonical JSON (sorted keys, no spaces): the same whatever its bytes looked like
    (YAML or JSON, fetched or read from a file)."""
    import hashlib
    import json

    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
