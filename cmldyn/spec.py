"""Turn spec bytes, a local file or a dict into one checked document whose refs resolve on use.

Owns: parsing (strict JSON; YAML only from local files, safe loader), the Spec and
its base path and schema names, and the internal ``$ref`` resolution with prance
(per operation part, on first use). May import: errors, jsonvalue, prescan, prance, yaml.
Must not: touch the network (the loader hands in the bytes it fetched) or open
any file other than the one local spec it is asked to read.

The safety pre-scan (prescan.py) comes first: prance follows every reference it
meets, remote or local, and its validators do too; anything that is not an
internal ``#/...`` pointer is refused before prance sees the document, so prance
is only ever handed a dict whose refs are all internal.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import unquote, urlsplit

from .errors import SpecError
from .jsonvalue import JSON, loads_strict, looks_like_html, media_type
from .prescan import MAX_NODES, MAX_SPEC_BYTES, follow, prescan

__all__ = [
    "HTTP_METHODS",
    "NAME_KEY",
    "Spec",
    "build_spec",
    "decode_json",
    "load_spec",
    "read_spec_file",
    "resolve",
    "spec_from_bytes",
    "validate",
]

# After this many single resolutions the whole document is resolved at once instead.
PARTS_BEFORE_FULL = 24

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# prance needs a base URL for internal refs; the resolver finds the document itself
# in its reference cache under this key, so nothing is ever opened at this path.
_PSEUDO_URL = "file:///cmldyn-in-memory/spec.json"


@dataclass
class Spec:
    """A checked spec whose internal ``$ref``s are resolved with prance on first use.

    ``raw`` is the document as loaded (pre-scanned, named schemas tagged). Resolution
    is per operation or per schema: only the refs reachable from it are handed to
    prance, so a 1,000-operation spec costs nothing for the operations never touched.
    ``doc`` resolves the whole document at once, for code that wants all of it.
    Resolved subtrees may be shared objects: read them, never change them. A ref
    that closes a cycle stays ``{"$ref": ...}``; :meth:`lookup` follows it.
    """

    raw: dict[str, JSON]
    version: str
    title: str
    api_version: str
    base_path: str
    warnings: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._full: dict[str, JSON] | None = None
        self._parts: dict[tuple[str, ...], JSON] = {}

    @property
    def is_openapi3(self) -> bool:
        return self.version.startswith("3")

    @property
    def doc(self) -> dict[str, JSON]:
        """The whole document resolved (done once, then shared)."""
        with self._lock:
            if self._full is None:
                self._full = resolve(self.raw)
            return self._full

    def resolved(self, location: tuple[str, ...]) -> JSON:
        """The node at ``location`` (path segments from the root) with its refs resolved."""
        with self._lock:
            if self._full is not None:
                return _at(self._full, location)
            found = self._parts.get(location)
            if found is None:
                if len(self._parts) >= PARTS_BEFORE_FULL:
                    # Many parts asked for (a REPL, docs for everything): one whole pass is cheaper
                    # than one prance call each.
                    return _at(self.doc, location)
                found = self._parts[location] = _resolve_part(self.raw, location)
            return found

    def operation(self, path: str, method: str) -> tuple[dict[str, JSON], dict[str, JSON]]:
        """(operation, path item) resolved; the path item keeps only its shared parameters."""
        op = self.resolved(("paths", path, method))
        item = self.raw["paths"][path]
        shared = self.resolved(("paths", path, "parameters")) if "parameters" in item else None
        return op, ({"parameters": shared} if shared is not None else {})

    def raw_lookup(self, pointer: str) -> JSON:
        """Follow an internal pointer in the raw document (no resolution; KeyError if it leads nowhere)."""
        return follow(self.raw, pointer)

    def lookup(self, pointer: str) -> JSON:
        """Follow an internal JSON pointer (``#/definitions/X``), resolved."""
        follow(self.raw, pointer)  # KeyError for a pointer that leads nowhere
        return self.resolved(tuple(_segments(pointer)))

    def schema_table_location(self) -> tuple[str, ...]:
        return ("components", "schemas") if self.is_openapi3 else ("definitions",)

    def schema_names(self) -> list[str]:
        table = _at(self.raw, self.schema_table_location())
        return list(table) if isinstance(table, dict) else []

    def schema(self, name: str) -> JSON:
        if name not in self.schema_names():
            return None
        return self.resolved(self.schema_table_location() + (name,))


def _segments(pointer: str) -> list[str]:
    if pointer in ("#", "#/"):
        return []
    body = pointer[2:] if pointer.startswith("#/") else pointer
    return [unquote(part).replace("~1", "/").replace("~0", "~") for part in body.split("/")]


def _at(doc: JSON, location: tuple[str, ...]) -> JSON:
    node = doc
    for part in location:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _resolve_part(raw: dict[str, JSON], location: tuple[str, ...]) -> JSON:
    """Resolve one node: copy it and the targets of every ref reachable from it into a small
    document laid out like the original, and let prance resolve that."""
    node = _at(raw, location)
    if not isinstance(node, (dict, list)):
        return node
    targets: dict[str, JSON] = {}
    stack: list[JSON] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref not in targets:
                targets[ref] = target = follow(raw, ref)
                stack.append(target)
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
    if not targets:
        return node
    mini: dict[str, JSON] = {k: raw[k] for k in ("swagger", "openapi") if k in raw}
    _place(mini, raw, list(location))
    for ref in targets:
        _place(mini, raw, _segments(ref))
    return _at(resolve(mini), location)


def _place(mini: dict[str, JSON], raw: JSON, segments: list[str]) -> None:
    """Put raw's node at ``segments`` into ``mini`` at the same place (a list on the way is taken whole)."""
    if not segments:
        return
    here_mini: JSON = mini
    here_raw = raw
    for index, part in enumerate(segments):
        last = index == len(segments) - 1
        below = _at(here_raw, (part,))
        if not isinstance(here_mini, dict):
            return
        if last or isinstance(below, list):
            here_mini.setdefault(part, below)
            return
        if part not in here_mini:
            here_mini[part] = {}
        elif here_mini[part] is below:
            return  # the whole subtree is already there
        here_mini = here_mini[part]
        here_raw = below


def decode_json(data: bytes, *, what: str = "spec", content_type: str | None = None) -> JSON:
    """Strictly decode a spec's JSON bytes, bounded in size and object count before parsing.

    Raises:
        SpecError: too large, an HTML page, or not strict JSON (see :func:`jsonvalue.loads_strict`).
    """
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"{what} is too large ({len(data) // (1024 * 1024)} MB; limit {MAX_SPEC_BYTES // (1024 * 1024)} MB)")
    if data.count(b"{") + data.count(b"[") > MAX_NODES:
        # Refused before parsing: a million objects cost far more memory than their bytes.
        raise SpecError(f"{what} is too large or expands too much (more than {MAX_NODES:,} objects and arrays)")
    if looks_like_html(data, content_type):
        raise SpecError(
            f"{what} is not JSON ({media_type(content_type) or 'text/html'}); a login or SSO page?",
            hint="check the host and that the spec URL serves swagger.json",
        )
    return loads_strict(data, what=what, error=SpecError, content_type=content_type)


