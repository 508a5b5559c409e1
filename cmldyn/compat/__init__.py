"""What scripts written for the generated ``cmlapi`` package expect, on top of Client.

    import cmldyn as cmlapi
    config = cmlapi.Configuration(); config.host = "https://ml-xxxx.cloudera.site"
    api_client = cmlapi.ApiClient(config)
    api_client.set_default_header("authorization", "Bearer " + key)
    client = cmlapi.CMLServiceApi(api_client)      # every operation of the live spec
    client.list_projects(page_size=10)

The spec is fetched on the first call, not at construction, as cmlapi needs no
network to build its client objects. The generated package's other modules are here under
their own names: ``rest`` (ApiException) and ``utils`` (Cursor). May import: client, errors,
paginate, settings.
"""

from __future__ import annotations

import threading
from typing import Any

from ..client import Client, connect
from ..errors import Secret, reveal
from ..settings import Settings

__all__ = ["ApiClient", "CMLServiceApi", "Configuration"]


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


class ApiClient:
    """Holds a Configuration and default headers; the key comes from the ``authorization`` header."""

    def __init__(self, configuration: Configuration | None = None, header_name: str | None = None,
                 header_value: str | None = None) -> None:
        self.configuration = configuration or Configuration()
        self.default_headers: dict[str, Secret | str] = {}
        if header_name is not None and header_value is not None:
            self.set_default_header(header_name, header_value)

    def set_default_header(self, header_name: str, header_value: str) -> None:
        name = header_name.lower()
        # The authorization header holds the key: kept as a Secret, so vars() and repr never show it.
        self.default_headers[name] = Secret(header_value) if name == "authorization" else header_value

    def token(self) -> Secret | None:
        value = self.default_headers.get("authorization")
        if value is None:
            key = reveal(self.configuration.api_key.get("authorization"))
            prefix = self.configuration.api_key_prefix.get("authorization", "")
            value = f"{prefix} {key}".strip() if key else None
        return Secret.of(value)

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"ApiClient(host={self.configuration.host!r}, headers={sorted(self.default_headers)})"


class CMLServiceApi:
    """Every operation of the workspace's live spec, built on first use from an ApiClient."""

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self.api_client = api_client or ApiClient()
        self._client: Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                config = self.api_client.configuration
                settings = Settings(host=config.host, token=self.api_client.token(), ca_cert=config.ssl_ca_cert,
                                    insecure=not config.verify_ssl, timeout=config.timeout or None,
                                    proxy=config.proxy or None)
                self._client = connect(settings)
            return self._client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.client, name)

    def __dir__(self) -> list[str]:
        return dir(self.client)

    def __repr__(self) -> str:
        return f"<cmldyn.CMLServiceApi {self.api_client.configuration.host!r}>"
