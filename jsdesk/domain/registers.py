"""National registers the form refers to: municipalities by year, Oslo's bydeler,
FREG's sivilstand values and country codes.

The lists are CSV files shipped in ``resources/`` (see resources/PROVENANCE.md),
read once and cached. A kommunenummer is valid for a date, not forever: the list
in force on a date is ``kommuner_<year>.csv`` for that date's year, clamped to
the years shipped (a date before the oldest list uses the oldest, a date after the
newest uses the newest).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType

from jsdesk.errors import UserError
from jsdesk.paths import resources_dir

# Oslo's administrative bydeler. 030116 Sentrum and 030117 Marka are statistical
# areas and 030199 means unknown; none of those can run a project.
ADMIN_BYDELER: frozenset[str] = frozenset(f"0301{n:02d}" for n in range(1, 16))

UNKNOWN_COUNTRY = "XUK"  # FREG's code for unknown country

_KOMMUNE_FILE = re.compile(r"kommuner_(\d{4})\.csv")


def municipalities_on(day: date) -> Mapping[str, str]:
    """kommunenummer -> kommunenavn for the municipalities in force on ``day``."""
    years = _municipality_years()
    year = min(max(day.year, years[0]), years[-1])
    return _municipalities(year)


def kommunenavn(nr: str, day: date) -> str | None:
    """The municipality's name on ``day``, or None when the number is not in force then."""
    return municipalities_on(day).get(nr)


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


def is_country_alpha3(code: object) -> bool:
    """True for an ISO 3166-1 alpha-3 code in capitals (as FREG writes them) or "XUK"."""
    if not isinstance(code, str):
        return False
    return code == UNKNOWN_COUNTRY or code in _alpha3_codes()


@functools.cache
def _alpha3_codes() -> frozenset[str]:
    import iso3166

    return frozenset(iso3166.countries_by_alpha3)


@functools.cache
def _municipality_years() -> tuple[int, ...]:
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
