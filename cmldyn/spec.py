"""Turn spec bytes, a local file or a dict into one checked document whose refs resolve on use.

Owns: parsing (strict JSON; YAML only from local files, safe loader), the Spec with its
base path, schema names and graph of schema views, and the two jobs prance keeps:
the validator's findings (``cmldyn spec validate``) and a resolved export with cycles kept
as refs (``cmldyn spec resolve``). May import: errors, jsonvalue, prescan, schema, prance, yaml.
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
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

from .errors import SpecError
from .jsonvalue import JSON, loads_strict, looks_like_html, media_type
from .prescan import MAX_NODES, MAX_SPEC_BYTES, follow, prescan
from .schema import Schema, SchemaGraph

__all__ = [
    "HTTP_METHODS",
    "Spec",
    "build_spec",
    "decode_json",
    "load_spec",
    "read_spec_file",
    "resolve",
    "resolved_text",
    "spec_from_bytes",
    "validate",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# prance needs a base URL for internal refs; the resolver finds the document itself
# in its reference cache under this key, so nothing is ever opened at this path.
_PSEUDO_URL = "file:///cmldyn-in-memory/spec.json"


@dataclass
class Spec:
    """A checked spec: the document as loaded, and a graph of views over its schemas.

    Nothing is resolved or inlined: ``graph`` follows a ``$ref`` when code steps into it, so a
    1,000-operation spec costs nothing for the operations never touched, a shared schema is one
    view, and a cycle is a loop. Read ``raw``; never change it.
    """

    raw: dict[str, JSON]
    version: str
    title: str
    api_version: str
    base_path: str
    warnings: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self.graph = SchemaGraph(self.raw, openapi3=self.is_openapi3)

    @property
    def is_openapi3(self) -> bool:
        return self.version.startswith("3")

    def lookup(self, pointer: str) -> Schema:
        """The schema view at an internal JSON pointer (``#/definitions/X``); KeyError if it leads nowhere."""
        return self.graph.view(follow(self.raw, pointer), pointer)

    def schema_names(self) -> list[str]:
        return self.graph.names()

    def schema(self, name: str) -> Schema | None:
        """A named definition (Swagger 2) or component schema (OpenAPI 3), as a view."""
        return self.graph.named(name)


def decode_json(data: bytes, *, what: str = "spec", content_type: str | None = None, local: bool = False) -> JSON:
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
        if local:  # a page saved from a browser, not the spec it showed
            raise SpecError(f"{what} is not JSON (text/html): an HTML page, not a spec",
                            hint="save the spec itself (the JSON at https://<workspace>/api/v2/swagger.json), "
                                 "or give that URL to --spec")
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
    return _as_object(decode_json(data, what=f"spec file {path}", local=True), path)


def _load_yaml(data: bytes, path: str) -> dict[str, JSON]:
    import yaml

    try:
        loaded = yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec file {path} is not valid UTF-8 at byte {exc.start}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SpecError(f"spec file {path} is not valid YAML{where}: {exc.problem or exc.context or 'invalid syntax'}") \
            from exc
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
    """Check an already-parsed document (which becomes owned by the Spec); refs are followed on use.

    ``checked`` skips the pre-scan for a document that passed it before and comes back
    unchanged (the spec cache verifies its checksum first).
    """
    version = _spec_version(doc, origin)
    warnings = list(warnings or [])
    if not checked:
        prescan(doc, warnings, may_share=not from_json)
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


_REF_PROPERTY = "$ref\u0000property"  # a property named $ref, renamed while prance resolves (it takes any $ref key)
MAX_RESOLVED_BYTES = 64 * 1024 * 1024


def resolved_text(spec: Spec, *, limit: int = MAX_RESOLVED_BYTES) -> str:
    """The spec with its internal refs inlined by prance, as JSON text; a ref that closes a cycle stays a ``$ref``.

    Inlining repeats every shared schema wherever it is used, and an API whose schemas form a large
    cycle has exponentially many paths through it, so the text is bounded: past ``limit`` bytes this
    stops with a SpecError instead of filling the memory. The document itself is left as it is.

    Raises:
        SpecError: prance could not resolve it, or the resolved text would pass ``limit``.
    """
    import json

    def rename(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
        return {(_REF_PROPERTY if key == "$ref" and not isinstance(value, str) else key): value for key, value in pairs}

    copy_of = json.loads(json.dumps(spec.raw), object_pairs_hook=rename)
    resolved = resolve(copy_of)
    chunks: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(indent=1, ensure_ascii=False).iterencode(resolved):
        size += len(chunk)
        if size > limit:
            raise SpecError(f"the resolved spec would be larger than {limit // (1024 * 1024)} MB: its shared schemas and "
                            "cycles repeat when inlined", hint="use the spec as it is; cmldyn itself never inlines it")
        chunks.append(chunk)
    return "".join(chunks).replace(json.dumps(_REF_PROPERTY), '"$ref"')


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
