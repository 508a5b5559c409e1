"""Answers checked against the spec: where the server and its spec disagree (drift).

Owns: :class:`ContractReport`, kept on every client as ``api.contract``. Each answer to an operation
is checked against what the spec declares for the status actually returned: a status the spec does
not document (a 2xx must be declared as itself or ``2XX``; ``default`` documents errors), a content
type it does not declare, and the body against the schema with the shared validator (missing
required fields, wrong types, values outside an enum or range; an unknown field is information
only, unless the schema says ``additionalProperties: false``, since extra fields are legal in
Swagger 2.0; formats are advice). Findings never fail a call unless ``strict`` is on.

Checking is lazy: an answer is queued as it arrives (a reference, no copy) and checked when the
report is read, so a script that never looks pays almost nothing per call. May import: errors,
jsonvalue, model, schema. Must not: do I/O or hold a credential.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .errors import ResponseError, Secrets, redact
from .jsonvalue import JSON, loads_strict, media_type
from .validator import RESPONSE_RULES, check, short

if TYPE_CHECKING:
    from .model import OperationModel

__all__ = ["ContractReport", "Drift", "SEVERITIES", "check_answer", "differs", "unapplied"]

SEVERITIES = ("error", "info", "advice")
KEEP = 500  # findings kept, newest last
PENDING = 64  # answers waiting to be checked; past this the oldest is checked (memory stays bounded)
PER_ANSWER = 20  # findings per answer at most


@dataclass(frozen=True)
class Drift:
    """One way an answer differs from the spec.

    ``kind`` is ``status``, ``content-type``, ``not-applied`` (a field a write sent that does not read
    back as sent), or a validator kind (``missing``, ``type``, ``enum``,
    ``range``, ``choice``, ``unknown``, ``format``, ``depth``); ``path`` is a JSON path in the answer
    (``$.projects[0].owner``); ``severity`` is ``error``, ``info`` (an extra field) or ``advice`` (a format).
    """

    operation: str
    status: int
    kind: str
    path: str = "$"
    expected: str = ""
    given: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        if self.kind == "status":
            return f"{self.operation}: status {self.status} is not documented (the spec has {self.expected})"
        if self.kind == "content-type":
            return f"{self.operation}: content type {self.given} is not declared (the spec has {self.expected})"
        if self.kind == "missing":
            return f"{self.operation}: {self.path} is missing (required)"
        if self.kind == "unknown":
            return f"{self.operation}: {self.path} is not in the spec{' (extra field)' if self.severity == 'info' else ''}"
        if self.kind == "not-applied":
            return f"{self.operation}: {self.path} was sent as {self.expected} but reads back as {self.given}"
        if self.kind == "enum":
            return f"{self.operation}: {self.path} is {self.given}, not one of {self.expected}"
        return f"{self.operation}: {self.path} expected {self.expected}, got {self.given}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Answer:
    op: OperationModel
    status: int
    content_type: str
    data: JSON = None
    raw: bytes | None = None  # an error body, decoded only if it is ever checked


def differs(found: list[Drift]) -> str:
    """One line for the findings of some answers, advice left out: ``answer differs from the spec in 2
    places (1 an extra field)``; ``""`` when there is nothing worth a note. The REPL and the CLI say it.
    A write read back (``not-applied``) is not the answer differing: ``--verify`` says that itself."""
    found = [d for d in found if d.severity != "advice" and d.kind != "not-applied"]
    if not found:
        return ""
    extra = sum(1 for d in found if d.severity == "info")
    detail = f" ({extra} an extra field)" if extra == 1 else (f" ({extra} extra fields)" if extra else "")
    places = "1 place" if len(found) == 1 else f"{len(found)} places"
    return f"answer differs from the spec in {places}{detail}"


class ContractReport:
    """The findings of the answers a client received, per operation.

    Attributes:
        enabled: check answers at all (``--no-check`` turns it off).
        strict: a call whose answer has an ``error`` finding fails with :class:`ContractError`.
    """

    def __init__(self, *, enabled: bool = True, strict: bool = False, secrets: Secrets = ()) -> None:
        self.enabled = enabled
        self.strict = strict
        self._secrets = secrets
        self._pending: deque[_Answer] = deque()
        self._findings: deque[Drift] = deque(maxlen=KEEP)
        self._calls: dict[str, int] = {}
        self._last: list[Drift] = []
        self._total = 0  # findings ever recorded (the deque keeps the newest KEEP)

    # ---------------------------------------------------------------- recording

    def observe(self, op: OperationModel, status: int, content_type: str | None, data: JSON = None, *,
                raw: bytes | None = None) -> None:
        """Queue one answer (checked when the report is next read)."""
        if not self.enabled:
            return
        self._calls[op.name] = self._calls.get(op.name, 0) + 1
        if len(self._pending) >= PENDING:
            self._settle(1)
        self._pending.append(_Answer(op, status, media_type(content_type), data, raw))
        self._last = []
        if self.strict:
            self._settle()

    def _settle(self, count: int | None = None) -> None:
        while self._pending and (count is None or count > 0):
            count = None if count is None else count - 1
            answer = self._pending.popleft()
            found = [self._clean(d) for d in check_answer(answer.op, answer.status, answer.content_type,
                                                            answer.data, raw=answer.raw)]
            self._findings.extend(found)
            self._total += len(found)
            self._last = found

    def record(self, found: list[Drift]) -> None:
        """Add findings made elsewhere (a write read back: :func:`unapplied`)."""
        self._settle()
        cleaned = [self._clean(d) for d in found]
        self._findings.extend(cleaned)
        self._total += len(cleaned)
        self._last = self._last + cleaned

    def _clean(self, drift: Drift) -> Drift:
        if not self._secrets:
            return drift
        return Drift(drift.operation, drift.status, drift.kind, redact(drift.path, self._secrets),
                     redact(drift.expected, self._secrets), redact(drift.given, self._secrets), drift.severity)

    # ---------------------------------------------------------------- reading

    @property
    def findings(self) -> list[Drift]:
        """Every finding kept (the newest last)."""
        self._settle()
        return list(self._findings)

    @property
    def last(self) -> list[Drift]:
        """The findings of the most recent answer."""
        self._settle()
        return list(self._last)

    def mark(self) -> int:
        """A position in the findings, for :meth:`since`."""
        self._settle()
        return self._total

    def since(self, mark: int) -> list[Drift]:
        """The findings recorded after :meth:`mark` returned ``mark`` (the newest KEEP at most)."""
        self._settle()
        new = self._total - mark
        return list(self._findings)[-new:] if new > 0 else []

    @property
    def calls(self) -> dict[str, int]:
        """Answers checked, by operation."""
        return dict(self._calls)

    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        found = self.findings
        return {severity: sum(1 for d in found if d.severity == severity) for severity in SEVERITIES}

    def by_operation(self) -> dict[str, list[Drift]]:
        grouped: dict[str, list[Drift]] = {}
        for drift in self.findings:
            grouped.setdefault(drift.operation, []).append(drift)
        return grouped

    def to_dict(self) -> dict[str, Any]:
        """Counts, answers per operation, and every finding: plain JSON."""
        return {"counts": self.counts(), "calls": self.calls, "findings": [d.to_dict() for d in self.findings]}

    def clear(self) -> None:
        self._pending.clear()
        self._findings.clear()
        self._calls.clear()
        self._last = []
        self._total = 0

    def __len__(self) -> int:
        return len(self.findings)

    def __repr__(self) -> str:
        counts = self.counts()
        return (f"<ContractReport {sum(self._calls.values())} answers, {counts['error']} errors, "
                f"{counts['info']} info, {counts['advice']} advice>")


def check_answer(op: OperationModel, status: int, content_type: str, data: JSON, *,
                 raw: bytes | None = None) -> list[Drift]:
    """Every way one answer differs from what the spec declares for its status."""
    responses = op.raw_op.get("responses") or {}
    codes = [str(c) for c in responses]
    code = str(status)
    family = next((f for f in (f"{code[0]}XX", f"{code[0]}xx") if f in codes), None)
    found: list[Drift] = []
    if code in codes:
        key = code
    elif family is not None:
        key = family
    elif "default" in codes and not code.startswith("2"):
        key = "default"
    else:
        found.append(Drift(op.name, status, "status", expected=", ".join(sorted(codes)) or "no responses", given=code))
        if not code.startswith("2"):
            return found
        key = op.success[0]  # an undocumented success: its body is still read as the documented one
    declared = op.response(key)
    if declared is None:
        return found
    schema, media = declared
    if content_type and media and not any(_same_media(content_type, m) for m in media):
        found.append(Drift(op.name, status, "content-type", expected=", ".join(media), given=content_type))
    if data is None and raw:
        try:
            data = loads_strict(raw, what="answer", error=ResponseError)
        except ResponseError:  # an error body that is not JSON: its content type said so already
            return found
    if schema is None or data is None or isinstance(data, (bytes, str)) and schema.type != "string":
        return found
    if isinstance(data, (bytes, bytearray)):  # a file in a media type of its own: a string schema says binary
        return found
    for finding in check(schema, data, where="$", rules=RESPONSE_RULES, limit=PER_ANSWER):
        found.append(Drift(op.name, status, finding.kind, finding.path, finding.expected, finding.given,
                           finding.severity))
    return found


def _same_media(given: str, declared: str) -> bool:
    declared = media_type(declared)
    if declared in ("*/*", given):
        return True
    if declared.endswith("/*"):
        return given.startswith(declared[:-1])
    return False


def unapplied(operation: str, status: int, sent: JSON, got: JSON, path: str = "$") -> list[Drift]:
    """Fields a write sent that the object, read back, does not hold as sent (CML's PATCH is reported
    to answer 200 while ignoring some job fields). Numbers written as strings (int64) and objects
    kept as JSON text compare equal to what was sent."""
    found: list[Drift] = []
    if not isinstance(sent, dict) or not isinstance(got, dict):
        return found
    for key, value in sent.items():
        where = f"{path}.{key}"
        if value is None:
            continue
        have = got.get(key)
        if isinstance(value, dict) and isinstance(have, str):
            try:
                have = loads_strict(have.encode(), what="field", error=ResponseError)
            except ResponseError:
                pass
        if isinstance(value, dict) and isinstance(have, dict):
            found.extend(unapplied(operation, status, value, have, where))
        elif not _same_value(value, have):
            found.append(Drift(operation, status, "not-applied", where, short(value), short(have) if key in got else "absent"))
    return found[:PER_ANSWER]


def _same_value(sent: JSON, have: JSON) -> bool:
    if sent == have:
        return True
    if isinstance(sent, (int, float)) and not isinstance(sent, bool) and isinstance(have, str):
        return have == str(sent)
    if isinstance(sent, list) and isinstance(have, list):
        return len(sent) == len(have) and all(_same_value(a, b) for a, b in zip(sent, have, strict=False))
    return False
