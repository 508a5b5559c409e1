"""``cmlapi.configuration``: ``Configuration``, the connection settings a generated-client script fills in.

``api_key`` keeps every value as a Secret (so nothing holding it shows a key); the rest are plain
attributes named as in cmlapi. May import: errors.
"""

from __future__ import annotations

from typing import Any

from ..errors import Secret

__all__ = ["Configuration"]


class Configuration:
    """Connection settings, named as in cmlapi: ``host``, ``verify_ssl``, ``ssl_ca_cert``, ``api_key`` and
    ``api_key_prefix``, ``proxy``."""

    def __init__(self, host: str | None = None, api_key: dict[str, str] | None = None,
                 api_key_prefix: dict[str, str] | None = None) -> None:
        self.host = host or ""
        self.verify_ssl = True
        self.ssl_ca_cert: str | None = None
        self.api_key: dict[str, str] = _KeyTable(api_key or {})
        self.api_key_prefix: dict[str, str] = dict(api_key_prefix or {})
        self.timeout: float | None = None
        self.proxy: str | None = None

    def __repr__(self) -> str:
        return f"Configuration(host={self.host!r}, verify_ssl={self.verify_ssl})"


class _KeyTable(dict):  # type: ignore[type-arg]
    """``Configuration.api_key`` as cmlapi scripts fill it (``config.api_key["authorization"] = key``):
    each value is kept as a Secret, so nothing holding the table shows a key."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__()
        self.update(values)

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, Secret.of(value))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value
