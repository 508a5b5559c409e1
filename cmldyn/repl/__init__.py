"""The interactive console (prompt_toolkit lives only here)."""
