"""The one validator: a value against a schema view, every finding with its path.

Owns: :func:`check` and what it reads by: :class:`Rules` (how strictly: arguments, request bodies,
answers), :class:`Finding`. Used for arguments and bodies before anything is sent (request.py),
for every answer (contract.py) and by the simulator for what it receives. Each view's keywords are
digested once into a plan kept on the view (``Schema.check_plan``), and plain scalars of the right
type are passed without a call, since they are most of any answer. May import: errors, schema.
"""

from __future__ import annotations

import builtins
import json
import operator
import re
from dataclasses import dataclass
from typing import Any

from .errors import did_you_mean
from .schema import Schema, type_label

__all__ = ["Bounds", "Finding", "PARAM_RULES", "REQUEST_RULES", "RESPONSE_RULES", "Rules", "bounds_of", "check",
           "compiled_pattern", "short"]


@dataclass(frozen=True)
class Rules:
    """How strictly :func:`check` reads a value.

    Attributes:
        unknown: what a field the schema does not name is, where ``additionalProperties`` is unsaid:
            ``error`` (arguments: a typo), ``info`` (answers: Swagger 2.0 allows extra fields) or ``ignore``.
        text_scalars: a string that reads as the type counts (query and path values: ``"5"`` for an integer).
        json_text_objects: an object may be given as JSON text (CML takes ``environment`` either way).
        direction: ``request`` skips readOnly fields when checking required ones, ``response`` writeOnly ones.
    """

    unknown: str = "error"
    text_scalars: bool = False
    json_text_objects: bool = False
    direction: str = "request"


REQUEST_RULES = Rules(unknown="error", json_text_objects=True, direction="request")
PARAM_RULES = Rules(unknown="error", text_scalars=True, direction="request")
RESPONSE_RULES = Rules(unknown="info", direction="response")

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1),
               "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1)}
_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+$"),
}
MAX_DEPTH = 64


class _Plan:
    """The keywords :func:`check` reads, taken from a view once (a hot path: every node of every answer)."""

    __slots__ = ("types", "nullable", "declared", "enum", "fmt", "choices", "items", "props", "required", "extra", "fast",
                 "exact", "plain_object", "bounds")

    def __init__(self, schema: Schema) -> None:
        self.types = tuple(t for t in schema.types if t != "null")
        self.nullable = schema.nullable
        self.declared = bool(schema.types)
        self.enum = schema.enum
        fmt = schema.format
        self.fmt = fmt if fmt in _INT_RANGES or fmt in _FORMATS else None
        self.choices = tuple((key, parts) for key, parts in (("oneOf", schema.one_of), ("anyOf", schema.any_of)) if parts)
        self.items = schema.items
        self.bounds = bounds_of(schema)  # minimum, lengths, pattern, item counts: None where none is set
        self.props: dict[str, Schema] | None = None  # objects: filled on first use
        self.required: tuple[str, ...] = ()
        self.extra: Schema | bool | None = None
        self.exact: dict[str, frozenset[builtins.type]] = {}  # objects: field -> the types that pass at a glance
        #: an object and nothing else to look at (no enum, format or choice): straight to its fields
        self.plain_object = self.types in (("object",), ()) and not self.enum and not self.fmt and not self.choices
        #: The Python types a value may have to pass with nothing more to check (a plain scalar schema:
        #: one type, no enum, no checked format, no oneOf/anyOf), else None.
        self.fast: tuple[builtins.type, ...] | None = _fast_types(schema)

    def object_parts(self, schema: Schema) -> tuple[dict[str, Schema], tuple[str, ...], Schema | bool | None]:
        if self.props is None:
            self.props = schema.properties
            self.required = tuple(sorted(schema.required))
            self.extra = schema.additional_properties
            # type(value) in this set: exact, so True is never taken for an integer
            self.exact = {k: frozenset(fast) for k, fast in ((k, _plan(p).fast) for k, p in self.props.items()) if fast}
        return self.props, self.required, self.extra


_SCALARS: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _fast_types(schema: Schema) -> tuple[type, ...] | None:
    types = [t for t in schema.types if t != "null"]
    if len(types) != 1 or types[0] not in _SCALARS or schema.enum or schema.one_of or schema.any_of:
        return None
    if bounds_of(schema) is not None:
        return None
    if schema.format in _INT_RANGES or schema.format in _FORMATS:
        return None
    return _SCALARS[types[0]]


