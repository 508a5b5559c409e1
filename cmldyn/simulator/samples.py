"""Values made up from a schema: seeded, deterministic, shaped by format and field name.

Owns: :class:`Sampler`, which walks a schema view (through the shared schema graph, so a
recursive schema stops at a depth budget instead of expanding) and makes a value that the
schema accepts. Two styles:

- ``minimal``: the first enum value, empty strings and arrays, zeros (CML's profile, whose
  answers are filled in by its own rules);
- ``rich``: what a person expects to see from a stateful mock: ids in the style the schema
  suggests, names, emails, URLs and dates where the field name or format asks for them,
  one item in arrays.

Either way the value conforms: numbers inside their bounds (exclusive ones and ``multipleOf``
too), strings within their lengths and matching their ``pattern`` (patterns.py), arrays within
their item counts, one ``oneOf`` branch that fits that branch alone; an ``example`` or ``default``
is used only where it fits its own schema. What cannot be honoured is kept in ``unhonoured`` for
the simulator to say at start-up. Never reads a raw ``$ref``; imports only the document layer.
"""

from __future__ import annotations

import base64
import random
import re
import string
import uuid
from typing import Any, Callable

from ..naming import singular
from ..schema import Schema
from ..validator import RESPONSE_RULES, bounds_of, check
from .patterns import string_for

__all__ = ["Sampler", "id_like", "lint"]

JSON = Any
MAX_DEPTH = 4

_WORDS = ("rex", "luna", "milo", "nova", "otis", "pixel", "maple", "juno", "atlas", "willow", "ember", "kiwi")
_TEXT = ("A simulated value.", "Made up by cmldyn sim.", "Nothing real lives here.")


def id_like(example: JSON, rng: random.Random) -> str:
    """A new value shaped like ``example``: each letter a random letter of the same case, each digit a digit."""
    out = []
    for char in str(example):
        if char.isdigit():
            out.append(rng.choice(string.digits))
        elif char.islower():
            out.append(rng.choice(string.ascii_lowercase))
        elif char.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        else:
            out.append(char)
    return "".join(out)


