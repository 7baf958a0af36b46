"""Reading the national registers' lists shipped in ``resources/``: municipalities by
year and their changes, Oslo's bydeler, FREG's sivilstand values.

The lists are CSV files (see resources/PROVENANCE.md), read once and cached. This
module only reads them; what is valid when is answered by the domain objects in
:mod:`jsdesk.domain.code_domains`, which every other module asks. The list in force
on a date is ``kommuner_<year>.csv`` for that date's year, clamped to the years
shipped (a date before the oldest list uses the oldest, a date after the newest uses
the newest).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

from jsdesk.errors import UserError
from jsdesk.paths import resources_dir

_KOMMUNE_FILE = re.compile(r"kommuner_(\d{4})\.csv")


def municipalities_in(year: int) -> Mapping[str, str]:
    """kommunenummer -> kommunenavn in force in ``year``, clamped to the years shipped."""
    years = municipality_years()
    return _municipalities(min(max(year, years[0]), years[-1]))


@dataclass(frozen=True, slots=True)
class MunicipalityChange:
    """One line of kommuner_endringer.csv: ``from_nr`` continued as ``to_nr``."""

    from_nr: str
    to_nr: str
    valid_from: date
    kind: str  # "nytt nummer", "deling", ...


@functools.cache
def municipality_changes() -> tuple[MunicipalityChange, ...]:
    rows = _read_csv(
        "kommuner_endringer.csv",
        ("fra_kommunenummer", "til_kommunenummer", "gyldig_fra", "endring"),
    )
    return tuple(
        MunicipalityChange(
            row["fra_kommunenummer"],
            row["til_kommunenummer"],
            date.fromisoformat(row["gyldig_fra"]),
            row["endring"],
        )
        for row in rows
    )


@functools.cache
def oslo_bydeler() -> Mapping[str, str]:
    """bydelsnummer -> bydelsnavn for every bydel in the list, statistical areas included."""
    rows = _read_csv("oslo_bydeler.csv", ("bydelsnummer", "bydelsnavn"))
    return MappingProxyType({row["bydelsnummer"]: row["bydelsnavn"] for row in rows})


@functools.cache
def freg_sivilstand() -> frozenset[str]:
    """FREG's sivilstand values, e.g. "gift", "enkeEllerEnkemann"."""
    return frozenset(
        row["freg_enum"] for row in _read_csv("freg_sivilstandstype.csv", ("freg_enum",))
    )


@functools.cache
def municipality_years() -> tuple[int, ...]:
    folder = resources_dir()
    try:
        names = [path.name for path in folder.iterdir()]
    except OSError as exc:
        raise UserError(
            f"Programfilene i {folder} kan ikke leses ({exc.strerror}). Installer jsdesk på nytt."
        ) from exc
    years = sorted(int(m[1]) for name in names if (m := _KOMMUNE_FILE.fullmatch(name)))
    if not years:
        raise UserError(
            f"Kommunelistene (kommuner_ÅÅÅÅ.csv) mangler i {folder}. Installer jsdesk på nytt."
        )
    return tuple(years)


@functools.cache
def _municipalities(year: int) -> Mapping[str, str]:
    rows = _read_csv(f"kommuner_{year}.csv", ("kommunenummer", "kommunenavn"))
    return MappingProxyType({row["kommunenummer"]: row["kommunenavn"] for row in rows})


def _read_csv(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path: Path = resources_dir() / name
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(
            f"Programfilen {path} kan ikke leses ({exc}). Installer jsdesk på nytt."
        ) from exc
    if missing:
        raise UserError(
            f"Programfilen {path} mangler kolonnen {', '.join(missing)}. Installer jsdesk på nytt."
        )
    return rows
