"""The interactive console (prompt_toolkit lives only here)."""

__all__: list[str] = []