def _plan(schema: Schema) -> _Plan:
    found = schema.check_plan
    if found is None:
        found = schema.check_plan = _Plan(schema)
    return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Bounds:
    """A schema's limits beyond its type: numbers (``minimum``/``maximum``, exclusive either way, as 3.0's
    booleans or 3.1's numbers; ``multipleOf``), strings (``minLength``, ``maxLength``, ``pattern``, searched
    as JSON Schema says, unanchored) and arrays (``minItems``, ``maxItems``, ``uniqueItems``)."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    multiple: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_text: str = ""
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False

    def broken(self, value: Any, rules: Rules) -> tuple[str, str] | None:
        """(kind, what was expected) for the first limit ``value`` breaks, or None."""
        if isinstance(value, str) and rules.text_scalars and (self.low is not None or self.high is not None):
            try:
                value = float(value)  # a query or path value that stands for a number
            except ValueError:
                return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
                return "range", f"{'>' if self.low_open else '>='} {_number(self.low)}"
            if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
                return "range", f"{'<' if self.high_open else '<='} {_number(self.high)}"
            if self.multiple and (value / self.multiple) % 1:
                return "range", f"a multiple of {_number(self.multiple)}"
        elif isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return "range", f"at least {self.min_length} characters"
            if self.max_length is not None and len(value) > self.max_length:
                return "range", f"at most {self.max_length} characters"
            if self.pattern is not None and not self.pattern.search(value):
                return "pattern", f"a string matching {self.pattern_text}"
        elif isinstance(value, (list, tuple)):
            if self.min_items is not None and len(value) < self.min_items:
                return "range", f"at least {self.min_items} items"
            if self.max_items is not None and len(value) > self.max_items:
                return "range", f"at most {self.max_items} items"
            if self.unique and len({json.dumps(v, sort_keys=True, default=str) for v in value}) < len(value):
                return "range", "items that differ from each other (uniqueItems)"
        return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def bounds_of(schema: Schema) -> Bounds | None:
    """The schema's limits (see :class:`Bounds`), or None where it sets none. A pattern Python's ``re`` cannot
    read is not checked."""
    get = schema.get

    def number(key: str) -> float | None:
        found = get(key)
        return float(found) if isinstance(found, (int, float)) and not isinstance(found, bool) else None

    def count(key: str) -> int | None:
        found = get(key)
        return int(found) if isinstance(found, int) and not isinstance(found, bool) and found >= 0 else None

    low, high = number("minimum"), number("maximum")
    low_open = get("exclusiveMinimum") is True
    high_open = get("exclusiveMaximum") is True
    if number("exclusiveMinimum") is not None:  # OpenAPI 3.1 / JSON Schema: the bound itself
        low, low_open = number("exclusiveMinimum"), True
    if number("exclusiveMaximum") is not None:
        high, high_open = number("exclusiveMaximum"), True
    text = get("pattern")
    pattern = compiled_pattern(text) if isinstance(text, str) else None
    found = Bounds(low, low_open, high, high_open, number("multipleOf") or None, count("minLength"), count("maxLength"),
                   pattern, text if pattern is not None else "", count("minItems"), count("maxItems"),
                   get("uniqueItems") is True)
    return None if found == _NO_BOUNDS else found


_NO_BOUNDS = Bounds()


def compiled_pattern(text: str) -> re.Pattern[str] | None:
    """A spec's ``pattern`` as a Python regex, or None where ``re`` cannot read it (ECMA-only syntax)."""
    try:
        return re.compile(text)
    except (re.error, RecursionError, OverflowError):
        return None


@dataclass(frozen=True)
class Finding:
    """One way a value differs from its schema.

    ``kind`` is ``missing``, ``type``, ``enum``, ``range`` (a number, length or count out of its bounds),
    ``pattern``, ``unknown``, ``choice``, ``format`` or ``depth``;
    ``severity`` is ``error``, ``info`` (an extra field where extras are allowed) or ``advice`` (a format).
    """

    path: str
    kind: str
    expected: str
    given: str = ""
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.path}: missing (required)"
        if self.kind == "unknown":
            return f"{self.path}: unknown field{self.hint}"
        if self.kind == "enum":
            return f"{self.path}: {self.given} is not one of {self.expected}"
        return f"{self.path}: expected {self.expected}, got {self.given}"


