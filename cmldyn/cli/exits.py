"""Exit codes: the only place errors become numbers.

    0 ok · 1 the API said no, or any other runtime failure · 2 usage (bad or unknown arguments,
    unknown operation, invalid JMESPath, bad config) · 3 network, TLS or timeout · 4 auth (401/403,
    or no key) · 5 the spec could not be loaded, or was refused · 6 ``--strict``: an answer differs
    from the spec · 7 the calls worked, the workload failed (a run, build, deployment or application
    ended in a failure state: ``call --wait``, ``env --restart-apps``, ``app upgrade-runtime``,
    ``amp apply``) · 130 interrupted (Ctrl-C)

Mapped by class, never by message. May import: errors.
"""

from __future__ import annotations

import enum

from ..errors import (
    AuthError,
    ConfigError,
    ContractError,
    CredentialError,
    FilterError,
    OperationError,
    ParamError,
    SpecError,
    TransportError,
    UsageError,
    WorkloadError,
)

__all__ = ["Exit", "exit_code"]


class Exit(enum.IntEnum):
    """What ``cmldyn`` exits with; scripts may rely on these."""

    OK = 0
    API = 1
    USAGE = 2
    NETWORK = 3
    AUTH = 4
    SPEC = 5
    DRIFT = 6
    WORKLOAD = 7
    INTERRUPTED = 130


def exit_code(error: BaseException) -> Exit:
    """The documented code for an error, by its class."""
    if isinstance(error, KeyboardInterrupt):
        return Exit.INTERRUPTED
    if isinstance(error, SpecError):
        return Exit.SPEC
    if isinstance(error, ContractError):
        return Exit.DRIFT
    if isinstance(error, WorkloadError):
        return Exit.WORKLOAD
    if isinstance(error, TransportError):
        return Exit.NETWORK
    if isinstance(error, (AuthError, CredentialError)):
        return Exit.AUTH
    if isinstance(error, (ParamError, OperationError, FilterError, UsageError, ConfigError)):
        return Exit.USAGE
    return Exit.API
