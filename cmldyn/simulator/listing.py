"""Lists: CML's way (``search_filter``, ``sort``, ``page_size`` / ``page_token``) and any spec's own style.

Owns: CML's filter language (a JSON object of field -> case-sensitive substring, dotted
keys, or a bare word that matches the name), multi-key sorting (``-name,created_at``),
opaque page tokens (a refused token is a 400), and for any other spec the paging style its
list operation's parameters and answer name: a token and a next token (``page_token`` /
``next_page_token``, ``cursor`` / ``next_cursor``), offset and limit, or page and per-page;
plain equality filters on query parameters named like an item's fields.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .routes import BadRequest, Route

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["DEFAULT_PAGE_SIZE", "PageStyle", "decode_token", "encode_token", "matches", "page_in_style", "page_style",
           "paginate", "sort_objects"]

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
        elif key == "status" and _status_word(str(value), str(have)):
            continue
        elif str(value) not in str(have):
            return False
    return True


def _status_word(word: str, status: str) -> bool:
    """A status filter in the words the spec documents (``succeeded``, ``running`` ...) matches the enum value
    it stands for (``ENGINE_SUCCEEDED``), as a workspace does."""
    return word.isalpha() and word.islower() and status.rpartition("_")[2] == word.upper()


def sort_objects(objects: list[dict[str, JSON]], spec: str) -> list[dict[str, JSON]]:
    for key in reversed([k.strip() for k in spec.split(",") if k.strip()]):
        reverse = key.startswith("-")
        name = key.lstrip("+-")
        objects = sorted(objects, key=lambda o: (_dig(o, name) is None, str(_dig(o, name) or "")), reverse=reverse)
    return objects


# ---------------------------------------------------------------- any spec's own style

_CURSOR = ("pagetoken", "cursor", "nexttoken", "continuationtoken", "startingafter", "after", "marker", "continue",
           "pagecursor")
_OFFSET = ("offset", "skip", "start", "startindex")
_PAGE = ("page", "pagenumber", "pageno", "pagenum", "pageindex")
_SIZE = ("pagesize", "limit", "perpage", "size", "maxresults", "top", "first", "pagelen", "count", "maxitems")
_NEXT = ("nextpagetoken", "nexttoken", "nextcursor", "cursor", "next", "continuationtoken", "nextmarker", "continue",
         "nextpage")
_TOTAL = ("total", "totalcount", "totalsize", "totalitems", "totalresults", "count")
_MORE = ("hasmore", "hasnext", "hasnextpage", "more")


def _squeeze(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(".", "")


@dataclass(frozen=True)
class PageStyle:
    """How one list operation pages: ``kind`` is token, offset, page or none, with the parameter names."""

    kind: str
    size: str | None = None
    position: str | None = None


def page_style(route: Route) -> PageStyle:
    by_squeezed = {_squeeze(str(p["name"])): str(p["name"]) for p in route.params("query")}
    size = next((by_squeezed[s] for s in _SIZE if s in by_squeezed), None)
    for kind, names in (("token", _CURSOR), ("offset", _OFFSET), ("page", _PAGE)):
        found = next((by_squeezed[n] for n in names if n in by_squeezed), None)
        if found is not None:
            return PageStyle(kind, size, found)
    return PageStyle("limit" if size else "none", size)


def page_in_style(engine: Engine, route: Route, objects: list[dict[str, JSON]], query: dict[str, str]) -> JSON:
    """Filter by query parameters named like item fields, then one page in the route's own style,
    wrapped in the answer's envelope (its list field, next token, total) when the answer is an object."""
    style = page_style(route)
    paging = {style.size, style.position}
    for name, value in query.items():
        if name in paging or not objects or name not in objects[0]:
            continue
        wanted = set(value.split(","))
        objects = [o for o in objects if str(o.get(name)) in wanted or (isinstance(o.get(name), bool)
                                                                       and str(o.get(name)).lower() in wanted)]
    size = _int(query.get(style.size or ""), DEFAULT_PAGE_SIZE) if style.kind != "none" else len(objects) or 1
    start = 0
    if style.kind == "token":
        start = decode_token(query.get(style.position or "", ""))
    elif style.kind == "offset":
        start = _int(query.get(style.position or ""), 0)
    elif style.kind == "page":
        first = 0 if "0" == query.get(style.position or "") else 1
        start = (_int(query.get(style.position or ""), 1) - first) * size if style.position in query else 0
    size = max(size, 1)
    page = objects[start : start + size]
    more = start + size < len(objects)
    view = engine.index.response_view(route)
    if view is None or view.type == "array":
        return page
    envelope = engine.sampler.value(view, "page")
    if not isinstance(envelope, dict):
        envelope = {}
    field_name = engine.index.list_field(route) or "items"
    envelope[field_name] = page
    for key, prop in view.properties.items():
        squeezed = _squeeze(key)
        if squeezed in _NEXT and prop.type in ("string", None):
            if more and style.kind in ("token", "offset", "page"):
                position = {"token": encode_token(start + size), "offset": str(start + size), "page": str(start // size + 2)}
                envelope[key] = position[style.kind]
            elif style.kind == "token" or key in view.required:
                envelope[key] = ""  # no next page: an empty token, as grpc-gateway and most token APIs say
            else:
                envelope.pop(key, None)
        elif squeezed in _TOTAL and prop.type in ("integer", "number"):
            envelope[key] = len(objects)
        elif squeezed in _MORE and prop.type == "boolean":
            envelope[key] = more
    return envelope


def _int(text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise BadRequest(f"expected a number of at least 0, got {value}")
    return value
