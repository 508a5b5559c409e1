"""JSON answers -> Result objects with attribute access; error statuses -> ApiError.

Owns: strict decoding of response bodies (content type, UTF-8, NaN, depth, huge
numbers), the Result type, and reading CML's error body
(``{"error", "code", "message", "details"}``, also the short ``{"code", "message"}``).
May import: errors, model (for schema field names). Must not: do I/O.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from .errors import ApiError, AuthError, NotFoundError, ResponseError, Secrets, redact
from .jsonvalue import JSON, loads_strict, looks_like_html, media_type, to_plain
from .schema import Schema

__all__ = ["Result", "ResultList", "decode_answer", "decode_body", "error_from_response", "field_of", "result_class",
           "wrap", "wrap_answer"]


class Result:
    """A JSON object with attribute access: ``proj.creator.username``, ``proj["odd-name"]``.

    The API's field names own attribute access; what cmldyn adds starts with an
    underscore (``_status``, ``_headers``, ``_raw``), as namedtuple does. A field the
    schema defines but the server left out (grpc-gateway omits empty values) reads
    as ``None``, as in the generated cmlapi models.
    """

    __slots__ = ("_data", "_schema", "_fields", "_status", "_headers", "_origin")

    def __init__(self, data: dict[str, JSON], *, schema: Schema | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None) -> None:
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_schema", schema)  # what the spec says this object holds
        object.__setattr__(self, "_fields", None)  # its property names, worked out when first needed
        object.__setattr__(self, "_status", status)
        object.__setattr__(self, "_headers", headers or {})
        object.__setattr__(self, "_origin", None)  # (method, path) of the call that returned it

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name.startswith("__"):
            raise AttributeError(name)
        if name in data:
            return wrap(data[name], self._field_schemas().get(name))
        if name in self._field_schemas():
            return None
        raise AttributeError(f"result has no field {name!r}; fields: {', '.join(sorted(data)) or '(none)'}")

    def _field_schemas(self) -> dict[str, Schema]:
        fields: dict[str, Schema] | None = object.__getattribute__(self, "_fields")
        if fields is None:
            schema = object.__getattribute__(self, "_schema")
            fields = schema.properties if isinstance(schema, Schema) else {}
            object.__setattr__(self, "_fields", fields)
        return fields

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = to_plain(value)

    def __getitem__(self, key: str) -> Any:
        return wrap(self._data[key], self._field_schemas().get(key))

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Result):
            return bool(self._data == other._data)
        if isinstance(other, dict):
            return bool(self._data == other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __dir__(self) -> list[str]:
        return sorted(set(self._data) | set(self._field_schemas()) | {"to_dict", "get", "keys", "items"})

    def __repr__(self) -> str:
        return type(self).__name__ + "(" + json.dumps(self._data, indent=2, ensure_ascii=False, default=str) + ")"

    def to_str(self) -> str:
        """The dict as text, as cmlapi's models' ``to_str()`` gives it."""
        return str(self)

    def to_pandas(self) -> Any:
        """A list answer's items (its one array of objects) as a pandas DataFrame; one row for an object.

        Raises:
            ImportError: pandas is not installed (cmldyn does not depend on it).
        """
        arrays = [v for v in self._data.values() if isinstance(v, list)]
        return _data_frame(arrays[0] if len(arrays) == 1 else [self._data])

    def __str__(self) -> str:
        """The dict, printed as cmlapi's models print theirs."""
        from .display import pretty_text

        return pretty_text(self._data)

    def _repr_html_(self) -> str:
        """A notebook's view: a field table, or a table of the items of a list answer (all text escaped)."""
        from .display import html_of

        schema = object.__getattribute__(self, "_schema")
        return html_of(self._data, item_fields=_item_fields(schema, self._data),
                       title=schema.name if isinstance(schema, Schema) and schema.name else "")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text view: the cmlapi-style dict."""
        printer.text("Result(...)" if cycle else str(self))

    def _ipython_key_completions_(self) -> list[str]:
        return sorted(set(self._data) | set(self._field_schemas()))

    def get(self, key: str, default: Any = None) -> Any:
        return wrap(self._data.get(key, default))

    def keys(self) -> list[str]:
        return list(self._data)

    def items(self) -> list[tuple[str, Any]]:
        return [(k, wrap(v)) for k, v in self._data.items()]

    def to_dict(self) -> dict[str, JSON]:
        """A plain dict copy (what cmlapi's models call ``to_dict()``)."""
        copied: dict[str, JSON] = json.loads(json.dumps(self._data))
        return copied

    _as_dict = to_dict

    @property
    def _raw(self) -> dict[str, JSON]:
        data: dict[str, JSON] = object.__getattribute__(self, "_data")
        return data


class ResultList(list[Any]):
    """A JSON array answer: a list of Results that also knows the HTTP status."""

    _status: int | None = None
    _headers: dict[str, str] = {}

    def to_dict(self) -> list[JSON]:
        return [to_plain(v) for v in self]

    def __str__(self) -> str:
        from .display import pretty_text

        return pretty_text(self.to_dict())

    def _repr_html_(self) -> str:
        from .display import html_of

        return html_of(self.to_dict())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("[...]" if cycle else str(self))

    def to_pandas(self) -> Any:
        """The items as a pandas DataFrame (ImportError naming the package where pandas is not installed)."""
        return _data_frame(self.to_dict())


def _data_frame(rows: list[JSON]) -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas() needs pandas, which is not installed: pip install pandas") from None
    return pandas.json_normalize([to_plain(r) for r in rows], max_level=1)


def _item_fields(schema: Schema | None, data: dict[str, JSON]) -> list[str] | None:
    """The field names the schema gives the items of a list answer's one array, for the table's columns."""
    if not isinstance(schema, Schema):
        return None
    arrays = [k for k, v in data.items() if isinstance(v, list)]
    if len(arrays) != 1:
        return None
    prop = schema.properties.get(arrays[0])
    items = prop.items if prop is not None else None
    return list(items.properties) if items is not None else None


def field_of(value: Any, name: str) -> Any:
    """A field of a Result, a dict, or any object with the field as an attribute (None if absent)."""
    if isinstance(value, dict):
        return value.get(name)
    getter = getattr(value, "get", None)
    if callable(getter):
        return getter(name)
    return getattr(value, name, None)


def result_class(schema: Schema | None) -> type[Result]:
    """The class of the answers a named schema describes (``Project``), made once per spec and cached
    on its schema graph; Result itself for an unnamed schema. ``isinstance(answer, cmldyn.Project)``
    holds too: the request classes of the same name recognise these (schemas.py)."""
    if schema is None or schema.name is None or not schema.name.isidentifier():
        return Result
    made = schema.graph.classes.get(schema.name)
    if made is None:
        made = schema.graph.classes[schema.name] = type(schema.name, (Result,), {
            "__slots__": (), "__module__": "cmldyn.models", "__doc__": schema.description or f"A {schema.name} answer."})
    return made


def wrap(value: JSON, schema: Schema | None = None) -> Any:
    """JSON objects as Results of their schema's class (knowing their schema view, for fields the server
    left out), lists of them."""
    if isinstance(value, dict):
        return result_class(schema)(value, schema=schema)
    if isinstance(value, list):
        item_schema = schema.items if isinstance(schema, Schema) else None
        return [wrap(v, item_schema) for v in value]
    return value


def decode_body(body: bytes, content_type: str, *, what: str = "response") -> JSON:
    """Strictly decode a JSON body. An empty body is None.

    Raises:
        ResponseError: HTML where JSON was expected, invalid UTF-8, NaN, too deep, number too large.
    """
    if not body.strip():
        return None
    ctype = content_type or "(no content type)"
    if looks_like_html(body, content_type):
        raise ResponseError(
            f"expected JSON but got {'text/html' if 'html' not in ctype else ctype} ({_size(body)}); a login or SSO page?",
            hint="check the host and the API key; run with --debug to see the page",
        )
    if ctype not in ("(no content type)",) and "json" not in ctype and not ctype.startswith("text/plain"):
        raise ResponseError(f"expected JSON but got {ctype} ({_size(body)})")
    return loads_strict(body, what=what, error=ResponseError, content_type=content_type)


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or "json" in media


def decode_answer(body: bytes, content_type: str | None, declared: list[str], *, what: str = "response") -> JSON:
    """An answer by its media type: JSON -> plain JSON values; ``text/*`` -> str; any other type -> bytes;
    an empty body -> None.

    The response's Content-Type decides and the spec's declared types break ties: with no
    Content-Type the spec says what to expect, and a JSON body labelled text/plain where the spec
    promises JSON is read as JSON. An HTML page where the spec promises JSON is an error (a login or
    SSO page in front of the API), as is JSON that is not strict JSON.

    Raises:
        ResponseError: see :func:`decode_body`.
    """
    if not body:
        return None
    ctype = media_type(content_type)
    expects_json = not declared or any(_is_json(m) for m in declared)
    expects_text = any(m.startswith("text/") for m in declared)
    if _is_json(ctype) or (not ctype and expects_json):
        return decode_body(body, content_type or "", what=what)
    if looks_like_html(body, content_type):
        if any("html" in m for m in declared) or (not expects_json and expects_text):
            return _text(body, content_type)
        return decode_body(body, content_type or "text/html", what=what)  # raises: a login or SSO page?
    if ctype.startswith("text/") or (not ctype and expects_text):
        if ctype == "text/plain" and expects_json and not expects_text and body.lstrip()[:1] in (b"{", b"["):
            return decode_body(body, "application/json", what=what)  # JSON mislabelled as text
        return _text(body, content_type)
    return body


def _text(body: bytes, content_type: str | None) -> str:
    """Text in the charset its Content-Type names (UTF-8 when it names none), bad bytes shown as U+FFFD."""
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"').lower()
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _size(body: bytes) -> str:
    n = len(body)
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB"


def error_from_response(
    status: int,
    reason: str,
    body: bytes,
    headers: dict[str, str],
    *,
    operation: str | None,
    secrets: Secrets = (),
    context: str = "",
) -> ApiError:
    """Build the ApiError for a >= 400 answer, with the server's message where it sent one."""
    ctype = media_type(headers.get("content-type"))
    parsed: JSON = None
    code = None
    server_message = None
    if body and ("json" in ctype or body.lstrip()[:1] in (b"{", b"[")):
        try:
            parsed = loads_strict(body, what="error body", error=ResponseError)
        except ResponseError:
            parsed = None
    if isinstance(parsed, dict):
        raw_code = parsed.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        message = parsed.get("message") or parsed.get("error") or parsed.get("detail")
        server_message = str(message) if message else None
    where = f" for {operation}" if operation else ""
    if server_message:
        message = f"HTTP {status}{where}: {server_message}"
    elif "html" in ctype:
        message = f"HTTP {status}{where} from a proxy or gateway ({ctype}, {_size(body)})"
    else:
        message = f"HTTP {status} {reason}{where}".rstrip()
    if context:
        message = f"{message}; {context}"
    message = redact(message, secrets)
    cls: type[ApiError] = ApiError
    hint = None
    if status in (401, 403):
        cls = AuthError
        hint = "check the API key (User Settings > API Keys)" if status == 401 else "the key lacks the permission for this call"
    elif status == 404:
        cls = NotFoundError
    text_body = body.decode("utf-8", "replace") if body else ""
    return cls(
        message,
        status=status,
        reason=reason,
        operation=operation,
        body=redact(text_body, secrets),
        headers=headers,
        code=code,
        server_message=server_message,
        result=wrap(parsed) if parsed is not None else None,
        hint=hint,
    )


def wrap_answer(data: JSON, schema: Schema | None, status: int, headers: dict[str, str]) -> Any:
    """An answer as a Result (a list as a ResultList) that remembers its status and headers."""
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
