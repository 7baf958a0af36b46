"""Helpers for the GUI tests: test databases with synthetic participations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from jsdesk.domain.fnr import synthetic_number
from jsdesk.storage import Database

PASSPHRASE = "korrekt hest batteri"
FORM_VERSION = "2023.1"


def make_db(
    path: Path,
    records: Iterable[Mapping[str, object]] = (),
    *,
    kommunenummer: str = "0301",
    bydel: str | None = "030101",
) -> list[int]:
    """A test installation at ``path`` holding ``records``; returns their ids."""
    db, _key = Database.create(
        path, PASSPHRASE, kommunenummer=kommunenummer, bydel=bydel, test_installation=True
    )
    with db:
        return [db.create_participation(dict(r), form_version=FORM_VERSION) for r in records]


def synthetic(birth: date, individual: int) -> str:
    """A Tenor number for ``birth``, from the first individual number from ``individual`` on
    that yields valid control digits (about one in eleven does not)."""
    for candidate in range(individual, individual + 40):
        try:
            return synthetic_number(birth, candidate)
        except ValueError:
            continue
    raise ValueError(f"no synthetic number near {individual}")


def person(birth: date, individual: int, start: str, **values: object) -> dict[str, object]:
    """A minimal record for a synthetic person starting on ISO date ``start``."""
    return {
        "fodselsnummer": synthetic(birth, individual),
        "oppstartsdato": start,
        **values,
    }