def short(value: Any) -> str:
    """A value as a finding shows it: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _given(value: Any) -> str:
    kind = "null" if value is None else type(value).__name__
    return kind if value is None else f"{kind} {short(value)}"


def check(schema: Schema | None, value: Any, *, where: str = "body", rules: Rules = REQUEST_RULES,
          limit: int = 50) -> list[Finding]:
    """Every finding (up to ``limit``) of ``value`` against ``schema``; an empty list when it conforms.

    Checked: types (3.1 type arrays, 3.0 nullable), enums, required fields at every depth, integer
    ranges of int32/int64 formats, minimum/maximum, lengths, patterns, item counts (:class:`Bounds`),
    ``additionalProperties`` (false: an unknown field is an error,
    with a did-you-mean), items, allOf (merged), oneOf/anyOf (at least one must fit). Formats such as
    date-time and uuid are advice. The walk follows the value, so a recursive schema costs only as
    much as the value is deep.
    """
    found: list[Finding] = []
    if schema is not None:
        _check(schema, value, where, rules, found, limit, 0)
    return found[:limit]


def _type_ok(kind: str, schema: Schema, value: Any, rules: Rules) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool) or (rules.text_scalars and isinstance(value, str) and value.lower() in ("true", "false"))
    if kind == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if rules.text_scalars:  # a query or path value: digits, not 2.0 (it would be sent as "2.0")
            return isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 40
        return isinstance(value, float) and value.is_integer()
    if kind == "number":
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        if rules.text_scalars and isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return False
            return True
        return False
    if kind == "string":
        if isinstance(value, str) or (rules.text_scalars and isinstance(value, (int, float, bool))):
            return True
        # grpc-gateway writes 64-bit integers as strings with an int64 format and takes either.
        return schema.format in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, dict) or (rules.json_text_objects and isinstance(value, str) and _json_object(value))
    return True


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _expected(schema: Schema) -> str:
    return "|".join(t for t in schema.types) if len(schema.types) > 1 else type_label(schema)


def _check(schema: Schema, value: Any, path: str, rules: Rules, found: list[Finding], limit: int, depth: int) -> None:
    if len(found) >= limit:
        return
    if depth > MAX_DEPTH:
        found.append(Finding(path, "depth", f"at most {MAX_DEPTH} levels", "deeper"))
        return
    plan = _plan(schema)
    if value is None:
        if plan.declared and not plan.nullable:
            found.append(Finding(path, "type", _expected(schema), "null"))
        return
    types = plan.types  # declared types only: keywords alone constrain nothing
    if len(types) == 1:
        ok = _type_ok(types[0], schema, value, rules)
    else:
        ok = not types or any(_type_ok(t, schema, value, rules) for t in types)
    if not ok:
        found.append(Finding(path, "type", _expected(schema), _given(value)))
        return
    enum = plan.enum
    if enum and value not in enum and not (rules.text_scalars and str(value) in [str(e) for e in enum]):
        found.append(Finding(path, "enum", ", ".join(map(str, enum[:20])), short(value)))
        return
    fmt = plan.fmt
    if fmt in _INT_RANGES and isinstance(value, (int, str)) and not isinstance(value, bool):
        low, high = _INT_RANGES[fmt]
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is not None and not low <= number <= high:
            found.append(Finding(path, "range", f"{fmt} ({low} to {high})", short(value)))
            return
    elif fmt is not None and fmt in _FORMATS and isinstance(value, str) and not _FORMATS[fmt].match(value):
        found.append(Finding(path, "format", fmt, short(value), severity="advice"))
    if plan.bounds is not None:
        broken = plan.bounds.broken(value, rules)
        if broken is not None:
            found.append(Finding(path, broken[0], broken[1], short(value)))
            return
    if isinstance(value, dict):
        _check_object(schema, value, path, rules, found, limit, depth)
    elif isinstance(value, (list, tuple)):
        items = plan.items
        if items is not None and len(value) >= _COLUMN_MIN and _columns_ok(items, value, rules, depth + 1):
            pass  # every item conforms, seen column by column: the item-by-item walk would find nothing
        elif items is not None:
            item_plan = _plan(items)
            fast = item_plan.fast
            for i, item in enumerate(value):
                if fast is not None and isinstance(item, fast) and (fast[0] is bool or not isinstance(item, bool)):
                    continue
                if type(item) is dict and item_plan.plain_object and depth < MAX_DEPTH:
                    _check_object(items, item, f"{path}[{i}]", rules, found, limit, depth + 1)
                else:
                    _check(items, item, f"{path}[{i}]", rules, found, limit, depth + 1)
                if len(found) >= limit:
                    return
    for key, parts in plan.choices:
        if not any(not [f for f in check(p, value, where=path, rules=rules, limit=1) if f.severity == "error"]
                   for p in parts):
            names = ", ".join(type_label(p, 1) for p in parts[:5])
            found.append(Finding(path, "choice", f"one of {names} ({key})", _given(value)))


def _check_object(schema: Schema, value: dict[str, Any], path: str, rules: Rules, found: list[Finding], limit: int,
                  depth: int) -> None:
    props, required, extra = _plan(schema).object_parts(schema)
    for name in required:
        if name in value:
            continue
        prop = props.get(name)
        # A request need not carry what the server writes, nor an answer what only the client sends.
        skipped = prop is not None and (prop.read_only if rules.direction == "request" else prop.write_only)
        if not skipped:
            found.append(Finding(f"{path}.{name}", "missing", "required"))
    exact = _plan(schema).exact
    for key, item in value.items():
        passes = exact.get(key)
        if passes is not None and type(item) in passes:
            continue  # a plain scalar of the right type: nothing more to look at (most of an answer)
        prop = props.get(key)
        if prop is not None:
            if type(item) is dict and _plan(prop).plain_object and depth < MAX_DEPTH:
                _check_object(prop, item, f"{path}.{key}", rules, found, limit, depth + 1)
            else:
                _check(prop, item, f"{path}.{key}", rules, found, limit, depth + 1)
        elif isinstance(extra, Schema):
            _check(extra, item, f"{path}.{key}", rules, found, limit, depth + 1)
        elif extra is False or (extra is None and props and rules.unknown != "ignore"):
            severity = "error" if extra is False or rules.unknown == "error" else "info"
            found.append(Finding(f"{path}.{key}", "unknown", "a declared field", hint=did_you_mean(key, props),
                                 severity=severity))
        if len(found) >= limit:
            return


# ---------------------------------------------------------------------------------------------- long lists
# A long list of objects is read column by column (C-level map, zip and set work, no Python per item): when
# every column certainly passes, the list has no finding at all. Anything that might be a finding (a type not
# plainly right, a missing field, an unknown one, a bound, a choice, a value a format or enum refuses) makes it
# say "not sure", and the item-by-item walk runs and finds exactly what it always found, with its paths.

_COLUMN_MIN = 16
_PLAIN_TYPES: dict[str, frozenset[type]] = {"string": frozenset({str}), "integer": frozenset({int}),
                                            "number": frozenset({int, float}), "boolean": frozenset({bool}),
                                            "object": frozenset({dict}), "array": frozenset({list})}
_JOINED: dict[str, re.Pattern[str]] = {}


def _joined_format(fmt: str) -> re.Pattern[str]:
    """A format's pattern for many values at once: each value then a newline, matched in one pass."""
    found = _JOINED.get(fmt)
    if found is None:
        body = _FORMATS[fmt].pattern.removeprefix("^").removesuffix("$")
        found = _JOINED[fmt] = re.compile(f"(?:{body}\n)*")
    return found


