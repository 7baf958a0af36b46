"""Reading JSON from files jsdesk did not write (record files, register extracts).

``json.loads`` accepts things that later crash or stall the program: a lone
surrogate escape (``"\\udfff"``) gives a string that cannot be printed or
stored as UTF-8, a NUL (``"\\u0000"``) cannot be stored in the shared PostgreSQL
database (nor is it ever a meaningful value), deep nesting raises ``RecursionError``
(or later, when the value is stored), and an integer of thousands of digits raises
``ValueError``.
``loads_untrusted`` parses with these refused and names the line and column in
``UntrustedJsonError``. Ordinary files pay only a regular-expression search and
an integer hook; the exact (slower) scan for the position runs only when a
problem was found.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

MAX_DEPTH = 64
MAX_INT_DIGITS = 100

_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# Strings (with their escapes), brackets, and runs of digits outside strings.
_TOKENS = re.compile(_STRING + r"|[\[\]{}]|[0-9]+", re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL_ESCAPE = re.compile(r"\\u0000")
_CONTAINERS = (dict, list)


class UntrustedJsonError(ValueError):
    """A JSON text that must be refused; ``detail`` is Bokmål and names line and column."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _HugeInteger(ValueError):
    pass


def bounded_int(digits: str) -> int:
    """``parse_int`` hook: integers of more than ``MAX_INT_DIGITS`` digits are refused."""
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _HugeInteger(digits)
    return int(digits)


def loads_untrusted(text: str, **hooks: Any) -> object:
    """``json.loads`` for files from outside; raises ``UntrustedJsonError`` or JSONDecodeError."""
    check_surrogates(text)
    try:
        data = json.loads(text, parse_int=bounded_int, **hooks)
    except (RecursionError, _HugeInteger):
        raise locate_problem(text) from None
    if too_deep(data):
        raise locate_problem(text)
    return data


def untrusted_decoder(**hooks: Any) -> json.JSONDecoder:
    """A decoder for ``raw_decode_untrusted`` loops."""
    return json.JSONDecoder(parse_int=bounded_int, **hooks)


def raw_decode_untrusted(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[object, int]:
    """One value from ``text`` at ``pos`` (call ``check_surrogates(text)`` once first)."""
    try:
        value, end = decoder.raw_decode(text, pos)
    except (RecursionError, _HugeInteger):
        raise locate_problem(text) from None
    if too_deep(value):
        raise locate_problem(text)
    return value, end


def check_surrogates(text: str) -> None:
    """Raise ``UntrustedJsonError`` when a string holds a lone surrogate or a NUL escape."""
    if _SURROGATE.search(text) or _SURROGATE_ESCAPE.search(text) or _NUL_ESCAPE.search(text):
        error = _scan(text, surrogates_only=True)
        if error is not None:
            raise error


def too_deep(value: object) -> bool:
    """True when lists and objects nest deeper than ``MAX_DEPTH`` (level by level, no recursion)."""
    level: list[Any] = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return True
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
    return False


def locate_problem(text: str) -> UntrustedJsonError:
    """The first lone surrogate, deep nesting or huge integer in ``text``, with its position."""
    return _scan(text, surrogates_only=False) or UntrustedJsonError(
        "innholdet er for dypt nøstet eller har for store tall"
    )


def _scan(text: str, *, surrogates_only: bool) -> UntrustedJsonError | None:
    newlines = [m.start() for m in re.finditer("\n", text)]

    def refuse(offset: int, detail: str) -> UntrustedJsonError:
        line = bisect_right(newlines, offset - 1)
        start = newlines[line - 1] + 1 if line else 0
        return UntrustedJsonError(f"linje {line + 1}, kolonne {offset - start + 1}: {detail}")

    raw_surrogate = _SURROGATE.search(text)  # only when the caller decoded leniently
    if raw_surrogate is not None:
        return refuse(raw_surrogate.start(), "et ugyldig tegn (enslig surrogat)")
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if _SURROGATE_ESCAPE.search(token) and _has_lone_surrogate(token):
                return refuse(
                    match.start(), "en tekst med et ugyldig tegn (en enslig surrogat som «\\udfff»)"
                )
            if _NUL_ESCAPE.search(token) and "\x00" in _decoded(token):
                return refuse(
                    match.start(), "en tekst med tegnet NUL («\\u0000»), som ikke kan lagres"
                )
        elif surrogates_only:
            continue
        elif first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return refuse(match.start(), f"nøstet dypere enn {MAX_DEPTH} nivåer")
        elif first in "]}":
            depth -= 1
        elif len(token) > MAX_INT_DIGITS:
            return refuse(
                match.start(), f"et tall med {len(token)} sifre (høyst {MAX_INT_DIGITS} er tillatt)"
            )
    return None


def _decoded(token: str) -> str:
    try:
        decoded = json.loads(token)
    except ValueError:
        return ""  # not a valid string: the parser reports it with its own position
    return decoded if isinstance(decoded, str) else ""


def _has_lone_surrogate(token: str) -> bool:
    return _SURROGATE.search(_decoded(token)) is not None
