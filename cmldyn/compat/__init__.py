"""``cmlapi``: what scripts written for the generated ``cmlapi`` package expect, on top of Client.

    import cmlapi                                   # under `cmldyn run`, the pytest plugin or enable()
    from cmlapi.utils import Cursor
    from cmlapi.rest import ApiException
    config = cmlapi.Configuration(); config.host = "https://ml-xxxx.cloudera.site"
    api_client = cmlapi.ApiClient(config)
    api_client.set_default_header("authorization", "Bearer " + key)
    client = cmlapi.CMLServiceApi(api_client)      # every operation of the live spec
    client.list_projects(page_size=10)

This package mirrors the generated client's layout: ``configuration`` (Configuration),
``api_client`` (ApiClient), ``api.cml_service_api`` (CMLServiceApi), ``models`` (every request
and answer class of the spec), ``rest`` and ``exceptions`` (ApiException), ``utils`` (Cursor).
:mod:`cmldyn.compat.alias` makes ``import cmlapi`` resolve here, on request only. The spec is
fetched on the first call, not at construction, as cmlapi needs no network to build its client
objects. May import: client, errors, paginate, settings, classes.
"""

from __future__ import annotations

import threading
from typing import Any

from ..client import Client, connect, default_client
from ..errors import ApiException
from ..settings import Settings
from . import api_client, configuration, exceptions, models, rest, utils
from .api_client import ApiClient
from .configuration import Configuration

__all__ = ["ApiClient", "ApiException", "CMLServiceApi", "Configuration", "api_client", "configuration",
           "default_client", "exceptions", "models", "rest", "utils"]


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


def __getattr__(name: str) -> Any:
    """``cmlapi.CreateJobRequest`` and every other class of the shipped CML spec, made on first use."""
    return models.__getattr__(name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(models.__dir__()))
