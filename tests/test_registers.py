"""Municipalities by date, Oslo's bydeler, FREG sivilstand and country codes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from jsdesk.domain import registers
from jsdesk.domain.registers import (
    ADMIN_BYDELER,
    freg_sivilstand,
    is_country_alpha3,
    kommunenavn,
    municipalities_on,
    oslo_bydeler,
)
from jsdesk.errors import UserError
from jsdesk.paths import resources_dir


def test_kommunenavn__drammen_3005_in_2023__valid() -> None:
    assert kommunenavn("3005", date(2023, 6, 1)) == "Drammen"


@pytest.mark.parametrize("day", [date(2024, 1, 1), date(2026, 3, 1)])
def test_kommunenavn__drammen_3005_after_reform__not_in_force(day: date) -> None:
    assert kommunenavn("3005", day) is None


@pytest.mark.parametrize("day", [date(2024, 1, 1), date(2025, 7, 1), date(2026, 3, 1)])
def test_kommunenavn__drammen_3301_from_2024__valid(day: date) -> None:
    assert kommunenavn("3301", day) == "Drammen"


def test_kommunenavn__drammen_3301_in_2023__not_in_force() -> None:
    assert kommunenavn("3301", date(2023, 12, 31)) is None


def test_municipalities_on__alesund_split_2024__two_new_numbers() -> None:
    before, after = municipalities_on(date(2023, 12, 31)), municipalities_on(date(2024, 1, 1))
    assert before["1507"] == "Ålesund"
    assert "1508" not in before and "1580" not in before
    assert "1507" not in after
    assert (after["1508"], after["1580"]) == ("Ålesund", "Haram")
    assert (len(before), len(after)) == (356, 357)


def test_kommunenavn__oslo_0301__name_by_year() -> None:
    assert kommunenavn("0301", date(2023, 1, 1)) == "Oslo"
    assert kommunenavn("0301", date(2025, 12, 31)) == "Oslo"
    assert kommunenavn("0301", date(2026, 1, 1)) == "Oslo - Oslove"


def test_municipalities_on__before_first_list__oldest_list() -> None:
    assert kommunenavn("3005", date(2019, 5, 1)) == "Drammen"
    assert municipalities_on(date(2019, 5, 1)) == municipalities_on(date(2023, 1, 1))


def test_municipalities_on__after_newest_list__newest_list() -> None:
    assert kommunenavn("0301", date(2031, 1, 1)) == "Oslo - Oslove"
    assert kommunenavn("3005", date(2031, 1, 1)) is None


@pytest.mark.parametrize("nr", ["", "301", "9999", "03010", None])
def test_kommunenavn__unknown_number__none(nr: str) -> None:
    assert kommunenavn(nr, date(2024, 1, 1)) is None


def test_municipalities_on__result__read_only_and_cached() -> None:
    mapping = municipalities_on(date(2024, 2, 1))
    with pytest.raises(TypeError):
        mapping["9999"] = "Ny"  # type: ignore[index]
    assert municipalities_on(date(2024, 11, 1)) is mapping


def test_admin_bydeler__030101_to_030115__only_those() -> None:
    assert {f"0301{n:02d}" for n in range(1, 16)} == ADMIN_BYDELER
    for statistical in ("030116", "030117", "030199"):
        assert statistical not in ADMIN_BYDELER
        assert statistical in oslo_bydeler()


def test_admin_bydeler__agree_with_shipped_list__rows_without_remark() -> None:
    with (resources_dir() / "oslo_bydeler.csv").open(encoding="utf-8", newline="") as handle:
        plain = {row["bydelsnummer"] for row in csv.DictReader(handle) if not row["merknad"]}
    assert plain == ADMIN_BYDELER


def test_oslo_bydeler__names__from_list() -> None:
    bydeler = oslo_bydeler()
    assert bydeler["030101"] == "Gamle Oslo"
    assert bydeler["030115"] == "Søndre Nordstrand"
    assert bydeler["030116"] == "Sentrum"
    assert len(bydeler) == 18


def test_freg_sivilstand__values__freg_spelling() -> None:
    values = freg_sivilstand()
    assert {"ugift", "gift", "enkeEllerEnkemann", "skilt", "registrertPartner"} <= values
    assert "uoppgitt" in values
    assert len(values) == 10
    assert "Gift" not in values
    assert "freg_enum" not in values


@pytest.mark.parametrize("code", ["NOR", "SWE", "SOM", "SYR", "AFG", "UKR", "XUK"])
def test_is_country_alpha3__known_code__true(code: str) -> None:
    assert is_country_alpha3(code)


@pytest.mark.parametrize("code", ["nor", "NO", "NORW", "XXX", "", "578", None, 578])
def test_is_country_alpha3__not_alpha3__false(code: object) -> None:
    assert not is_country_alpha3(code)


def _clear_caches() -> None:
    for cached in (
        registers._municipality_years,
        registers._municipalities,
        registers.oslo_bydeler,
        registers.freg_sivilstand,
    ):
        cached.cache_clear()


@pytest.fixture
def empty_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(registers, "resources_dir", lambda: tmp_path)
    _clear_caches()
    yield tmp_path
    _clear_caches()


def test_municipalities_on__lists_missing__user_error_in_bokmal(empty_resources: Path) -> None:
    with pytest.raises(UserError, match=r"Kommunelistene .* mangler"):
        municipalities_on(date(2024, 1, 1))


def test_oslo_bydeler__file_without_column__user_error_names_file(empty_resources: Path) -> None:
    (empty_resources / "oslo_bydeler.csv").write_text("nummer,navn\n030101,X\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"oslo_bydeler\.csv mangler kolonnen bydelsnummer"):
        oslo_bydeler()


def test_freg_sivilstand__file_not_utf8__user_error(empty_resources: Path) -> None:
    (empty_resources / "freg_sivilstandstype.csv").write_bytes(b"freg_enum\n\xff\xfe\n")
    with pytest.raises(UserError, match="kan ikke leses"):
        freg_sivilstand()
