"""Test helpers shared by several test files: a raw-socket fault server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Callable


class RawServer:
    """A raw-socket server that hands each connection to ``behave``; bounded in time."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.behave = behave
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            read_request(conn)
            self.behave(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def dripping(drops: int, pause: float, length: int = 100_000) -> Callable[[socket.socket], None]:
    """A fault-server behaviour: promise ``length`` bytes, then send one byte every ``pause`` seconds."""

    def drip(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode())
        for _ in range(drops):
            conn.sendall(b" ")
            time.sleep(pause)

    return drip


class Terminal:
    """``python -m cmldyn ARGS`` in a real pseudo-terminal, with what it has printed so far."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: str) -> None:
        import os
        import pty
        import sys

        self.pid, self.fd = pty.fork()
        if self.pid != 0:  # a real window size, as a terminal emulator sets it (40 rows, 120 columns)
            import fcntl
            import struct
            import termios

            fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        if self.pid == 0:  # the child
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "cmldyn", *args],
                      {"TERM": "xterm", "COLUMNS": "120", "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1", **env})
        self.screen = b""

    def type(self, text: bytes) -> None:
        import os

        os.write(self.fd, text)

    def wait_for(self, pattern: bytes, timeout: float = 30) -> bool:
        """Read until ``pattern`` has appeared since the last clear(); False if it has not by the timeout."""
        import os
        import select
        import time

        deadline = time.monotonic() + timeout
        while pattern not in self.screen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536)
                except OSError:
                    break
        return pattern in self.screen

    def clear(self) -> None:
        self.screen = b""

    def tab(self, text: bytes, pause: float = 0.3) -> None:
        """Type ``text``, give the completer a moment, press Tab."""
        import time

        self.type(text)
        time.sleep(pause)
        self.type(b"\t")

    def answered(self, pattern: bytes, timeout: float = 15) -> bool:
        """Wait for ``pattern`` and keep only what follows it (where the next prompt will show)."""
        if not self.wait_for(pattern, timeout):
            return False
        self.after(pattern)
        return True

    def leave(self, timeout: float = 15, pause: float = 0.0) -> int | None:
        """Once the prompt is up, Ctrl-D on its empty line: the exit status (None if it did not leave)."""
        import time

        if not self.wait_for(b">>>", 10):
            return None
        time.sleep(pause)
        self.type(b"\x04")
        return self.exit_status(timeout)

    def after(self, pattern: bytes) -> None:
        """Keep only what came after ``pattern`` (which may already hold the next prompt)."""
        self.screen = self.screen[self.screen.index(pattern) + len(pattern):]

    def exit_status(self, timeout: float = 15) -> int | None:
        """The exit code once the child has left (draining its output meanwhile), or None."""
        import os
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wait_for(b"\x00", 0.2)  # keep the terminal drained so the child never blocks on output
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        return None

    def close(self) -> None:
        import os

        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def minimal_spec(**extra: Any) -> dict[str, Any]:
    """A one-operation Swagger 2.0 spec (GET /x answering a schema X); ``extra`` replaces top-level keys."""
    ok = {"200": {"description": "ok", "schema": {"$ref": "#/definitions/X"}}}
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "GetX", "responses": ok}}},
        "definitions": {"X": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    doc.update(extra)
    return doc
