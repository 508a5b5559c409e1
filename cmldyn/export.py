"""A call as something else: a curl command (``--curl``, the REPL's ``.curl``, ``check``'s reproducers) and
HAR 1.2 (``--har FILE``, the REPL's ``.har FILE``).

Owns: quoting for a POSIX shell, with a credential written as ``"$CML_API_KEY"`` (the variable, never the
value, unless the caller revealed it), and the HAR document: entries from the transport's exchanges (already
redacted there), JSON bodies with secret-named fields masked as well, bodies cut at a bound, written 0600.
May import: _version, errors, jsonvalue, storage, wire (transport only for types).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ._version import __version__
from .jsonvalue import is_secret_name, mask
from .wire import PASSWORD_VAR, VAR_MARK, Exchange, Wire

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["HarRecorder", "MAX_HAR_BODY", "curl_command", "shell_quote"]

#: How much of each body a HAR file keeps (the rest is cut, and the entry says so).
MAX_HAR_BODY = 256 * 1024
#: How many exchanges a recorder keeps (the oldest go first): a long REPL session stays bounded.
MAX_HAR_ENTRIES = 5000
#: How many bytes of bodies a recorder keeps in all (the oldest exchanges go first past it).
MAX_HAR_TOTAL = 64 * 1024 * 1024

_MARKED = re.compile(re.escape(VAR_MARK[0]) + r"([A-Z0-9_]+?)" + re.escape(VAR_MARK[1]))
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def shell_quote(text: str) -> str:
    """``text`` as one word of a POSIX shell. A credential marker becomes ``$NAME`` inside double quotes,
    so the shell puts the variable's value there; everything else is literal."""
    if not _MARKED.search(text):
        return text if _PLAIN.match(text) else "'" + text.replace("'", "'\"'\"'") + "'"
    out, last = ['"'], 0
    for match in _MARKED.finditer(text):
        out.append(_double_quoted(text[last:match.start()]))
        out.append("${" + match.group(1) + "}")
        last = match.end()
    out.append(_double_quoted(text[last:]) + '"')
    return "".join(out)


def _double_quoted(text: str) -> str:
    return re.sub(r'([\\"$`])', r"\\\1", text).replace("!", '"\'!\'"')  # ! outside: bash history expansion


def curl_command(wire: Wire, *, insecure: bool = False, ca_cert: str | None = None) -> str:
    """The curl command that sends exactly this request: method, URL, headers, body bytes."""
    words = ["curl", "-sS"]
    if wire.method != "GET" or wire.body is not None:
        words += ["-X", wire.method]
    words.append(wire.url)
    if insecure:
        words.append("-k")
    if ca_cert:
        words += ["--cacert", ca_cert]
    if wire.basic_user is not None:
        words += ["-u", f"{wire.basic_user}:{VAR_MARK[0]}{PASSWORD_VAR}{VAR_MARK[1]}"]
    for name, value in wire.headers:
        words += ["-H", f"{name}: {value}"]
    if wire.body is not None:
        try:
            text = wire.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            words += ["--data-binary", text]
        else:  # bytes a shell word cannot hold: piped in, decoded on the way
            encoded = base64.b64encode(wire.body).decode("ascii")
            words += ["--data-binary", "@-"]
            return f"echo {encoded} | base64 -d | " + " ".join(shell_quote(w) for w in words)
    return " ".join(shell_quote(w) for w in words)


# ---------------------------------------------------------------------------------------------- HAR


