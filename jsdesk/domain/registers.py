"""Reading the national registers' lists shipped in ``resources/``: municipalities by
year and their changes, Oslo's bydeler, FREG's sivilstand values.

The lists are CSV files (see resources/PROVENANCE.md), read once and cached. This
module only reads them; what is valid when is answered by the domain objects in
:mod:`jsdesk.domain.code_domains`, which every other module asks. The list in force
on a date is ``kommuner_<year>.csv`` for that date's year, clamped to the years
shipped (a date before the oldest list uses the oldest, a date after the newest uses
the newest).

An installed update package may carry any of these files
(:mod:`jsdesk.installed`): from its valid-from date it is read instead of
the shipped one, and a ``kommuner_<year>.csv`` for a year not shipped adds that
year. ``forget_cached`` makes the next question read the files again.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

from jsdesk import installed
from jsdesk.errors import UserError
from jsdesk.paths import resources_dir

_KOMMUNE_FILE = re.compile(r"kommuner_(\d{4})\.csv")

# The reference files a package may carry, with the columns each must have.
MUNICIPALITY_COLUMNS = ("kommunenummer", "kommunenavn")
CHANGE_COLUMNS = ("fra_kommunenummer", "til_kommunenummer", "gyldig_fra", "endring")
BYDEL_COLUMNS = ("bydelsnummer", "bydelsnavn")
SIVILSTAND_COLUMNS = ("freg_enum",)
_FIXED_FILES = {
    "kommuner_endringer.csv": CHANGE_COLUMNS,
    "oslo_bydeler.csv": BYDEL_COLUMNS,
    "freg_sivilstandstype.csv": SIVILSTAND_COLUMNS,
}


def reference_columns(name: str) -> tuple[str, ...] | None:
    """The columns the reference file ``name`` must have; None when no such file is known."""
    if _KOMMUNE_FILE.fullmatch(name):
        return MUNICIPALITY_COLUMNS
    return _FIXED_FILES.get(name)


def municipality_list_year(name: str) -> int | None:
    """2027 for ``kommuner_2027.csv``, None for any other file."""
    match = _KOMMUNE_FILE.fullmatch(name)
    return int(match[1]) if match else None


def read_reference_rows(data: bytes, name: str) -> list[dict[str, str]]:
    """The rows of a reference file's bytes (a package's); UserError when unusable."""
    columns = reference_columns(name)
    if columns is None:
        raise UserError(f"«{name}» er ikke en referansedatafil jsdesk kjenner.")
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{name} kan ikke leses ({exc}).") from exc
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise UserError(f"{name} mangler kolonnen {', '.join(missing)}.")
    if not rows:
        raise UserError(f"{name} har ingen rader.")
    return rows


def forget_cached() -> None:
    """Read every list again on next use (after an update package was installed)."""
    installed.forget_installed()
    for cached in (municipality_changes, oslo_bydeler, freg_sivilstand, municipality_years):
        cached.cache_clear()
    _municipalities.cache_clear()


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
    rows = _read_csv("kommuner_endringer.csv", CHANGE_COLUMNS)
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
    rows = _read_csv("oslo_bydeler.csv", BYDEL_COLUMNS)
    return MappingProxyType({row["bydelsnummer"]: row["bydelsnavn"] for row in rows})


@functools.cache
def freg_sivilstand() -> frozenset[str]:
    """FREG's sivilstand values, e.g. "gift", "enkeEllerEnkemann"."""
    return frozenset(
        row["freg_enum"] for row in _read_csv("freg_sivilstandstype.csv", SIVILSTAND_COLUMNS)
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
    names += installed.reference_file_names()
    years = sorted({int(m[1]) for name in names if (m := _KOMMUNE_FILE.fullmatch(name))})
    if not years:
        raise UserError(
            f"Kommunelistene (kommuner_ÅÅÅÅ.csv) mangler i {folder}. Installer jsdesk på nytt."
        )
    return tuple(years)


@functools.cache
def _municipalities(year: int) -> Mapping[str, str]:
    rows = _read_csv(f"kommuner_{year}.csv", MUNICIPALITY_COLUMNS)
    return MappingProxyType({row["kommunenummer"]: row["kommunenavn"] for row in rows})


def _read_csv(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path: Path = installed.reference_file(name) or resources_dir() / name
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
