"""A string that matches a spec's ``pattern``: the regular expressions specs use, read by a small parser.

Owns: :func:`string_for`. It reads literals and escapes, ``.``, ``\\d \\w \\s``, character classes with
ranges (negated ones too), groups (capturing or ``(?:``) with alternatives, and the quantifiers ``? * +
{n} {n,} {n,m}``; anchors are dropped. What it makes is checked with ``re`` before it is returned, so
a pattern beyond that subset (lookarounds, back references) gives None, never a wrong value: the
simulator then says at start-up that it cannot honour that pattern. Imports nothing of cmldyn.
"""

from __future__ import annotations

import random
import re
import string

__all__ = ["string_for"]

_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " ",
            "D": string.ascii_letters, "W": "-.", "S": string.ascii_letters}
_PRINTABLE = string.ascii_letters + string.digits + "-_."
_MAX_REPEAT = 3  # open-ended quantifiers repeat a few times at most


class _Unsupported(Exception):
    pass


def string_for(pattern: str, rng: random.Random, *, min_length: int = 0, max_length: int | None = None) -> str | None:
    """A string ``pattern`` matches (searched, as JSON Schema reads it) within the lengths, or None."""
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for _ in range(8):
        try:
            made = _Reader(pattern, rng).whole()
        except (_Unsupported, IndexError, ValueError, RecursionError):
            return None
        if compiled.search(made) and len(made) >= min_length and (max_length is None or len(made) <= max_length):
            return made
    return None


class _Reader:
    """A recursive-descent reader of the subset, writing one matching string as it goes."""

    def __init__(self, pattern: str, rng: random.Random) -> None:
        self.text = pattern
        self.at = 0
        self.rng = rng

    def whole(self) -> str:
        made = self.alternatives()
        if self.at != len(self.text):
            raise _Unsupported(self.text[self.at:])
        return made

    def alternatives(self) -> str:
        options = [self.sequence()]
        while self.peek() == "|":
            self.at += 1
            options.append(self.sequence())
        return self.rng.choice(options)

    def sequence(self) -> str:
        out = []
        while self.at < len(self.text) and self.peek() not in "|)":
            out.append(self.repeated())
        return "".join(out)

    def repeated(self) -> str:
        start = self.at
        self.atom()  # read once to find where the atom ends; each repetition is made afresh below
        end = self.at
        low, high = self.quantifier()
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.at += 1
        count = self.rng.randint(low, high)
        out = []
        for _ in range(count):
            self.at = start
            out.append(self.atom())
        self.at = end
        self.quantifier()
        if self.peek() in ("?", "+"):
            self.at += 1
        return "".join(out)

    def quantifier(self) -> tuple[int, int]:
        char = self.peek()
        if char == "?":
            self.at += 1
            return 0, 1
        if char == "*":
            self.at += 1
            return 0, _MAX_REPEAT
        if char == "+":
            self.at += 1
            return 1, _MAX_REPEAT
        if char == "{":
            match = re.match(r"\{(\d+)(,(\d*))?\}", self.text[self.at:])
            if match is None:
                return 1, 1  # a literal brace, read as an atom next time round
            self.at += match.end()
            low = int(match.group(1))
            high = low if match.group(2) is None else (int(match.group(3)) if match.group(3) else low + _MAX_REPEAT)
            return low, max(low, min(high, low + _MAX_REPEAT))
        return 1, 1

    def atom(self) -> str:
        char = self.take()
        if char == "^" or char == "$":
            return ""
        if char == ".":
            return self.rng.choice(string.ascii_lowercase)
        if char == "\\":
            return self.escape()
        if char == "[":
            return self.rng.choice(self.char_class())
        if char == "(":
            if self.text.startswith("?:", self.at):
                self.at += 2
            elif self.peek() == "?":
                raise _Unsupported("lookaround or named group")
            made = self.alternatives()
            if self.take() != ")":
                raise _Unsupported("unclosed group")
            return made
        if char in "*+?)|":
            raise _Unsupported(char)
        return char

    def escape(self) -> str:
        char = self.take()
        if char in _CLASSES:
            return self.rng.choice(_CLASSES[char])
        if char.isdigit() or char in "bBAZzkpP":
            raise _Unsupported("\\" + char)
        return {"n": "\n", "t": "\t", "r": "\r"}.get(char, char)

    def char_class(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        members: list[str] = []
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.take()
                if escaped in _CLASSES:
                    members.extend(_CLASSES[escaped])
                    continue
                char = {"n": "\n", "t": "\t"}.get(escaped, escaped)
            if self.peek() == "-" and self.text[self.at + 1: self.at + 2] not in ("]", ""):
                self.at += 1
                end = self.take()
                if end == "\\":
                    end = self.take()
                members.extend(chr(c) for c in range(ord(char), ord(end) + 1))
            else:
                members.append(char)
        if negated:
            return "".join(c for c in _PRINTABLE if c not in members) or "~"
        return "".join(members)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        char = self.text[self.at]
        self.at += 1
        return char
