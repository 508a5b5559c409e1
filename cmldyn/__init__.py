"""cmldyn: drive any Swagger 2.0 / OpenAPI 3.x API, first of all Cloudera Machine Learning's
API v2, from Python, a REPL and a command line, with no generated code.

    import cmldyn
    api = cmldyn.Client("https://ml-xxxx.cloudera.site", token)
    api.list_projects(page_size=2)
"""

from __future__ import annotations

from ._version import __version__
from .client import Client, default_client
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
)
from .results import Result

__all__ = [
    "ApiError",
    "ApiException",
    "AuthError",
    "Client",
    "CmldynError",
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
    "__version__",
    "default_client",
]