def read_spec_file(path: str) -> dict[str, JSON]:
    """Read a local spec: JSON, or YAML (``.yaml``/``.yml``, safe loader)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_SPEC_BYTES:
                raise SpecError(f"spec file {path} is too large ({size // (1024 * 1024)} MB)")
            # Not read(MAX + 1): that would set aside the whole 20 MB buffer for any spec.
            data = handle.read(size + 1)
    except OSError as exc:
        raise SpecError(f"cannot read spec file {path}: {exc.strerror or exc}") from exc
    if path.lower().endswith((".yaml", ".yml")):
        return _load_yaml(data, path)
    return _as_object(decode_json(data, what=f"spec file {path}"), path)


def _load_yaml(data: bytes, path: str) -> dict[str, JSON]:
    import yaml

    try:
        loaded = yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec file {path} is not valid UTF-8 at byte {exc.start}") from exc
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise SpecError(f"spec file {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    # YAML anchors make shared objects; the node count in prescan() counts each
    # visit, so an alias bomb is refused there before anything walks it for real.
    return _as_object(loaded, path)


def _as_object(value: JSON, origin: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise SpecError(f"spec from {origin} is not a JSON object")
    return value


def spec_from_bytes(data: bytes, origin: str, *, what: str | None = None, content_type: str | None = None,
                    checked: bool = False, warnings: list[str] | None = None) -> Spec:
    """Check a spec given as JSON bytes (fetched by the loader, or read back from its cache).

    ``checked`` skips the pre-scan for bytes that passed it before (the cache verifies
    their checksum first).
    """
    doc = _as_object(decode_json(data, what=what or f"spec at {origin}", content_type=content_type), origin)
    return build_spec(doc, origin, checked=checked, warnings=warnings, from_json=True)


def load_spec(source: str | os.PathLike[str] | dict[str, JSON]) -> Spec:
    """Check a local spec: a file (JSON, or YAML by its extension) or a parsed dict (copied, never changed).

    A URL is the loader's job (``cmldyn.loader``), which fetches it through the transport
    and hands the bytes to :func:`decode_json` and :func:`build_spec`.

    Raises:
        SpecError: unreadable, unusable, unsafe or too large.
    """
    if isinstance(source, dict):
        return build_spec(copy.deepcopy(source), "<dict>")
    origin = os.fspath(source)
    if "://" in origin:
        raise SpecError(f"unsupported spec source {origin}; give an http(s) URL or a local file")
    doc = read_spec_file(origin)
    return build_spec(doc, origin, from_json=not origin.lower().endswith((".yaml", ".yml")))


def build_spec(doc: dict[str, JSON], origin: str = "<dict>", *, checked: bool = False,
               warnings: list[str] | None = None, from_json: bool = False) -> Spec:
    """Check an already-parsed document (which becomes owned by the Spec); refs resolve on use.

    ``checked`` skips the pre-scan for a document that passed it before and comes back
    unchanged (the spec cache verifies its checksum first).
    """
    version = _spec_version(doc, origin)
    warnings = list(warnings or [])
    if not checked:
        prescan(doc, warnings, may_share=not from_json)
    _tag_schema_names(doc, version)
    found = doc.get("info")
    info: dict[str, JSON] = found if isinstance(found, dict) else {}
    base_path = _base_path(doc, version, [] if checked else warnings)
    return Spec(
        raw=doc,
        version=version,
        title=str(info.get("title", "")),
        api_version=str(info.get("version", "")),
        base_path=base_path,
        warnings=warnings,
        source=origin,
    )


NAME_KEY = "x-cmldyn-name"


def _tag_schema_names(doc: dict[str, JSON], version: str) -> None:
    """Mark each named schema so its name survives inlining (docs say "Project", not "object")."""
    if version.startswith("2"):
        named = doc.get("definitions")
    else:
        components = doc.get("components")
        named = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(named, dict):
        for name, schema in named.items():
            if isinstance(schema, dict) and "$ref" not in schema:
                schema[NAME_KEY] = str(name)


def _spec_version(doc: dict[str, JSON], origin: str) -> str:
    swagger = doc.get("swagger")
    openapi = doc.get("openapi")
    if isinstance(swagger, str) and swagger.startswith("2"):
        version = swagger
    elif isinstance(openapi, str) and openapi.startswith("3"):
        version = openapi
    else:
        raise SpecError(f"{origin} is not a Swagger 2.0 or OpenAPI 3.x document (no 'swagger: 2.0' or 'openapi: 3.x' field)")
    if not isinstance(doc.get("paths", {}), dict):
        raise SpecError(f"{origin}: 'paths' is not an object")
    return version


def _base_path(doc: dict[str, JSON], version: str, warnings: list[str]) -> str:
    """Only the path prefix of basePath / servers[0].url is used: the host is the user's."""
    if version.startswith("2"):
        if doc.get("host"):
            warnings.append(f"spec names host {doc['host']!r}; ignored, calls go to the configured host")
        base = doc.get("basePath") or ""
    else:
        servers = doc.get("servers") or []
        base = ""
        if servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url", ""))
            for name, var in (servers[0].get("variables") or {}).items():
                if isinstance(var, dict):
                    url = url.replace("{" + name + "}", str(var.get("default", "")))
            parts = urlsplit(url)
            if parts.netloc:
                warnings.append(f"spec names server {parts.scheme}://{parts.netloc}; ignored, calls go to the configured host")
            base = parts.path
    base = "/" + str(base).strip("/") if str(base).strip("/") else ""
    return base