class HarRecorder:
    """Collects exchanges (give ``add`` to a transport's observers) and writes them as HAR 1.2."""

    def __init__(self, *, max_entries: int = MAX_HAR_ENTRIES, max_body: int = MAX_HAR_BODY,
                 max_total: int = MAX_HAR_TOTAL) -> None:
        self._entries: list[dict[str, Any]] = []
        self._sizes: list[int] = []
        self._total = 0
        self._lock = threading.Lock()
        self.max_entries, self.max_body, self.max_total = max_entries, max_body, max_total
        self.dropped = 0
        self._transports: list[Transport] = []

    def attach(self, transport: Transport) -> HarRecorder:
        """Record what ``transport`` sends and receives from now on (until :meth:`stop`)."""
        transport.observers.append(self.add)
        self._transports.append(transport)
        return self

    def stop(self) -> None:
        """Stop recording; what was recorded stays, to be saved."""
        for transport in self._transports:
            if self.add in transport.observers:
                transport.observers.remove(self.add)
        self._transports.clear()

    def add(self, exchange: Exchange) -> None:
        entry = self._entry(exchange)
        size = _size(entry)
        with self._lock:
            self._entries.append(entry)
            self._sizes.append(size)
            self._total += size
            while len(self._entries) > 1 and (len(self._entries) > self.max_entries or self._total > self.max_total):
                del self._entries[0]
                self._total -= self._sizes.pop(0)
                self.dropped += 1

    def __len__(self) -> int:
        return len(self._entries)

    def document(self) -> dict[str, Any]:
        with self._lock:
            entries = list(self._entries)
        log: dict[str, Any] = {"version": "1.2", "creator": {"name": "cmldyn", "version": __version__},
                               "pages": [], "entries": entries}
        if self.dropped:
            log["comment"] = (f"the oldest {self.dropped} exchanges were dropped (at most {self.max_entries}, "
                              f"{self.max_total // 2**20} MB of bodies, are kept)")
        return {"log": log}

    def save(self, path: str, *, overwrite: bool = True) -> int:
        """Write the HAR file (0600, atomically); return how many entries it holds."""
        from .storage import write_user_file

        document = self.document()
        write_user_file(path, (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
                        overwrite=overwrite)
        return len(document["log"]["entries"])

    def _entry(self, ex: Exchange) -> dict[str, Any]:
        parts = urlsplit(ex.url)
        started = datetime.datetime.fromtimestamp(ex.started, tz=datetime.timezone.utc)
        request_type = _header(ex.request_headers, "content-type")
        response_type = _header(ex.response_headers, "content-type") or "application/octet-stream"
        request: dict[str, Any] = {
            "method": ex.method, "url": ex.url, "httpVersion": ex.http_version, "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in ex.request_headers],
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(parts.query, keep_blank_values=True)],
            "headersSize": -1, "bodySize": len(ex.request_body) if ex.request_body is not None else 0,
        }
        if ex.request_body is not None:
            text, _, comment = self._text(ex.request_body, request_type)
            request["postData"] = {"mimeType": request_type or "application/octet-stream", "text": text,
                                   **({"comment": comment} if comment else {})}
        text, encoding, comment = self._text(ex.response_body, response_type)
        content: dict[str, Any] = {"size": len(ex.response_body), "mimeType": response_type, "text": text}
        if encoding:
            content["encoding"] = encoding
        if comment:
            content["comment"] = comment
        millis = round(ex.elapsed * 1000, 3)
        return {
            "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "time": millis,
            "request": request,
            "response": {"status": ex.status, "statusText": ex.reason, "httpVersion": ex.http_version, "cookies": [],
                         "headers": [{"name": k, "value": v} for k, v in ex.response_headers],
                         "content": content, "redirectURL": _header(ex.response_headers, "location") or "",
                         "headersSize": -1, "bodySize": len(ex.response_body)},
            "cache": {},
            "timings": {"send": 0, "wait": millis, "receive": 0},
        }

    def _text(self, body: bytes, mime: str) -> tuple[str, str, str]:
        """(text, encoding, comment): JSON with secret-named fields masked, other text as is, bytes as
        base64; cut at the bound."""
        kind = mime.lower()
        if "json" in kind:  # masked whole, then cut: a secret-named field never survives a cut
            try:
                body = json.dumps(mask(json.loads(body)), ensure_ascii=False).encode("utf-8")
            except (ValueError, RecursionError):
                pass
        elif "x-www-form-urlencoded" in kind:
            try:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                pairs = []
            if pairs:
                body = urlencode([(k, "***" if is_secret_name(k) and v else v) for k, v in pairs]).encode("utf-8")
        cut = len(body) > self.max_body
        data = body[: self.max_body]
        comment = f"cut at {self.max_body} of {len(body)} bytes" if cut else ""
        try:
            return data.decode("utf-8"), "", comment
        except UnicodeDecodeError:
            if cut:  # a cut through a character: keep what decodes
                text = data.decode("utf-8", "ignore")
                if text.encode("utf-8") == data[: len(text.encode("utf-8"))] and len(data) - len(text.encode()) < 4:
                    return text, "", comment
            return base64.b64encode(data).decode("ascii"), "base64", comment


def _size(entry: dict[str, Any]) -> int:
    return len(entry["response"]["content"]["text"]) + len(entry["request"].get("postData", {}).get("text", "")) + 512


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")
