"""``cmlapi.rest``: ``ApiException`` for scripts that catch it there, the same class as cmldyn.ApiError."""

from ..errors import ApiError, ApiException

__all__ = ["ApiError", "ApiException"]
