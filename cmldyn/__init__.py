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

from typing import Any

from ._version import __version__
from .client import Client, default_client
from .compat import ApiClient, CMLServiceApi, Configuration, rest, utils  # noqa: F401  (cmlapi.rest.ApiException, cmlapi.utils.Cursor)
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
from .results import Result

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
    """``cmldyn.CreateProjectRequest`` and every other schema of the shipped CML spec, made on first use."""
    if name[:1].isupper():
        from .classes import builtin_class

        found = builtin_class(name)
        if found is not None:
            return found
    raise AttributeError(f"module 'cmldyn' has no attribute {name!r}")
