"""Helpers for the registry tests: synthetic numbers and extract files.

Only Tenor synthetic numbers (month + 80) are used, built by the domain
helper while the test runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from jsdesk.domain.fnr import synthetic_number
from jsdesk.rules import default_form
from jsdesk.storage import Database


def synthetic_numbers(count: int, *, start_year: int = 1975) -> list[str]:
    """``count`` distinct Tenor numbers with birth years from ``start_year`` on."""
    return list(_numbers(count, start_year))


def _numbers(count: int, start_year: int) -> Iterator[str]:
    made = 0
    day = dt.date(start_year, 1, 1)
    while True:
        for individual in range(100, 500, 7):
            try:
                number = synthetic_number(day, individual)
            except ValueError:
                continue
            yield number
            made += 1
            if made == count:
                return
        day += dt.timedelta(days=1)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> Path:
    lines = [delimiter.join(header)]
    lines += [delimiter.join("" if value is None else str(value) for value in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def add_participations(db: Database, numbers: Sequence[str], **values: object) -> list[int]:
    """One participation in Oslo (bydel 030101) per number, started 15.01.2024, plus
    ``values``; their ids."""
    version = default_form().version
    return [
        db.create_participation(
            {
                "fodselsnummer": number,
                "kommunenummer": "0301",
                "bydel": "030101",
                "oppstartsdato": "2024-01-15",
                **values,
            },
            form_version=version,
        )
        for number in numbers
    ]


FREG_HEADER = ("fodselsnummer", "fodeland", "sivilstand", "ankomstar", "fodselsar")
PAD_HEADER = ("fodselsnummer", "provedato", "provetype", "proveresultat")
