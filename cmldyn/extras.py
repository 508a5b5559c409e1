"""The keyword arguments of the generated ``cmlapi`` client, for scripts written against it.

Owns: reading ``_request_timeout`` (seconds, or (connect, read)), ``async_req=True`` (the call runs on a
small shared pool and an :class:`AsyncResult` comes back, with ``get(timeout)``, ``ready()``,
``wait()`` and ``successful()`` as the generated client's thread-pool result has),
``_preload_content=False`` (the raw answer: ``.data``, ``.status``, ``.getheaders()``), and
``_return_http_data_only=False`` (``(data, status, headers)``, what ``<op>_with_http_info`` returns).
May import: docs, errors, request. Knows nothing of Client: it is handed the functions that send.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any, Callable

from .docs import render_doc
from .errors import ParamError
from .request import PreparedRequest

__all__ = ["AsyncResult", "EXTRAS", "Pool", "RawAnswer", "split_extras", "with_http_info", "with_timeout"]

EXTRAS = ("_request_timeout", "async_req", "_preload_content", "_return_http_data_only")
POOL_SIZE = 4


def split_extras(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the generated client's own keywords out of ``kwargs`` (they are not API parameters)."""
    return {name: kwargs.pop(name) for name in EXTRAS if name in kwargs}


def with_http_info(call: Callable[..., Any], op: Any) -> Callable[..., Any]:
    """cmlapi's ``<op>_with_http_info``: the same call, answering (data, status, headers)."""
    def with_info(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("_return_http_data_only", False)
        return call(op, *args, **kwargs)

    with_info.__name__ = f"{op.name}_with_http_info"
    with_info.__doc__ = render_doc(op)
    return with_info


def with_timeout(request: PreparedRequest, value: Any) -> PreparedRequest:
    """``_request_timeout``: seconds for both, or (connect, read), for this request only."""
    if value is None:
        return request
    try:
        if isinstance(value, (tuple, list)):
            connect, read = (float(v) for v in value)
        else:
            connect = read = float(value)
    except (TypeError, ValueError):
        raise ParamError(f"_request_timeout takes seconds or (connect, read), got {value!r}") from None
    if connect <= 0 or read <= 0:
        raise ParamError(f"_request_timeout must be positive, got {value!r}")
    return replace(request, timeout=(connect, read))


@dataclass
class RawAnswer:
    """``_preload_content=False``: the answer as it came, as the generated client's RESTResponse."""

    status: int
    reason: str
    data: bytes
    headers: dict[str, str]

    def getheaders(self) -> dict[str, str]:
        return dict(self.headers)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class AsyncResult:
    """What ``async_req=True`` returns, shaped like ``multiprocessing.pool.AsyncResult``."""

    def __init__(self, future: Future[Any]) -> None:
        self._future = future

    def get(self, timeout: float | None = None) -> Any:
        """The call's result (or its error, raised); ``TimeoutError`` if it has not ended within ``timeout``."""
        try:
            return self._future.result(timeout=timeout)
        except FutureTimeout:
            raise TimeoutError(f"the call did not end within {timeout} s") from None

    def wait(self, timeout: float | None = None) -> None:
        try:
            self._future.exception(timeout=timeout)
        except FutureTimeout:
            return

    def ready(self) -> bool:
        return self._future.done()

    def successful(self) -> bool:
        """Whether it ended without an error; ValueError while it is still running, as multiprocessing says."""
        if not self._future.done():
            raise ValueError("the call has not ended yet")
        return self._future.exception() is None


class Pool:
    """The small shared pool ``async_req`` calls run on, made on first use and closed with the client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def submit(self, fn: Callable[[], Any]) -> AsyncResult:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="cmldyn-async")
            return AsyncResult(self._executor.submit(fn))

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
