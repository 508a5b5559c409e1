"""The spec loader: a spec source in, a checked spec and its operation model out.

Owns "source -> model" from end to end: a local file or a dict (through spec.py), a URL
fetched through the transport (with the user's key, TLS settings and time limits), and the
spec cache around it (one conditional request per start, ``offline``, ``refresh``, the
operations added and removed since the cached copy). May import: errors, cache, model,
results, spec, transport. Must not: build requests or know about Client.

The route of a URL source, going only downward::

    SpecLoader.load(url)
      -> SpecCache.get            the cached bytes, ETag and operation index, if any
      -> Transport.fetch          one GET, conditional when the cache has an entry
      -> spec.spec_from_bytes     strict JSON, the safety pre-scan (skipped for a 304)
      -> ServiceModel             the operation index (taken from the cache on a 304)
      -> SpecCache.put            a fetched spec is stored with its index
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._version import __version__
from .cache import CacheEntry, SpecCache
from .errors import SpecError, TransportError
from .model import ServiceModel
from .results import error_from_response
from .spec import Spec, load_spec, spec_from_bytes
from .transport import Response, Transport

__all__ = ["LoadedSpec", "SPEC_PATH", "SpecLoader", "SpecSource", "UNREACHABLE", "default_spec_url", "open_cache"]

SPEC_PATH = "/api/v2/swagger.json"  # where a CML workspace serves its spec

SpecSource = str | os.PathLike[str] | dict[str, Any] | Spec

# The state of a spec taken from the cache because the server could not be reached (browsing works; calls fail).
UNREACHABLE = "cache (server unreachable)"


def default_spec_url(base_url: str) -> str:
    """The spec URL of a workspace: ``{host}/api/v2/swagger.json``."""
    return base_url.rstrip("/") + SPEC_PATH


def open_cache(option: SpecCache | str | bool | None) -> SpecCache | None:
    """``True``: the user's cache directory; a path: that directory; a SpecCache as it is; None/False: no cache."""
    if isinstance(option, SpecCache):
        return option
    if isinstance(option, str):
        return SpecCache(option)
    return SpecCache() if option else None


@dataclass
class LoadedSpec:
    """What a load produced: the spec, its operation model, and how it was obtained.

    ``state`` is ``fetched``, ``cache (not modified)``, ``cache (offline)``, ``file`` or ``given``;
    ``changes`` is (added, removed) operation names when a fetched spec replaced a cached one.
    """

    spec: Spec
    model: ServiceModel
    source: SpecSource
    state: str = "given"
    changes: tuple[list[str], list[str]] | None = None
    cache_path: str | None = None
    notes: list[str] = field(default_factory=list)  # what the cache ignored and why


def _is_url(source: SpecSource) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


