"""cmldyn: drive any Swagger 2.0 / OpenAPI 3.x API, first of all Cloudera Machine Learning's
API v2, from Python, a REPL and a command line, with no generated code.

    import cmldyn
    api = cmldyn.Client("https://ml-xxxx.cloudera.site", token)
    api.list_projects(page_size=2)

Scripts written for the generated ``cmlapi`` run with ``import cmldyn as cmlapi``:
Configuration / ApiClient / CMLServiceApi, default_client(), the request classes
(cmldyn.CreateProjectRequest ...), cmlapi.rest.ApiException and cmlapi.utils.Cursor as attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    ApiError,
    ApiException,
    AuthError,
    CmldynError,
    CredentialError,
    FilterError,
    NotFoundError,
    OperationError,
    PaginationError,
    ParamError,
    ResponseError,
    SpecError,
    TransportError,
    WaiterError,
    WorkloadError,
)

if TYPE_CHECKING:  # made on first use below (PEP 562): `cmldyn --version` imports none of the client
    from .client import Client, default_client
    from .compat import ApiClient, CMLServiceApi, Configuration, rest, utils  # noqa: F401  (cmldyn.rest, cmldyn.utils)
    from .results import Result

#: The names this package lends from its modules, imported when first used.
_LAZY = {"Client": "client", "default_client": "client", "ApiClient": "compat", "CMLServiceApi": "compat",
         "Configuration": "compat", "rest": "compat", "utils": "compat", "Result": "results"}

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiException",
    "AuthError",
    "CMLServiceApi",
    "Client",
    "CmldynError",
    "Configuration",
    "CredentialError",
    "FilterError",
    "NotFoundError",
    "OperationError",
    "PaginationError",
    "ParamError",
    "ResponseError",
    "Result",
    "SpecError",
    "TransportError",
    "WaiterError",
    "WorkloadError",
    "__version__",
    "default_client",
]


def __dir__() -> list[str]:
    """The public names and every request class of the shipped CML spec, so ``cmldyn.CreateJ<Tab>`` completes."""
    from .classes import builtin_names

    return sorted(set(__all__) | set(builtin_names()))


def __getattr__(name: str) -> Any:
    """The client's names on first use; ``cmldyn.CreateProjectRequest`` and every other schema of the shipped
    CML spec, made on first use."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name[:1].isupper():
        from .classes import builtin_class

        found = builtin_class(name)
        if found is not None:
            return found
    raise AttributeError(f"module 'cmldyn' has no attribute {name!r}")