def _columns_ok(schema: Schema, values: Any, rules: Rules, depth: int) -> bool:
    """True only when every value surely conforms to ``schema`` (no finding of any severity)."""
    if depth > MAX_DEPTH - 2 or rules.text_scalars or rules.json_text_objects:
        return False
    plan = _plan(schema)
    if plan.choices or plan.bounds is not None or not plan.declared:
        return False
    kinds = set(map(type, values))
    if type(None) in kinds:
        if not plan.nullable:
            return False
        values = [v for v in values if v is not None]
        kinds.discard(type(None))
        if not values:
            return True
    allowed: frozenset[type] = frozenset().union(*(_PLAIN_TYPES.get(t, frozenset()) for t in plan.types))
    if not kinds <= allowed or (bool in kinds and "boolean" not in plan.types):
        return False
    if plan.enum:
        try:
            if not set(values) <= set(plan.enum):
                return False
        except TypeError:  # unhashable values or enum entries
            return False
    fmt = plan.fmt
    if fmt in _INT_RANGES:
        low, high = _INT_RANGES[fmt]
        if kinds != {int} or not (low <= min(values) and max(values) <= high):
            return False
    elif fmt is not None:
        if kinds != {str}:
            return False
        distinct = set(values)  # timestamps and ids repeat more than one would think
        text = "\n".join(distinct) + "\n"
        if text.count("\n") != len(distinct) or _joined_format(fmt).fullmatch(text) is None:
            return False
    if dict in kinds:
        return kinds == {dict} and _objects_ok(schema, values, rules, depth)
    if list in kinds:
        items = plan.items
        if kinds != {list} or items is None:
            return kinds == {list} and items is None
        inner = [x for v in values for x in v]
        return not inner or _columns_ok(items, inner, rules, depth + 1)
    return True


def _objects_ok(schema: Schema, values: list[dict[str, Any]], rules: Rules, depth: int) -> bool:
    props, required, extra = _plan(schema).object_parts(schema)
    sizes = set(map(len, values))
    keys = set().union(*values)
    if len(sizes) != 1 or len(keys) != next(iter(sizes)):
        return False  # not every object has the same fields: the item-by-item walk says which
    if any(name not in keys for name in required):
        return False
    unknown = keys - props.keys()
    if unknown and not isinstance(extra, Schema) and (extra is False or (extra is None and props and rules.unknown != "ignore")):
        return False
    names = sorted(keys)
    if not names:
        return True
    # One C-level pass makes every column: each object's values in the names' order, transposed.
    columns = (zip(*map(operator.itemgetter(*names), values), strict=True) if len(names) > 1
               else [[v[names[0]] for v in values]])
    for name, column in zip(names, columns, strict=True):
        prop = props.get(name) or (extra if isinstance(extra, Schema) else None)
        if prop is not None and not _columns_ok(prop, column, rules, depth + 1):
            return False
    return True