class Sampler:
    """Makes values for schemas. ``now`` gives the simulated time as an ISO string."""

    def __init__(self, rng: random.Random, now: Callable[[], str], *, style: str = "rich") -> None:
        self.rng = rng
        self.now = now
        self.rich = style == "rich"
        #: What a spec asks that no value could honour (a pattern beyond the reader, a oneOf whose
        #: branches all overlap), by schema pointer: the simulator says each once at start-up.
        self.unhonoured: dict[str, str] = {}
        self._fits: dict[int, bool] = {}  # example or default fits its schema, by view

    def value(self, schema: Schema | None, name: str = "", depth: int = 0) -> JSON:
        """A value ``schema`` accepts; ``name`` is the field it is for (it shapes strings)."""
        if schema is None:
            return {} if not self.rich else None
        if schema.enum:
            return schema.enum[0]
        if self.rich:
            for keyword in ("example", "default"):
                found = schema.raw.get(keyword)
                if found is not None and not isinstance(found, (dict, list)) and self.fits(schema, keyword, found):
                    return found
        kind = schema.type
        if kind is None:
            for key, parts in (("oneOf", schema.one_of), ("anyOf", schema.any_of)) if self.rich else ():
                if parts:
                    return self.choice(schema, key, parts, name, depth)
            return {} if not self.rich else None
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            bounds = bounds_of(schema)
            least = bounds.min_items or 0 if bounds is not None else 0
            if not self.rich and not least or schema.items is None:
                return []
            most = bounds.max_items if bounds is not None and bounds.max_items is not None else 3
            count = min(max(1 if self.rich and depth < MAX_DEPTH else 0, least), max(most, least))
            made = [self.value(schema.items, singular(name), depth + 1) for _ in range(count)]
            if bounds is not None and bounds.unique:
                made = self._distinct(schema.items, made, singular(name), depth)
            return made
        if kind == "integer":
            return self.number(schema, name, integer=True)
        if kind == "number":
            return float(self.number(schema, name, integer=False))
        if kind == "boolean":
            return False
        if kind == "string":
            return self.string(schema, name)
        return None if self.rich else {}

    def object(self, schema: Schema, depth: int = 0) -> dict[str, JSON]:
        if depth > (MAX_DEPTH if self.rich else 3):
            return {}
        out: dict[str, JSON] = {}
        required = schema.required
        for key, prop in schema.properties.items():
            if self.rich and prop.write_only:
                continue
            if self.rich and depth >= MAX_DEPTH - 1 and key not in required:
                continue  # deep in a recursive schema: only what must be there
            made = self.value(prop, key, depth + 1)
            if made is None and self.rich and not prop.nullable and key not in required:
                continue
            out[key] = made
        return out

    def number(self, schema: Schema, name: str, *, integer: bool) -> int | float:
        """A number inside the schema's bounds (exclusive ones and multipleOf as well)."""
        bounds = bounds_of(schema)
        value: float = 0
        if self.rich:
            value = self.rng.randint(1, 10) if re.search(r"(count|total|size|number|num)$", name.lower()) else \
                self.rng.randint(1, 100)
        if bounds is None:
            return int(value) if integer else float(value)
        step = 1.0 if integer else 0.5
        low = None if bounds.low is None else bounds.low + (step if bounds.low_open else 0)
        high = None if bounds.high is None else bounds.high - (step if bounds.high_open else 0)
        if low is not None and high is not None and low > high:  # a narrow open interval of numbers
            low = high = (bounds.low + bounds.high) / 2 if bounds.low is not None and bounds.high is not None else low
        if low is not None:
            value = max(value, low if not integer else -(-low // 1))
        if high is not None:
            value = min(value, high if not integer else high // 1)
        if bounds.multiple:
            value = (-(-value // bounds.multiple)) * bounds.multiple  # the next multiple up
            if high is not None and value > high:
                value -= bounds.multiple
        return int(value) if integer else float(value)

    def string(self, schema: Schema, name: str) -> str:
        fmt = schema.format or ""
        if fmt == "date-time":
            return self.now()
        if fmt in ("int64", "uint64"):  # grpc-gateway writes 64-bit integers as strings
            return "0" if not self.rich else str(self.rng.randint(1, 1000))
        bounds = bounds_of(schema)
        low = bounds.min_length or 0 if bounds is not None else 0
        high = bounds.max_length if bounds is not None else None
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            made = string_for(pattern, self.rng, min_length=low, max_length=high)
            if made is not None:
                return made
            self.unhonoured.setdefault(schema.pointer, f"no string matching its pattern {pattern!r} could be made")
        text = self._shaped(fmt, name.lower()) if self.rich else ""
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

    def choice(self, schema: Schema, key: str, parts: list[Schema], name: str, depth: int) -> JSON:
        """A value for one branch of a oneOf (that fits that branch alone) or anyOf (that fits one)."""
        for part in parts:
            made = self.value(part, name, depth)
            fits = [p for p in parts if not _errors(p, made)]
            if part in fits and (key == "anyOf" or len(fits) == 1):
                return made
        self.unhonoured.setdefault(schema.pointer, f"no value fits exactly one branch of its {key}")
        return self.value(parts[0], name, depth)

    def fits(self, schema: Schema, keyword: str, value: JSON) -> bool:
        """Whether the schema's own example (or default) fits it; one that does not is said once, not used."""
        known = self._fits.get(id(schema))
        if known is None:
            known = self._fits[id(schema)] = not _errors(schema, value)
            if not known:
                self.unhonoured.setdefault(schema.pointer, f"its {keyword} {value!r} breaks its own schema; not used")
        return known

    def _distinct(self, items: Schema, made: list[JSON], name: str, depth: int) -> list[JSON]:
        seen: list[JSON] = []
        for value in made:
            for _ in range(8):
                if value not in seen:
                    break
                value = self.value(items, name, depth + 1)
            seen.append(value)
        return seen

    def _shaped(self, fmt: str, name: str) -> str:
        rng = self.rng
        if fmt == "date":
            return self.now()[:10]
        if fmt == "uuid" or name in ("uuid", "guid"):
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt == "email" or "email" in name:
            return f"{rng.choice(_WORDS)}@example.com"
        if fmt in ("uri", "url", "uri-reference", "iri") or re.search(r"(url|uri|link|href|website)$", name):
            return f"https://example.com/{rng.choice(_WORDS)}"
        if fmt == "hostname" or name.endswith(("host", "hostname", "domain")):
            return f"{rng.choice(_WORDS)}.example.com"
        if fmt == "ipv4" or name in ("ip", "ip_address", "ipaddress"):
            return f"192.0.2.{rng.randint(1, 254)}"
        if fmt == "ipv6":
            return f"2001:db8::{rng.randint(1, 0xffff):x}"
        if fmt == "byte":
            return base64.b64encode(rng.choice(_WORDS).encode()).decode()
        if fmt == "binary":
            return "simulated bytes"
        if fmt == "password" or re.search(r"(password|secret|token|key)$", name):
            return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
        if re.search(r"(^|_)(at|time|date)$|(At|Time|Date)$", name) or name.endswith(("_at", "date", "time")):
            return self.now()
        if name == "id" or name.endswith(("_id", "id", "identifier")):
            return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
        if name.endswith("name") or name in ("title", "label", "tag", "slug"):
            return rng.choice(_WORDS)
        if name in ("phone", "phone_number", "phonenumber"):
            return f"+1-555-{rng.randint(1000, 9999)}"
        if name in ("description", "summary", "comment", "message", "text", "note", "notes"):
            return rng.choice(_TEXT)
        return rng.choice(_WORDS)


def _errors(schema: Schema, value: JSON) -> bool:
    return any(f.severity == "error" for f in check(schema, value, where="$", rules=RESPONSE_RULES, limit=1))


def lint(roots: list[Schema], sampler: Sampler, limit: int = 20_000) -> None:
    """Walk every schema reachable from ``roots`` once (shared and recursive ones too) and record in the
    sampler's ``unhonoured`` what no value could honour: a pattern the reader cannot make a string for,
    an example or default that breaks its own schema. The simulator says these once at start-up."""
    seen: set[str] = set()
    queue = list(roots)
    while queue and len(seen) < limit:
        schema = queue.pop()
        if schema.pointer in seen:
            continue
        seen.add(schema.pointer)
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and string_for(pattern, random.Random(0)) is None:
            sampler.unhonoured.setdefault(schema.pointer, f"no string matching its pattern {pattern!r} could be made")
        for keyword in ("example", "default"):
            found = schema.get(keyword)
            if found is not None:
                sampler.fits(schema, keyword, found)
        queue.extend(schema.properties.values())
        queue.extend(p for p in (schema.items, schema.additional_properties) if isinstance(p, Schema))
        queue.extend([*schema.all_of, *schema.one_of, *schema.any_of])
