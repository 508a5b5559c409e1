"""The spec cache: one file per (origin, spec URL), revalidated with ETag / Last-Modified.

Owns: where cached specs live, what an entry holds (the spec text, its validators,
a sha256 of the text, the operation names for a later diff) and when an entry is
not to be trusted (hash mismatch, group/other-writable, another owner: ignored with
a warning, fetched again). JSON only, never pickle, and never the API key.
May import: errors, storage.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import StorageError
from .storage import read_private, write_private

__all__ = ["CacheEntry", "SpecCache", "default_cache_dir"]

FORMAT = 2


def default_cache_dir() -> str:
    from platformdirs import user_cache_dir

    return os.path.join(user_cache_dir("cmldyn", appauthor=False), "specs")


@dataclass
class CacheEntry:
    url: str
    text: str
    etag: str | None = None
    last_modified: str | None = None
    saved_at: float = 0.0
    operations: list[str] = field(default_factory=list)
    path: str = ""
    table: dict[str, Any] | None = None  # the processed operation index and load warnings

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class SpecCache:
    """Cached specs under one directory; ``warnings`` collects what was ignored and why."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or default_cache_dir()
        self.warnings: list[str] = []

    def path_for(self, origin: str, url: str) -> str:
        """The entry's metadata file; the spec itself sits beside it with ``.spec`` instead of ``.json``."""
        key = hashlib.sha256(f"{origin}\n{url}".encode()).hexdigest()[:32]
        return os.path.join(self.directory, f"{key}.json")

    def _read(self, path: str) -> bytes | None:
        """A cache file's bytes, or None: missing, or not safe to trust (a link, another owner, open to
        others), which is said once; the fetch that follows replaces it with a private copy."""
        try:
            data, warnings = read_private(path)
        except FileNotFoundError:
            return None
        except StorageError as exc:
            reason = exc.message
        else:
            if not warnings:
                return data
            reason = warnings[0].split(";")[0]
        link = " (the link is replaced, what it points to is left alone)" if os.path.islink(path) else ""
        self.warnings.append(f"spec cache ignored: {reason}; the spec is fetched again and the file replaced with a "
                             f"private one{link}")
        return None

    def get(self, origin: str, url: str) -> CacheEntry | None:
        path = self.path_for(origin, url)
        meta = self._read(path)
        if meta is None:
            return None
        try:
            record = json.loads(meta.decode("utf-8"))
            if record.get("format") != FORMAT or record.get("url") != url:
                return None
            body = self._read(path[: -len(".json")] + ".spec")
            if body is None:
                return None
            # The spec is kept as the server's bytes (one JSON parse to load, not two); the
            # checksum in the metadata ties the pair together, so a half-finished update or an
            # edit on disk is noticed.
            if hashlib.sha256(body).hexdigest() != record.get("sha256"):
                self.warnings.append(f"spec cache ignored: {path} does not match its checksum (changed on disk?)")
                return None
            text = body.decode("utf-8")
        except (ValueError, KeyError, TypeError, AttributeError):
            self.warnings.append(f"spec cache ignored: {path} is not a valid cache file")
            return None
        return CacheEntry(url=url, text=text, etag=record.get("etag"), last_modified=record.get("last_modified"),
                          saved_at=float(record.get("saved_at") or 0), operations=list(record.get("operations") or []),
                          path=path, table=record.get("table") if isinstance(record.get("table"), dict) else None)

    def put(self, origin: str, url: str, text: str, *, etag: str | None, last_modified: str | None,
            operations: list[str], table: dict[str, Any] | None = None) -> str | None:
        """Store an entry; a failure to write is a warning, never an error (the call goes on)."""
        path = self.path_for(origin, url)
        body = text.encode("utf-8")
        record: dict[str, Any] = {
            "format": FORMAT, "url": url, "etag": etag, "last_modified": last_modified, "saved_at": time.time(),
            "sha256": hashlib.sha256(body).hexdigest(), "operations": operations, "table": table,
        }
        try:
            write_private(path[: -len(".json")] + ".spec", body, replace_link=True)
            write_private(path, json.dumps(record).encode("utf-8"), replace_link=True)
        except (OSError, StorageError) as exc:
            self.warnings.append(f"spec cache not written: {getattr(exc, 'strerror', None) or exc}")
            return None
        return path
