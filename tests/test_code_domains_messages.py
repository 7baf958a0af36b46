"""What the caseworker reads on a field when a domain refuses a value: code, whole Bokmål
message and severity, for every domain; and the period arithmetic the domains ask.
"""

from __future__ import annotations

from datetime import date

import pytest

from jsdesk.domain import registers
from jsdesk.domain.code_domains import (
    COUNTRIES,
    OSLO_BYDELER,
    SIVILSTAND,
    DomainFinding,
    analyse_cached,
)
from jsdesk.domain.fnr import FnrError, analyse
from jsdesk.domain.period import Period

PERIOD = Period(date(2023, 5, 1), date(2023, 12, 31))
COUNTRY_HELP = (
    "må være en landkode på tre store bokstaver (ISO 3166-1 alfa-3, f.eks. «SOM», eller "
    "Folkeregisterets «XUK» for ukjent, «XXX» for statsløs, «XXK» for Kosovo), men er"
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ZZZ", "«ZZZ»"),
        (578, "«578»"),
        (None, "en ukjent verdi"),
        (True, "en ukjent verdi"),
        ("Et langt navn på et land som ikke finnes", "«Et langt navn på ...»"),  # 17 + ...
        ("12345678901", "en tekst med mange sifre"),  # never an identity number in a message
        ("1234 56789", "en tekst med mange sifre"),  # nine digits: part of one, maybe
        ("12345678", "«12345678»"),
    ],
)
def test_country__unknown__error_quoting_the_value_safely(value: object, shown: str) -> None:
    assert COUNTRIES.check(value, PERIOD, label="Fødeland") == DomainFinding(
        "INVALID_COUNTRY", f"«Fødeland» {COUNTRY_HELP} {shown}.", "error"
    )


def test_country__kosovo_as_xkx__warning_naming_freg_code() -> None:
    assert COUNTRIES.check("XKX", PERIOD) == DomainFinding(
        "INVALID_COUNTRY",
        "«Landkode» er «XKX», som ikke er en kode i Folkeregisteret (Folkeregisteret bruker "
        "«XXK»). Kontroller opplysningene fra Folkeregisteret.",
        "warning",
    )
    offered = {choice.value: choice.label for choice in COUNTRIES.choices(PERIOD)}
    assert "XKX" not in offered and offered["XXK"] == "XXK Kosovo"
    assert offered["XUK"] == "XUK Ukjent" and offered["NOR"] == "NOR Norway"
    assert not COUNTRIES.is_known("XKX") and not COUNTRIES.is_known(None)


def test_sivilstand__unknown__error_listing_freg_values() -> None:
    allowed = ", ".join(sorted(registers.freg_sivilstand()))
    assert SIVILSTAND.check("Gift", PERIOD, label="Sivilstand i dag") == DomainFinding(
        "INVALID_SIVILSTAND",
        f"«Sivilstand i dag» må være en av Folkeregisterets verdier ({allowed}), men er «Gift».",
    )
    assert SIVILSTAND.check("gift", PERIOD) is None


def test_sivilstand__every_value__offered_with_a_label_of_its_own() -> None:
    choices = SIVILSTAND.choices(PERIOD)
    assert {choice.value for choice in choices} == registers.freg_sivilstand()
    labels = {choice.value: choice.label for choice in choices}
    assert labels["gjenlevendePartner"] == "Gjenlevende partner"
    assert all(label[0].isupper() and label != value for value, label in labels.items())


def test_bydel__not_administrative__error_with_the_range() -> None:
    assert OSLO_BYDELER.check("030116", PERIOD) == DomainFinding(
        "INVALID_BYDEL", "«Bydel» må være en av Oslos bydeler 030101-030115, men er «030116»."
    )
    assert OSLO_BYDELER.check("030101", PERIOD) is None


# --- the period ---------------------------------------------------------------------------


def test_period__years_contains_and_text() -> None:
    span = Period(date(2023, 12, 30), date(2025, 1, 2))
    assert list(span.years()) == [2023, 2024, 2025]
    assert list(Period.day(date(2024, 2, 29)).years()) == [2024]
    assert span.contains(date(2023, 12, 30)) and span.contains(date(2025, 1, 2))
    assert not span.contains(date(2023, 12, 29)) and not span.contains(date(2025, 1, 3))
    assert span.text() == "30.12.2023–02.01.2025"
    assert Period.day(date(2024, 2, 29)).text() == "29.02.2024"
    assert span.length_days == 369


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "meets"),
    [
        (date(2024, 1, 1), None, True),
        (date(2024, 6, 1), None, False),  # starts after the period
        (date(2023, 1, 1), date(2023, 12, 31), False),  # ended before the period
        (date(2023, 1, 1), date(2024, 1, 1), True),  # ends on the first day
        (date(2024, 3, 31), date(2025, 1, 1), True),  # starts on the last day
        (date(2024, 2, 1), date(2024, 2, 2), True),  # inside
    ],
)
def test_period__overlaps__closed_spans_meet_on_a_shared_day(
    valid_from: date, valid_to: date | None, meets: bool
) -> None:
    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    assert period.overlaps(valid_from, valid_to) is meets


@pytest.mark.parametrize("value", [None, 30908299902, "123", "30908299902", "30908299903"])
def test_analyse_cached__any_value__same_answer_as_fnr_analyse(value: object) -> None:
    today = date(2026, 11, 29)
    try:
        expected: object = analyse(value, today=today)
    except FnrError as exc:
        expected = (exc.code, exc.message)
    got = analyse_cached(value, today)
    assert ((got.code, got.message) if isinstance(got, FnrError) else got) == expected


def test_kommunenummer__other_municipality_than_the_installation__whole_message() -> None:
    from jsdesk.domain.code_domains import MUNICIPALITIES

    period = Period(date(2024, 3, 1), date(2024, 6, 30))
    assert MUNICIPALITIES.check(
        "0301", period, label="Kommune", installation="3301"
    ) == DomainFinding(
        "OTHER_MUNICIPALITY",
        "«Kommune» (0301 Oslo) hører ikke til installasjonens kommune, Drammen. I "
        "deltakelsesperioden hadde Drammen nummer 3301. Deltakelsen kan ikke sendes inn fra "
        "denne installasjonen.",
    )
