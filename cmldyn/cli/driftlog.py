"""The drift log: what ``cmldyn spec drift`` lists, kept between commands.

Owns: appending the findings of one command's answers (``api.contract``) to a small private JSON
file per server in the user's cache directory (0600 in a 0700 directory, the newest 500 kept, never
the key: findings are redacted before they get here), and reading it back. Runs against ``--demo``
share one log, so they do not leave a file per random port. May import: errors, settings, storage.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import TYPE_CHECKING, Any

from ..errors import StorageError
from ..storage import read_private, write_private

if TYPE_CHECKING:
    from ..client import Client
    from ..settings import Settings

__all__ = ["KEEP", "drift_path", "read_drift", "record_drift"]

KEEP = 500


def drift_path(settings: Settings, cache_dir: str | None = None) -> str:
    from platformdirs import user_cache_dir

    server = "demo" if settings.demo else settings.base_url
    name = hashlib.sha256(server.encode()).hexdigest()[:20] + ".json"
    base = os.path.join(cache_dir, "..") if cache_dir else user_cache_dir("cmldyn", appauthor=False)
    return os.path.join(os.path.abspath(base), "drift", name)


def read_drift(path: str) -> list[dict[str, Any]]:
    try:
        data, _ = read_private(path)
        found = json.loads(data)
    except FileNotFoundError:
        return []
    except (StorageError, ValueError):
        return []  # a damaged or unsafe log is no log; the next command writes it anew
    return [f for f in found.get("findings", []) if isinstance(f, dict)] if isinstance(found, dict) else []


def record_drift(api: Client, settings: Settings, cache_dir: str | None = None) -> None:
    """Append this command's findings (if any) to the server's log; a log that cannot be written is skipped."""
    found = api.contract.findings
    if not found:
        return
    path = drift_path(settings, cache_dir)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = read_drift(path) + [{**d.to_dict(), "at": stamp} for d in found]
    try:
        write_private(path, json.dumps({"findings": rows[-KEEP:]}).encode())
    except (OSError, StorageError):
        pass
