"""``cmlapi.api_client``: ``ApiClient``, a Configuration plus default headers; the key is the
``authorization`` header (``set_default_header("authorization", "Bearer " + key)``) or the
configuration's ``api_key``. May import: errors, compat.configuration.
"""

from __future__ import annotations

from ..errors import Secret, reveal
from .configuration import Configuration

__all__ = ["ApiClient"]


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
