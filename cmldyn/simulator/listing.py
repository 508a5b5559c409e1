"""Lists as CML answers them: ``search_filter``, ``sort``, then ``page_size`` / ``page_token``.

Owns: the filter language (a JSON object of field -> case-sensitive substring, dotted
keys, or a bare word that matches the name), multi-key sorting (``-name,created_at``),
and opaque page tokens (a refused token is a 400). Plain functions over lists of dicts.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .routes import BadRequest

__all__ = ["DEFAULT_PAGE_SIZE", "decode_token", "encode_token", "matches", "paginate", "sort_objects"]

JSON = Any
DEFAULT_PAGE_SIZE = 10


def paginate(
    objects: list[dict[str, JSON]], field_name: str, query: dict[str, str], *, has_pages: bool = True
) -> dict[str, JSON]:
    """search_filter, sort, then page_size / page_token, as CML's list calls do."""
    search = query.get("search_filter")
    if search:
        objects = [o for o in objects if matches(o, search)]
    if query.get("sort"):
        objects = sort_objects(objects, query["sort"])
    if not has_pages:
        return {field_name: objects}
    size = int(query.get("page_size") or DEFAULT_PAGE_SIZE)
    if size <= 0:
        size = DEFAULT_PAGE_SIZE
    offset = decode_token(query.get("page_token", ""))
    page = objects[offset : offset + size]
    next_offset = offset + size
    token = encode_token(next_offset) if next_offset < len(objects) else ""
    return {field_name: page, "next_page_token": token}


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise BadRequest(f"invalid page_token {token!r}") from None


def _dig(obj: JSON, dotted: str) -> JSON:
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def matches(obj: dict[str, JSON], search: str) -> bool:
    """A JSON object of field -> case-sensitive substring (dotted keys); a bare word matches the name."""
    try:
        wanted = json.loads(search)
    except ValueError:
        wanted = None
    if not isinstance(wanted, dict):
        name = obj.get("name", obj.get("image_identifier", ""))
        return search in str(name)
    for key, value in wanted.items():
        have = _dig(obj, key)
        if have is None:
            return False
        if isinstance(value, bool) or isinstance(have, bool):
            if str(have).lower() != str(value).lower():
                return False
        elif str(value) not in str(have):
            return False
    return True


def sort_objects(objects: list[dict[str, JSON]], spec: str) -> list[dict[str, JSON]]:
    for key in reversed([k.strip() for k in spec.split(",") if k.strip()]):
        reverse = key.startswith("-")
        name = key.lstrip("+-")
        objects = sorted(objects, key=lambda o: (_dig(o, name) is None, str(_dig(o, name) or "")), reverse=reverse)
    return objects