class SpecLoader:
    """Loads specs for one transport (origin, key, TLS) and one cache.

    Args:
        transport: fetches URL sources; None allows only files and dicts.
        cache: where fetched specs are kept (see :func:`open_cache`); None: no cache.
        offline: use the cached copy without asking the server.
        refresh: fetch unconditionally, whatever the cache holds.
        reserved: names operations must not take (the client's own attributes).
    """

    def __init__(self, transport: Transport | None = None, *, cache: SpecCache | None = None,
                 offline: bool = False, refresh: bool = False, reserved: Iterable[str] = ()) -> None:
        self.transport = transport
        self.cache = cache
        self.offline = offline
        self.refresh = refresh
        self.reserved = frozenset(reserved)
        # A cached operation index is reused only by the cmldyn version (and reserved names) that made it.
        digest = hashlib.sha256(" ".join(sorted(self.reserved)).encode()).hexdigest()[:12]
        self._table_maker = f"{__version__}:{digest}"

    def load(self, source: SpecSource, *, refresh: bool | None = None) -> LoadedSpec:
        """Load a spec from a URL, a local file, a dict or an already checked Spec.

        Raises:
            SpecError: the spec could not be fetched, read, parsed or was refused.
            TransportError: the server could not be reached.
        """
        refresh = self.refresh if refresh is None else refresh
        if isinstance(source, Spec):
            return self._loaded(source, source, "given")
        if _is_url(source):
            assert isinstance(source, str)
            if self.cache is not None:
                return self._load_cached(source, refresh)
            if self.offline:
                raise SpecError("--offline needs the spec cache (or a local --spec file)")
            response = self._fetch(source)
            spec = spec_from_bytes(response.body, source, content_type=response.headers.get("content-type"))
            return self._loaded(spec, source, "fetched")
        spec = load_spec(source)  # a local file or a dict: nothing to fetch, offline or not
        return self._loaded(spec, source, "given" if isinstance(source, dict) else "file")

    def diff(self, url: str) -> tuple[str, list[str], list[str]] | None:
        """(cached copy's path, operations added, operations removed) between the cached copy and
        the server's spec now, or None when there is no cached copy. The cache is left as it is.

        Raises:
            SpecError: the live spec cannot be loaded.
        """
        response = self._fetch(url)  # first: an unreachable server is the error to report
        live = spec_from_bytes(response.body, url, content_type=response.headers.get("content-type"))
        entry = self.cache.get(self._origin(), url) if self.cache is not None else None
        if entry is None:
            return None
        now = set(ServiceModel(live, reserved=self.reserved).names())
        before = set(entry.operations)
        return entry.path, sorted(now - before), sorted(before - now)

    # ------------------------------------------------------------------ internals

    def _loaded(self, spec: Spec, source: SpecSource, state: str, *, table: list[list[Any]] | None = None,
                cache_path: str | None = None) -> LoadedSpec:
        model = ServiceModel(spec, reserved=self.reserved, table=table)
        if not model.operations:  # nothing to call, list or simulate: almost surely not the file meant
            raise SpecError(f"{spec.source or 'the spec'} declares no operations (its 'paths' is empty or missing)",
                            hint="give the API's full spec (for CML: https://<workspace>/api/v2/swagger.json)")
        notes = list(self.cache.warnings) if self.cache is not None else []
        return LoadedSpec(spec=spec, model=model, source=source, state=state, cache_path=cache_path, notes=notes)

    def _origin(self) -> str:
        if self.transport is None:
            raise SpecError("a spec URL needs a host to fetch it from")
        return self.transport.origin

    def _fetch(self, url: str, headers: dict[str, str] | None = None, *, allow_304: bool = False) -> Response:
        """GET the spec with the transport's TLS settings and time limits (the key only on its own origin)."""
        self._origin()
        assert self.transport is not None
        response = self.transport.fetch(url, {"accept": "application/json", **(headers or {})})
        if response.status >= 400 or (response.status == 304 and not allow_304):
            error = error_from_response(response.status, response.reason, response.body, response.headers,
                                        operation=None, secrets=self.transport.secrets)
            failure = SpecError(f"cannot fetch the spec from {url}: {error.message}",
                                hint="check --host, or give the spec with --spec FILE")
            failure.__cause__ = error
            raise failure
        return response

    def _load_cached(self, url: str, refresh: bool) -> LoadedSpec:
        """One conditional request; a 304 (or offline) reuses the cached bytes and operation index."""
        assert self.cache is not None
        origin = self._origin()
        path = self.cache.path_for(origin, url)
        entry = self.cache.get(origin, url)
        if self.offline:
            if entry is None:
                raise SpecError(f"no cached spec for {url}", hint="run once without --offline to fetch it")
            return self._from_entry(entry, url, "cache (offline)")
        validators = entry.validators() if entry is not None and not refresh else {}
        try:
            response = self._fetch(url, validators, allow_304=entry is not None)
        except TransportError as error:
            if entry is None:
                error.hint = (error.hint or "check --host") + "; once the spec is cached, --offline browses it without the server"
                raise
            # The server is not there, the spec is: browse and complete from it; calls fail on their own.
            loaded = self._from_entry(entry, url, UNREACHABLE)
            saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at)) if entry.saved_at else "earlier"
            loaded.notes.append(f"cannot reach the server ({error.message}); using the spec cached {saved} "
                                "(--offline skips this check)")
            return loaded
        if response.status == 304 and entry is not None:
            return self._from_entry(entry, url, "cache (not modified)")
        spec = spec_from_bytes(response.body, url, content_type=response.headers.get("content-type"))
        loaded = self._loaded(spec, url, "fetched", cache_path=path)
        names = loaded.model.names()
        text = response.body.decode("utf-8")  # strict JSON decoding has just proved it is UTF-8
        if entry is not None and entry.text != text:
            loaded.changes = (sorted(set(names) - set(entry.operations)), sorted(set(entry.operations) - set(names)))
        table = {"made_by": self._table_maker, "rows": loaded.model.table(), "warnings": list(spec.warnings)}
        self.cache.put(origin, url, text, etag=response.headers.get("etag"),
                       last_modified=response.headers.get("last-modified"), operations=names, table=table)
        loaded.notes = list(self.cache.warnings)
        return loaded

    def _from_entry(self, entry: CacheEntry, url: str, state: str) -> LoadedSpec:
        """A spec from the cache: checked when it was stored (and its checksum verified on read), so the
        pre-scan is skipped, and the operation index is reused when this version of cmldyn made it."""
        table = entry.table or {}
        usable = table.get("made_by") == self._table_maker and isinstance(table.get("rows"), list)
        spec = spec_from_bytes(entry.text.encode("utf-8"), url, what=f"cached spec {entry.path}", checked=usable,
                               warnings=table.get("warnings") if usable else None)
        return self._loaded(spec, url, state, table=table["rows"] if usable else None, cache_path=entry.path)