def resolve(doc: dict[str, JSON]) -> dict[str, JSON]:
    """Inline internal refs with prance, keeping the ref that closes a cycle as a ``$ref``.

    Call only after :func:`prescan`: every ref left is internal, so prance has
    nothing to fetch or open.
    """
    from prance.util import resolver as prance_resolver

    if not any(True for _ in _iter_refs(doc)):
        return doc
    try:
        res = prance_resolver.RefResolver(
            doc,
            url=_PSEUDO_URL,
            resolve_types=prance_resolver.RESOLVE_INTERNAL,
            recursion_limit=1,
            recursion_limit_handler=prance_resolver.keep_ref_on_recursion,
        )
        res.resolve_references()
    except (RecursionError, MemoryError) as exc:
        raise SpecError(f"spec could not be resolved: {type(exc).__name__}") from exc
    except Exception as exc:  # prance raises ResolutionError, ValueError, KeyError, TypeError...
        raise SpecError(f"spec could not be resolved: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
    specs = res.specs
    if not isinstance(specs, dict):
        raise SpecError("spec could not be resolved: the document is not an object")
    return specs


def _iter_refs(doc: JSON) -> Iterator[dict[str, JSON]]:
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                yield node
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def validate(doc: dict[str, JSON]) -> list[str]:
    """The validator's findings as advice (never raises for an invalid spec).

    Uses openapi-spec-validator when installed (the ``validate`` extra). Only ever
    given a document whose refs were checked to be internal by :func:`prescan`.
    """
    try:
        from openapi_spec_validator.validation.validators import (
            OpenAPIV2SpecValidator,
            OpenAPIV30SpecValidator,
            OpenAPIV31SpecValidator,
        )
    except Exception:
        return ["validation skipped: install cmldyn[validate] (openapi-spec-validator) for the validator's findings"]
    version = str(doc.get("swagger") or doc.get("openapi") or "")
    cls = (
        OpenAPIV2SpecValidator
        if version.startswith("2")
        else (OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator)
    )
    findings: list[str] = []
    try:
        for error in cls(doc).iter_errors():
            where = "/".join(str(p) for p in getattr(error, "absolute_path", []) or [])
            findings.append(f"{where or '(root)'}: {str(getattr(error, 'message', error)).splitlines()[0][:300]}")
            if len(findings) >= 200:
                findings.append("(more findings not shown)")
                break
    except Exception as exc:  # the validator's own failures are advice too
        findings.append(f"validator stopped: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
    return findings
