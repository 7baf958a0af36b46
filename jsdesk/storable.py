"""Text no back end stores: the NUL character (code 0).

PostgreSQL's text cannot hold a NUL, so the shared database cannot store it. The local
file is held to the same rule, so both back ends behave alike and a record can move
from one to the other unchanged. Storage refuses a NUL at every write of typed text
(a record's values, settings, reasons); the wizard's fields take it out as it is pasted
(``storable``) and say so on the field, keeping the rest of the text. The rule sits below
storage so that the window's inputs can ask it without loading storage at start.
"""

from __future__ import annotations

from collections.abc import Mapping

from jsdesk.errors import UserError

UNSTORABLE = "\x00"

DROPPED_NOTE = (
    "Tegnet NUL (kode 0) kan ikke lagres og ble fjernet fra teksten. Resten av teksten er beholdt."
)


def storable(text: str) -> str:
    """``text`` without the characters no back end stores."""
    return text.replace(UNSTORABLE, "")


def holds_unstorable(value: object) -> bool:
    """True when ``value`` (text, or a JSON value holding text) holds a NUL."""
    if isinstance(value, str):
        return UNSTORABLE in value
    if isinstance(value, Mapping):
        return any(holds_unstorable(k) or holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_unstorable(item) for item in value)
    return False


def refuse_unstorable(values: Mapping[str, object]) -> None:
    """Raise ``UserError`` (exit 2) naming the first of ``values`` that holds a NUL."""
    for name, value in values.items():
        if holds_unstorable(value):
            raise UserError(
                f"«{name}» inneholder tegnet NUL (kode 0), som ikke kan lagres. "
                "Fjern tegnet og prøv igjen; ingenting er lagret.",
                2,
            )
