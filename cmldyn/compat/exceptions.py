"""``cmlapi.exceptions``: the error classes where newer generated clients keep them (``ApiException``,
``ApiValueError``, ``ApiTypeError``), the same classes cmldyn raises. May import: errors.
"""

from ..errors import ApiError, ApiException, ParamError

ApiValueError = ParamError  # a bad argument value, found before anything is sent
ApiTypeError = ParamError  # a bad argument type

__all__ = ["ApiError", "ApiException", "ApiTypeError", "ApiValueError"]
