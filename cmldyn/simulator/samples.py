"""Values made up from a schema: seeded, deterministic, shaped by format and field name.

Owns: :class:`Sampler`, which walks a schema view (through the shared schema graph, so a
recursive schema stops at a depth budget instead of expanding) and makes a value that the
schema accepts. Two styles:

- ``minimal``: the first enum value, empty strings and arrays, zeros (CML's profile, whose
  answers are filled in by its own rules);
- ``rich``: what a person expects to see from a stateful mock: ids in the style the schema
  suggests, names, emails, URLs and dates where the field name or format asks for them,
  one item in arrays, numbers inside ``minimum``/``maximum``.

Never reads a raw ``$ref``; imports only the schema layer.
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

__all__ = ["Sampler", "id_like"]

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

    def value(self, schema: Schema | None, name: str = "", depth: int = 0) -> JSON:
        """A value ``schema`` accepts; ``name`` is the field it is for (it shapes strings)."""
        if schema is None:
            return {} if not self.rich else None
        if schema.enum:
            return schema.enum[0]
        if self.rich:
            for keyword in ("example", "default"):
                found = schema.raw.get(keyword)
                if found is not None and not isinstance(found, (dict, list)):
                    return found
        kind = schema.type
        if kind is None:
            for parts in (schema.one_of, schema.any_of) if self.rich else ():
                if parts:
                    return self.value(parts[0], name, depth)
            return {} if not self.rich else None
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            if not self.rich or depth >= MAX_DEPTH or schema.items is None:
                return []
            count = max(1, min(int(schema.raw.get("minItems") or 1), 3))
            return [self.value(schema.items, singular(name), depth + 1) for _ in range(count)]
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
        low = schema.raw.get("minimum")
        high = schema.raw.get("maximum")
        low = low if isinstance(low, (int, float)) and not isinstance(low, bool) else None
        high = high if isinstance(high, (int, float)) and not isinstance(high, bool) else None
        if not self.rich:
            return 0 if integer else 0.0
        value: float = self.rng.randint(1, 100)
        if re.search(r"(count|total|size|number|num)$", name.lower()):
            value = self.rng.randint(1, 10)
        if low is not None:
            value = max(value, low + (1 if schema.raw.get("exclusiveMinimum") is True else 0))
        if high is not None:
            value = min(value, high - (1 if schema.raw.get("exclusiveMaximum") is True else 0))
        if integer:
            return int(value)
        return value

    def string(self, schema: Schema, name: str) -> str:
        fmt = schema.format or ""
        if fmt == "date-time":
            return self.now()
        if fmt in ("int64", "uint64"):  # grpc-gateway writes 64-bit integers as strings
            return "0" if not self.rich else str(self.rng.randint(1, 1000))
        if not self.rich:
            return ""
        text = self._shaped(fmt, name.lower())
        low = schema.raw.get("minLength")
        high = schema.raw.get("maxLength")
        if isinstance(low, int) and len(text) < low:
            text = text + "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text

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
