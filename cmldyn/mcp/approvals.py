"""Writes confirmed by a person (``cmldyn mcp --confirm-writes``), in plain Python: the approval a server
mints for one exact call and redeems once, the question a person sees, and what comes back.

An approval is ``payload.signature``: the payload names the tool, a digest of the call's whole arguments,
an expiry and a nonce; the signature is HMAC-SHA256 under a secret made when the server starts and held
only in its memory. A changed argument, a tampered, replayed or expired approval is refused with a line
that says which, and nothing is sent. May import: client and model (TYPE_CHECKING), errors, jsonvalue.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import CmldynError, ToolError, redact
from ..jsonvalue import mask, to_plain

if TYPE_CHECKING:
    from ..client import Client
    from ..model import OperationModel
from .policy import short

__all__ = ["Approval", "Approvals", "Confirmation", "ask_text", "preview"]


@dataclass
class Confirmation:
    """A write waiting for a person: the question, what would be sent, and the approval to send back."""

    message: str
    preview: dict[str, Any]
    state: str


@dataclass
class Approval:
    """What came back for a write: the server's approval state as echoed, and the person's answer
    (``action`` accept, decline or cancel; ``content`` the form: ``{"approve": true}``)."""

    state: str
    action: str = ""
    content: dict[str, Any] | None = None

    @property
    def approved(self) -> bool:
        return self.action == "accept" and (self.content or {}).get("approve") is True  # "false" is not a yes


class Approvals:
    """Approvals minted by this process: ``payload.signature``, the payload naming the tool, a digest of the
    call's whole arguments, an expiry and a nonce, signed with HMAC-SHA256 under a secret made at start and
    held only in memory. Each is redeemed at most once; a tampered, replayed, expired or rebound one is
    refused with a line that says which, and the caller sends nothing."""

    def __init__(self, ttl: float = 300.0, *, clock: Any = time.time) -> None:
        import os

        self._secret = os.urandom(32)
        self.ttl = ttl
        self.clock = clock
        self._used: dict[str, float] = {}  # nonce -> its expiry (kept until then)

    @staticmethod
    def digest(tool: str, arguments: dict[str, Any]) -> str:
        import hashlib

        text = json.dumps([tool, arguments], sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _sign(self, payload: bytes) -> str:
        import base64
        import hashlib
        import hmac

        return base64.urlsafe_b64encode(hmac.new(self._secret, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def mint(self, tool: str, arguments: dict[str, Any]) -> str:
        import base64
        import secrets

        claims = {"t": tool, "a": self.digest(tool, arguments), "e": round(self.clock() + self.ttl, 3),
                  "n": secrets.token_urlsafe(12)}
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def redeem(self, state: str, tool: str, arguments: dict[str, Any]) -> None:
        """Accept the approval for exactly this call once, or raise ToolError saying why not."""
        import base64
        import hmac

        nothing = "; nothing was sent"
        payload, _, signature = str(state).partition(".")
        if not payload or not hmac.compare_digest(signature.encode(), self._sign(payload.encode()).encode()):
            raise ToolError("refused: the approval is not one this server made (changed or made up)" + nothing)
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            nonce, expiry = str(claims["n"]), float(claims["e"])
        except (ValueError, KeyError, TypeError):
            raise ToolError("refused: the approval cannot be read" + nothing) from None
        now = self.clock()
        self._used = {n: e for n, e in self._used.items() if e > now}
        if nonce in self._used:
            raise ToolError("refused: this approval was used already (each approves one call, once)" + nothing)
        if expiry <= now:
            raise ToolError(f"refused: the approval expired (they last {self.ttl:.0f} s); call again to ask anew"
                            + nothing)
        if claims.get("t") != tool or claims.get("a") != self.digest(tool, arguments):
            raise ToolError("refused: the approval was given for a call with other arguments; call again to ask "
                            "for these" + nothing)
        self._used[nonce] = expiry


def ask_text(shown: dict[str, Any]) -> str:
    """The question a person sees for one write."""
    lines = [f"Allow {shown['operation']} ({shown['kind']}): {shown['method']} {shown['path']}?"]
    if "changes" in shown:
        changed = shown["changes"]
        lines.append("Changes: " + (", ".join(f"{k}: {json.dumps(v['from'], default=str)} -> "
                                              f"{json.dumps(v['to'], default=str)}" for k, v in changed.items())
                                    if changed else "none (the values sent are the current ones)"))
    elif "body" in shown:
        lines.append("Body: " + short(json.dumps(shown["body"], ensure_ascii=False, default=str), 1200))
    return "\n".join(lines)


def preview(client: Client, op: OperationModel, kwargs: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a write would send: method, path, the body masked, and for an update of something that can be
    read, the fields it would change (read now from the current object)."""
    from urllib.parse import unquote

    prepared = client.prepare(op.name, **kwargs)
    secrets = client.transport.secrets
    body = prepared.json_body if prepared.has_json_body else None
    shown: dict[str, Any] = {"operation": op.name, "kind": kind, "method": prepared.method.upper(),
                             "path": unquote(prepared.path)}
    if prepared.query:
        shown["query"] = {k: v for k, v in prepared.query}
    masked = mask(body) if body is not None else None
    if masked is not None:
        shown["body"] = masked
    if prepared.method.upper() in ("PATCH", "PUT") and isinstance(body, dict):
        found = client.model.match("get", prepared.path.split("?")[0])
        if found is not None:
            getter, values = found
            try:
                current = to_plain(client.call(getter, **{p.name: values[p.wire] for p in getter.path_params}))
            except CmldynError as error:
                shown["current"] = f"not read: {error.message}"
            else:
                if isinstance(current, dict) and isinstance(masked, dict):
                    masked_now = mask(current)
                    shown["changes"] = {key: {"from": masked_now.get(key), "to": value}
                                        for key, value in masked.items() if masked_now.get(key) != value}
    # redacted whole: the question, the tool error that shows it, and the text all come from this
    return dict(json.loads(redact(json.dumps(shown, default=str), secrets)))
