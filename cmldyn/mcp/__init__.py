"""``cmldyn mcp``: a Model Context Protocol server built from the live spec (the SDK is an optional
extra, ``cmldyn[mcp]``, imported only by server.py)."""

__all__: list[str] = []
