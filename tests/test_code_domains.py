"""The domain objects: what may be chosen over a participation's period, and what is wrong."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from jsdesk.domain import code_domains, registers
from jsdesk.domain.code_domains import (
    COUNTRIES,
    MUNICIPALITIES,
    OSLO_BYDELER,
    SIVILSTAND,
    choice_domain,
    domain,
)
from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.forms.model import Domain
from jsdesk.paths import resources_dir
from jsdesk.rules.findings import FindingCode

TODAY = date(2026, 3, 1)
ACTIVE_FROM_MAY_2023 = Period.participation(date(2023, 5, 1), None, TODAY)
ENDED_2023 = Period(date(2023, 5, 1), date(2023, 12, 31))
MARCH_TO_NOVEMBER_2023 = Period(date(2023, 3, 1), date(2023, 11, 30))


def offered(period: Period) -> set[str]:
    return {choice.value for choice in MUNICIPALITIES.choices(period)}


# --- a number is valid when in force on any day of the period ----------------------


def test_kommunenummer__drammen_active_from_2023__3005_and_3301_valid() -> None:
    assert MUNICIPALITIES.check("3005", ACTIVE_FROM_MAY_2023) is None
    assert MUNICIPALITIES.check("3301", ACTIVE_FROM_MAY_2023) is None
    assert {"3005", "3301"} <= offered(ACTIVE_FROM_MAY_2023)


def test_kommunenummer__drammen_ended_2023__only_3005_valid() -> None:
    assert MUNICIPALITIES.check("3005", ENDED_2023) is None
    finding = MUNICIPALITIES.check("3301", ENDED_2023)
    assert finding is not None and finding.code == "INVALID_KOMMUNENUMMER"
    assert "3005" in offered(ENDED_2023) and "3301" not in offered(ENDED_2023)


def test_kommunenummer__3301_for_march_to_november_2023__error_in_bokmal() -> None:
    finding = MUNICIPALITIES.check("3301", MARCH_TO_NOVEMBER_2023, label="Kommune nr")
    assert finding is not None and finding.is_error
    assert "«Kommune nr»" in finding.message
    assert "01.03.2023–30.11.2023" in finding.message
    assert "Drammen i 2024" in finding.message


def test_kommunenavn__number_in_force_over_the_reform__name_on_last_day_in_force() -> None:
    assert MUNICIPALITIES.name_of("3005", ACTIVE_FROM_MAY_2023) == "Drammen"
    # Oslo's name changed in 2026: the last day of the period decides.
    assert MUNICIPALITIES.name_of("0301", Period(date(2025, 6, 1), date(2026, 2, 1))) == (
        "Oslo - Oslove"
    )
    assert MUNICIPALITIES.name_of("0301", Period(date(2025, 6, 1), date(2025, 12, 31))) == "Oslo"


def test_kommunenummer__alesund_split__1507_before_1508_and_1580_after() -> None:
    before, after = Period.day(date(2023, 12, 31)), Period.day(date(2024, 1, 1))
    assert MUNICIPALITIES.name_of("1507", before) == "Ålesund"
    assert MUNICIPALITIES.check("1508", before) is not None
    assert MUNICIPALITIES.check("1507", after) is not None
    assert (MUNICIPALITIES.name_of("1508", after), MUNICIPALITIES.name_of("1580", after)) == (
        "Ålesund",
        "Haram",
    )
    assert (len(offered(before)), len(offered(after))) == (356, 357)


def test_kommunenummer__period_before_first_list__oldest_list() -> None:
    assert MUNICIPALITIES.check("3005", Period.day(date(2019, 5, 1))) is None
    assert offered(Period.day(date(2019, 5, 1))) == offered(Period.day(date(2023, 1, 1)))


@pytest.mark.parametrize("value", ["", "301", "9999", "03010", None, 301])
def test_kommunenummer__not_a_number__error(value: object) -> None:
    assert MUNICIPALITIES.check(value, ACTIVE_FROM_MAY_2023) is not None


# --- the numbers a municipality had over a period (the installation check) ---------


def test_numbers_of__drammen_over_the_reform__both_numbers() -> None:
    assert MUNICIPALITIES.numbers_of("3301", ACTIVE_FROM_MAY_2023) == {"3005", "3301"}
    assert MUNICIPALITIES.numbers_of("3005", ACTIVE_FROM_MAY_2023) == {"3005", "3301"}


def test_numbers_of__drammen_in_2023_or_2025__one_number() -> None:
    assert MUNICIPALITIES.numbers_of("3301", ENDED_2023) == {"3005"}
    assert MUNICIPALITIES.numbers_of("3301", Period.day(date(2025, 1, 1))) == {"3301"}


def test_numbers_of__haram_split_from_alesund__not_the_sister() -> None:
    span = Period(date(2023, 6, 1), date(2024, 6, 1))
    assert MUNICIPALITIES.numbers_of("1580", span) == {"1507", "1580"}
    assert MUNICIPALITIES.numbers_of("1508", span) == {"1507", "1508"}


def test_numbers_of__unchanged_municipality__its_own_number() -> None:
    assert MUNICIPALITIES.numbers_of("0301", ACTIVE_FROM_MAY_2023) == {"0301"}


# --- Oslo's bydeler -------------------------------------------------------------------


def test_bydeler__offered__administrative_030101_to_030115_only() -> None:
    values = [choice.value for choice in OSLO_BYDELER.choices(ENDED_2023)]
    assert values == [f"0301{n:02d}" for n in range(1, 16)]
    assert OSLO_BYDELER.range_text() == "030101-030115"
    for statistical in ("030116", "030117", "030199"):
        finding = OSLO_BYDELER.check(statistical, ENDED_2023)
        assert finding is not None and finding.code == "INVALID_BYDEL"
        assert statistical in registers.oslo_bydeler()


def test_bydeler__agree_with_shipped_list__rows_without_remark() -> None:
    with (resources_dir() / "oslo_bydeler.csv").open(encoding="utf-8", newline="") as handle:
        plain = {row["bydelsnummer"] for row in csv.DictReader(handle) if not row["merknad"]}
    assert plain == {choice.value for choice in OSLO_BYDELER.choices(ENDED_2023)}


def test_bydeler__labels__number_and_name() -> None:
    labels = [choice.label for choice in OSLO_BYDELER.choices(ENDED_2023)]
    assert labels[0] == "030101 Gamle Oslo" and labels[-1] == "030115 Søndre Nordstrand"


def test_reports_per_bydel__oslo_only() -> None:
    assert MUNICIPALITIES.reports_per_bydel(OSLO_BYDELER.kommunenummer)
    assert not MUNICIPALITIES.reports_per_bydel("3301")
    assert not MUNICIPALITIES.reports_per_bydel(None)


# --- countries (FREG's own codes are valid) ---------------------------------------------


@pytest.mark.parametrize("code", ["NOR", "SWE", "SOM", "SYR", "AFG", "UKR", "XUK", "XXX", "XXK"])
def test_fodeland__iso_or_freg_code__accepted(code: str) -> None:
    assert COUNTRIES.check(code, ENDED_2023) is None
    assert code in {choice.value for choice in COUNTRIES.choices(ENDED_2023)}


def test_fodeland__xkx_not_a_freg_code__warning_naming_xxk() -> None:
    finding = COUNTRIES.check("XKX", ENDED_2023, label="Fødeland")
    assert finding is not None and not finding.is_error
    assert "«XXK»" in finding.message


@pytest.mark.parametrize("code", ["nor", "NO", "NORW", "", "578", None, 578])
def test_fodeland__not_alpha3__error(code: object) -> None:
    finding = COUNTRIES.check(code, ENDED_2023)
    assert finding is not None and finding.is_error


# --- sivilstand ---------------------------------------------------------------------


def test_sivilstand__values__freg_spelling_with_labels() -> None:
    choices = {choice.value: choice.label for choice in SIVILSTAND.choices(ENDED_2023)}
    assert {"ugift", "gift", "enkeEllerEnkemann", "skilt", "registrertPartner"} <= choices.keys()
    assert choices["enkeEllerEnkemann"] == "Enke eller enkemann"
    assert len(choices) == 10
    assert SIVILSTAND.check("Gift", ENDED_2023) is not None


# --- one object per domain of the form format -----------------------------------------


def test_domains__every_form_domain__has_an_object_with_findingcodes() -> None:
    for name in Domain:
        assert domain(str(name)).name == str(name)
    assert choice_domain("kommunenummer") is MUNICIPALITIES
    assert choice_domain("fodselsnummer") is None
    for code in ("INVALID_KOMMUNENUMMER", "INVALID_BYDEL", "INVALID_COUNTRY", "FNR_2032_RULE"):
        assert FindingCode(code)


def test_period__active_participation__runs_to_today() -> None:
    assert Period.participation(date(2023, 5, 1), None, TODAY) == Period(date(2023, 5, 1), TODAY)
    future = date(2026, 9, 1)
    assert Period.participation(future, None, TODAY) == Period.day(future)
    with pytest.raises(UserError, match="før den begynner"):
        Period(date(2024, 1, 2), date(2024, 1, 1))


# --- unreadable reference data ----------------------------------------------------------


def _clear_caches() -> None:
    for cached in (
        registers.municipality_years,
        registers._municipalities,
        registers.municipality_changes,
        registers.oslo_bydeler,
        registers.freg_sivilstand,
        code_domains._in_force,
    ):
        cached.cache_clear()


@pytest.fixture
def empty_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(registers, "resources_dir", lambda: tmp_path)
    _clear_caches()
    yield tmp_path
    _clear_caches()


def test_municipalities__lists_missing__user_error_in_bokmal(empty_resources: Path) -> None:
    with pytest.raises(UserError, match=r"Kommunelistene .* mangler"):
        MUNICIPALITIES.choices(ENDED_2023)


def test_bydeler__file_without_column__user_error_names_file(empty_resources: Path) -> None:
    (empty_resources / "oslo_bydeler.csv").write_text("nummer,navn\n030101,X\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"oslo_bydeler\.csv mangler kolonnen bydelsnummer"):
        OSLO_BYDELER.choices(ENDED_2023)


def test_sivilstand__file_not_utf8__user_error(empty_resources: Path) -> None:
    (empty_resources / "freg_sivilstandstype.csv").write_bytes(b"freg_enum\n\xff\xfe\n")
    with pytest.raises(UserError, match="kan ikke leses"):
        SIVILSTAND.check("gift", ENDED_2023)


# --- official Sámi and Kven spelling ----------------------------------------------------


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_porsanger__every_year__official_name_with_eng(year: int) -> None:
    porsanger = {
        nr: name for nr, name in registers.municipalities_in(year).items() if "Porsanger" in name
    }
    assert list(porsanger.values()) == ["Porsanger - Porsáŋgu - Porsanki"]


def test_municipality_names__no_list__spells_porsangu_without_eng() -> None:
    for path in resources_dir().glob("kommuner_*.csv"):
        assert "Porsángu" not in path.read_text(encoding="utf-8"), path.name


def test_sivilstand__new_freg_value_without_a_label__offered_under_its_own_spelling(
    empty_resources: Path,
) -> None:
    (empty_resources / "freg_sivilstandstype.csv").write_text(
        "freg_enum\ngift\nnyVerdiFraFreg\n", encoding="utf-8"
    )
    labels = {choice.value: choice.label for choice in SIVILSTAND.choices(ENDED_2023)}
    assert labels == {"gift": "Gift", "nyVerdiFraFreg": "nyVerdiFraFreg"}
