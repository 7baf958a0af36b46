"""Fødselsnummer analysis: classic, D, H, FH, Tenor synthetic and 2032-rule numbers.

Only synthetic numbers appear as literals here: the two Tenor examples from
DOMAIN.md and numbers made by ``synthetic_number``. Some rules can only be shown
with numbers that are *not* Tenor numbers (a plain fødselsnummer must be
accepted; H- and FH-numbers must be refused). Those are built while the test
runs by ``_with_control_digits`` from a date and an individual number chosen
here, so no number that could belong to a real person is written into the
repository. The helper computes the control digits itself (it does not call
the code under test).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.no import fodselsnummer as stdnum_fnr

from jsdesk.domain.fnr import (
    FnrError,
    FnrKind,
    FnrProblem,
    PersonKey,
    analyse,
    mask,
    normalise,
    person_id,
    person_id_bytes,
    synthetic_number,
)

TENOR_2032 = "30908299902"  # Tenor example from DOMAIN.md (2032 rule)
TENOR_2032_D = "41819077906"  # Tenor example from DOMAIN.md (D-number, 2032 rule)
TODAY = date(2026, 11, 29)

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control_digits(first9: str, k1_residue: int) -> str | None:
    k1 = (k1_residue - sum(w * int(d) for w, d in zip(K1_WEIGHTS, first9, strict=True))) % 11
    if k1 > 9:
        return None
    ten = first9 + str(k1)
    k2 = -sum(w * int(d) for w, d in zip(K2_WEIGHTS, ten, strict=True)) % 11
    return None if k2 > 9 else ten + str(k2)


def _with_control_digits(
    ddmmyy: str, individuals: range = range(100, 200), *, k1_residue: int = 0
) -> str:
    """DDMMYY + the first individual number (from ``individuals``) that has control digits.

    ``k1_residue`` chooses (weighted sum + k1) mod 11: 0 is the classic rule, 1-3 the 2032 rule,
    anything else an invalid k1.
    """
    for individual in individuals:
        number = _control_digits(f"{ddmmyy}{individual:03d}", k1_residue)
        if number is not None:
            return number
    raise AssertionError("no individual number in range gives control digits")


def _first_synthetic(birth_date: date, individuals: range) -> str:
    for individual in individuals:
        try:
            return synthetic_number(birth_date, individual)
        except ValueError:
            continue
    raise AssertionError("no individual number in range gives control digits")


def _problem(number: str, today: date = TODAY) -> FnrProblem:
    with pytest.raises(FnrError) as caught:
        analyse(number, today=today)
    assert caught.value.message.startswith("Fødselsnummer")
    return caught.value.code


# --- accepted numbers -------------------------------------------------------


def test_analyse__plain_fodselsnummer__accepted_not_synthetic() -> None:
    number = _with_control_digits("150590")  # built at run time, see module docstring
    info = analyse(number, today=TODAY)
    assert info.kind is FnrKind.FODSELSNUMMER
    assert not info.synthetic
    assert not info.rule_2032
    assert info.birth_date == date(1990, 5, 15)
    assert info.birth_year == 1990


def test_analyse__plain_d_number__accepted_with_birth_date() -> None:
    number = _with_control_digits("550590")  # day 15 + 40
    info = analyse(number, today=TODAY)
    assert info.kind is FnrKind.D_NUMMER
    assert not info.synthetic
    assert info.birth_date == date(1990, 5, 15)


def test_analyse__tenor_classic__synthetic_with_birth_date() -> None:
    number = synthetic_number(date(1985, 2, 28), 234)
    assert number[2:4] == "82"
    info = analyse(number, today=TODAY)
    assert info.synthetic
    assert info.kind is FnrKind.FODSELSNUMMER
    assert not info.rule_2032
    assert info.birth_date == date(1985, 2, 28)
    assert info.birth_year == 1985


def test_analyse__tenor_d_number__synthetic_d_number() -> None:
    number = synthetic_number(date(2001, 12, 31), 567, d_number=True)
    assert number[:4] == "7192"
    info = analyse(number, today=TODAY)
    assert info.synthetic
    assert info.kind is FnrKind.D_NUMMER
    assert info.birth_date == date(2001, 12, 31)


@pytest.mark.parametrize(
    ("number", "kind"), [(TENOR_2032, FnrKind.FODSELSNUMMER), (TENOR_2032_D, FnrKind.D_NUMMER)]
)
def test_analyse__tenor_2032_examples__accepted_century_unknown(number: str, kind: FnrKind) -> None:
    info = analyse(number, today=TODAY)
    assert info.synthetic
    assert info.rule_2032
    assert info.kind is kind
    assert info.birth_year is None
    assert info.birth_date is None


def test_analyse__tenor_2032_examples__refused_by_stdnum_alone() -> None:
    # The reason this module exists: stdnum rejects numbers the register must accept.
    assert not stdnum_fnr.is_valid(TENOR_2032)
    assert not stdnum_fnr.is_valid(TENOR_2032_D)


@pytest.mark.parametrize("residue", [1, 2, 3])
def test_analyse__k1_residue_1_to_3__accepted_as_2032_rule(residue: int) -> None:
    number = _with_control_digits("150590", k1_residue=residue)
    info = analyse(number, today=TODAY)
    assert info.rule_2032
    assert info.birth_year is None
    assert not info.synthetic


@pytest.mark.parametrize("residue", [4, 5, 6, 7, 8, 9, 10])
def test_analyse__k1_residue_4_to_10__checksum_error(residue: int) -> None:
    number = _with_control_digits("150590", k1_residue=residue)
    assert _problem(number) is FnrProblem.CHECKSUM


def test_analyse__wrong_k2__checksum_error() -> None:
    number = synthetic_number(date(1990, 5, 15), 123)
    wrong = number[:10] + str((int(number[10]) + 1) % 10)
    assert _problem(wrong) is FnrProblem.CHECKSUM


def test_analyse__wrong_k1_on_tenor_example__checksum_error() -> None:
    # 30908299902 has k1=0 (residue in 1-3); k1=9 moves the residue out of range.
    assert _problem(TENOR_2032[:9] + "9" + TENOR_2032[10]) is FnrProblem.CHECKSUM


def test_analyse__separators__accepted_and_normalised() -> None:
    number = synthetic_number(date(1990, 5, 15), 123)
    info = analyse(f" {number[:6]} {number[6:]} ", today=TODAY)
    assert info.number == number
    assert normalise(f"{number[:6]}-{number[6:]}") == number


# --- century from the individual number ---------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "individuals"),
    [
        (date(1900, 1, 1), range(0, 10)),
        (date(1999, 12, 31), range(499, 489, -1)),
        (date(1854, 6, 1), range(500, 510)),
        (date(1899, 6, 1), range(749, 739, -1)),
        (date(2000, 1, 1), range(500, 510)),
        (date(2025, 6, 1), range(999, 989, -1)),
        (date(1940, 6, 1), range(900, 910)),
        (date(1999, 6, 1), range(999, 989, -1)),
    ],
)
def test_analyse__century_from_individual_number__birth_year(
    birth_date: date, individuals: range
) -> None:
    ddmmyy = birth_date.strftime("%d%m") + f"{birth_date.year % 100:02d}"
    number = _with_control_digits(ddmmyy, individuals)
    assert analyse(number, today=TODAY).birth_year == birth_date.year
    tenor = _first_synthetic(birth_date, individuals)
    assert analyse(tenor, today=TODAY).birth_date == birth_date


@pytest.mark.parametrize(
    ("yy", "individuals"),
    [("45", range(600, 700)), ("53", range(749, 700, -1)), ("60", range(800, 900))],
)
def test_analyse__individual_number_without_century__date_error(
    yy: str, individuals: range
) -> None:
    number = _with_control_digits("1585" + yy, individuals)
    assert _problem(number) is FnrProblem.DATE


def test_synthetic_number__individual_outside_century__value_error() -> None:
    with pytest.raises(ValueError, match="passer ikke"):
        synthetic_number(date(1990, 5, 15), 600)


# --- dates -------------------------------------------------------------------


@pytest.mark.parametrize("ddmm", ["3184", "0082", "3282", "0093", "1399", "1525", "1540", "7284"])
def test_analyse__impossible_day_or_month__date_error(ddmm: str) -> None:
    number = _with_control_digits(ddmm + "90")
    assert _problem(number) is FnrProblem.DATE


def test_analyse__29_february_non_leap_year__date_error() -> None:
    assert _problem(_with_control_digits("298290", range(100, 200))) is FnrProblem.DATE


def test_analyse__29_february_leap_year__accepted() -> None:
    number = synthetic_number(date(1992, 2, 29), 124)
    assert analyse(number, today=TODAY).birth_date == date(1992, 2, 29)


def test_analyse__2032_rule_impossible_day__date_error() -> None:
    assert (
        _problem(_with_control_digits("318282", range(900, 1000), k1_residue=1)) is FnrProblem.DATE
    )


def test_analyse__2032_rule_29_february__leap_only_when_some_century_allows() -> None:
    assert analyse(
        _with_control_digits("298200", range(900, 1000), k1_residue=2), today=TODAY
    ).rule_2032
    assert (
        _problem(_with_control_digits("298201", range(900, 1000), k1_residue=2)) is FnrProblem.DATE
    )


def test_analyse__birth_date_in_future__date_error() -> None:
    number = synthetic_number(date(2026, 11, 30), 501)
    assert _problem(number, today=date(2026, 11, 29)) is FnrProblem.DATE
    assert analyse(number, today=date(2026, 11, 30)).birth_date == date(2026, 11, 30)


# --- H and FH numbers ----------------------------------------------------------


def test_analyse__h_number__own_problem_and_message() -> None:
    number = _with_control_digits("154590", range(100, 200))  # month 05 + 40
    with pytest.raises(FnrError) as caught:
        analyse(number, today=TODAY)
    assert caught.value.code is FnrProblem.H_NUMBER
    assert "H-nummer" in caught.value.message


@pytest.mark.parametrize("month", ["41", "52"])
def test_analyse__h_number_january_and_december__h_number_not_date_problem(month: str) -> None:
    # Month 52 is December + 40: the last H-number month, not an impossible date.
    number = _with_control_digits(f"15{month}90", range(100, 200))
    assert _problem(number) is FnrProblem.H_NUMBER


@pytest.mark.parametrize("first_digit", ["8", "9"])
def test_analyse__fh_number__own_problem_and_message(first_digit: str) -> None:
    number = _with_control_digits(first_digit + "12345")
    with pytest.raises(FnrError) as caught:
        analyse(number, today=TODAY)
    assert caught.value.code is FnrProblem.FH_NUMBER
    assert "FH-nummer" in caught.value.message


# --- format ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "1234567890", "123456789012", "1508901234a", "١٢٣٤٥٦٧٨٩٠١"])
def test_analyse__not_eleven_ascii_digits__format_error(value: str) -> None:
    assert _problem(value) is FnrProblem.FORMAT


@pytest.mark.parametrize("value", [None, 30908299902, 3.5, ["30908299902"]])
def test_analyse__not_text__format_error(value: object) -> None:
    with pytest.raises(FnrError) as caught:
        analyse(value)
    assert caught.value.code is FnrProblem.FORMAT


def test_fnr_error__message__names_field_without_number() -> None:
    wrong = TENOR_2032[:10] + "0"
    with pytest.raises(FnrError) as caught:
        analyse(wrong)
    assert str(caught.value).startswith("Fødselsnummer")
    assert wrong not in str(caught.value)


# --- person_id and mask ----------------------------------------------------------


def test_person_id__same_number_any_spelling__same_id() -> None:
    key = PersonKey.random()
    spaced = TENOR_2032[:6] + " " + TENOR_2032[6:]
    assert person_id(spaced, key) == person_id(TENOR_2032, key)
    assert person_id(TENOR_2032, key) != person_id(TENOR_2032_D, key)


def test_person_id__a_version_8_uuid_of_the_rfc_variant() -> None:
    ids = [person_id(number, PersonKey.random()) for number in (TENOR_2032, TENOR_2032_D)]
    assert all(one.version == 8 and one.variant == uuid.RFC_4122 for one in ids)


def test_person_id__documented_formula() -> None:
    doc = Path(__file__).resolve().parent.parent / "docs" / "person-id.md"
    assert "HMAC-SHA256" in doc.read_text(encoding="utf-8")


def test_person_id__hmac_sha256_of_the_number__version_and_variant_bits_set() -> None:
    # The formula of docs/person-id.md, computed here: the first 16 bytes of the MAC,
    # the high half of byte 6 set to 8 (version), the top two bits of byte 8 to 10.
    key = PersonKey(bytes(range(32)))
    numbers = [_with_control_digits(f"{1 + n:02d}{81 + n:02d}{80 + n:02d}") for n in range(12)]
    for number in [TENOR_2032, TENOR_2032_D, *numbers]:
        mac = bytearray(hmac.new(key.secret, number.encode(), hashlib.sha256).digest()[:16])
        mac[6] = 0x80 | (mac[6] & 0x0F)
        mac[8] = 0x80 | (mac[8] & 0x3F)
        assert person_id(number, key) == uuid.UUID(bytes=bytes(mac))
        assert person_id_bytes(number, key) == bytes(mac)


def test_person_id__malformed_number__format_error() -> None:
    with pytest.raises(FnrError) as caught:
        person_id("123", PersonKey.random())
    assert caught.value.code is FnrProblem.FORMAT


def test_mask__valid_number__birth_date_part_only() -> None:
    assert mask(TENOR_2032) == "309082*****"
    assert mask("309082 99902") == "309082*****"


def test_mask__malformed__fully_hidden() -> None:
    assert mask("12345") == "*" * 11


# --- synthetic_number ------------------------------------------------------------


def test_synthetic_number__rule_2032__k1_only_valid_under_2032_rule() -> None:
    number = synthetic_number(date(1982, 9, 30), 999, rule_2032=True)
    weighted = sum(w * int(d) for w, d in zip(K1_WEIGHTS, number, strict=False))
    assert (weighted + int(number[9])) % 11 in {1, 2, 3}
    info = analyse(number, today=TODAY)
    assert info.rule_2032
    assert info.synthetic


@given(
    birth_date=st.dates(min_value=date(1854, 1, 1), max_value=TODAY),
    individual=st.integers(min_value=0, max_value=999),
    d_number=st.booleans(),
    rule_2032=st.booleans(),
)
def test_synthetic_number__any_valid_input__analysed_back_as_synthetic(
    birth_date: date, individual: int, d_number: bool, rule_2032: bool
) -> None:
    try:
        number = synthetic_number(birth_date, individual, d_number=d_number, rule_2032=rule_2032)
    except ValueError:
        assume(False)
        return
    info = analyse(number, today=TODAY)
    assert info.synthetic
    assert info.rule_2032 is rule_2032
    assert info.kind is (FnrKind.D_NUMMER if d_number else FnrKind.FODSELSNUMMER)
    assert info.birth_date == (None if rule_2032 else birth_date)
    assert not stdnum_fnr.is_valid(number)


# --- robustness ------------------------------------------------------------------


@given(st.text())
def test_analyse__arbitrary_text__only_fnr_error(value: str) -> None:
    try:
        analyse(value)
    except FnrError as exc:
        assert exc.message.startswith("Fødselsnummer")


@given(st.from_regex(r"[0-9]{11}", fullmatch=True))
def test_analyse__arbitrary_eleven_digits__only_fnr_error(value: str) -> None:
    try:
        info = analyse(value)
    except FnrError as exc:
        assert exc.message.startswith("Fødselsnummer")
    else:
        assert info.number == value
        assert (info.birth_date is None) is info.rule_2032


# --- what the caseworker reads -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "Fødselsnummer må skrives som tekst med 11 sifre."),
        ("1234567890", "Fødselsnummer må bestå av nøyaktig 11 sifre (fant 10 tegn)."),
        (
            "1508901234a",
            "Fødselsnummer må bestå av nøyaktig 11 sifre (fant 11 tegn, ikke bare sifre).",
        ),
    ],
)
def test_analyse__format_problem__message_tells_what_was_typed_wrong(
    value: object, message: str
) -> None:
    with pytest.raises(FnrError) as caught:
        analyse(value)
    assert caught.value.message == message == str(caught.value)


def test_analyse__each_problem__its_own_whole_message() -> None:
    def message(number: str, today: date = TODAY) -> str:
        with pytest.raises(FnrError) as caught:
            analyse(number, today=today)
        return caught.value.message

    retype = "Sjekk at nummeret er skrevet riktig."
    person = "Oppgi personens fødselsnummer eller D-nummer."
    assert message(TENOR_2032[:10] + "0") == (
        f"Fødselsnummer har feil kontrollsiffer (de to siste sifrene). {retype}"
    )
    assert message(_with_control_digits("154590")) == (
        "Fødselsnummer er et H-nummer (hjelpenummer fra helsesektoren) og kan ikke brukes. "
        + person
    )
    assert message(_with_control_digits("812345")) == (
        "Fødselsnummer er et FH-nummer (felles hjelpenummer uten fødselsdato) og kan ikke "
        "brukes. " + person
    )
    assert message(_with_control_digits("318490")) == (
        "Fødselsnummer inneholder ingen gyldig fødselsdato: de seks første sifrene må være "
        "dag, måned og år (DDMMÅÅ)."
    )
    assert message(_with_control_digits("158545", range(600, 700))) == (
        "Fødselsnummer har et individnummer som ikke passer med fødselsåret, så "
        f"fødselsåret kan ikke bestemmes. {retype}"
    )
    future = synthetic_number(date(2026, 11, 30), 501)
    assert message(future, date(2026, 11, 29)) == "Fødselsnummer har en fødselsdato fram i tid."


# --- synthetic_number against an independent computation -----------------------------


def _expected_synthetic(birth_date: date, individual: int, residues: tuple[int, ...]) -> str | None:
    """The Tenor number the test's own control-digit helper makes (None: none exists)."""
    base = f"{birth_date.day:02d}{birth_date.month + 80:02d}{birth_date.year % 100:02d}"
    for residue in residues:
        number = _control_digits(f"{base}{individual:03d}", residue)
        if number is not None:
            return number
    return None


@pytest.mark.parametrize("rule_2032", [False, True])
def test_synthetic_number__every_individual__control_digits_as_computed_independently(
    rule_2032: bool,
) -> None:
    birth_date = date(1990, 5, 15)  # individual numbers 000-499 give 1900-1999
    residues = (1, 2, 3) if rule_2032 else (0,)
    made = missing = 0
    for individual in range(500):
        expected = _expected_synthetic(birth_date, individual, residues)
        if expected is None:
            missing += 1
            with pytest.raises(ValueError, match="gir ingen gyldige kontrollsifre"):
                synthetic_number(birth_date, individual, rule_2032=rule_2032)
        else:
            made += 1
            assert synthetic_number(birth_date, individual, rule_2032=rule_2032) == expected
    # Classic numbers: both outcomes occur (the 2032 rule has three chances, always one).
    # k1 = 9, the largest digit, is among the numbers made.
    assert made and (missing or rule_2032)
    assert any(
        (number := _expected_synthetic(birth_date, i, residues)) is not None and number[9] == "9"
        for i in range(500)
    )


def test_synthetic_number__individual_range__0_and_999_accepted_outside_refused() -> None:
    def first_date_accepting(individual: int, year: int) -> str:
        for day in range(1, 29):
            try:
                return synthetic_number(date(year, 1, day), individual)
            except ValueError as exc:
                assert "0-999" not in str(exc)
        raise AssertionError(f"no day in January {year} gives individual {individual:03d}")

    assert first_date_accepting(0, 1950)[6:9] == "000"
    assert first_date_accepting(999, 2010)[6:9] == "999"
    for individual in (-1, 1000):
        with pytest.raises(ValueError, match=f"individnummer må være 0-999, fikk {individual}"):
            synthetic_number(date(1990, 5, 15), individual)


@pytest.mark.parametrize("value", [None, 30908299902, "١٢٣٤٥٦٧٨٩٠١", "3090829990"])
def test_mask__not_eleven_ascii_digits__fully_hidden_never_raises(value: object) -> None:
    assert mask(value) == "*" * 11  # type: ignore[arg-type]


def test_fodselsnummer_domain__each_refusal__whole_message_on_the_field() -> None:
    from jsdesk.domain.code_domains import FODSELSNUMMER, DomainFinding
    from jsdesk.domain.period import Period

    period = Period(date(2025, 1, 1), date(2025, 12, 31))
    person = "Oppgi personens fødselsnummer eller D-nummer."

    def check(number: object, *, allow_synthetic: bool = False) -> DomainFinding | None:
        return FODSELSNUMMER.check(
            number, period, label="Fnr", today=TODAY, allow_synthetic=allow_synthetic
        )

    assert check(_with_control_digits("154590")) == DomainFinding(
        "H_NUMBER",
        "«Fnr» er et H-nummer (hjelpenummer fra helsesektoren), som registeret ikke godtar. "
        + person,
    )
    assert check(_with_control_digits("812345")) == DomainFinding(
        "FH_NUMBER",
        "«Fnr» er et FH-nummer (felles hjelpenummer uten fødselsdato), som registeret ikke "
        f"godtar. {person}",
    )
    assert check(TENOR_2032[:10] + "0") == DomainFinding(
        "INVALID_FNR",
        "«Fnr» er ugyldig: har feil kontrollsiffer (de to siste sifrene). "
        "Sjekk at nummeret er skrevet riktig.",
    )
    assert FODSELSNUMMER.check(None, period) == DomainFinding(
        "INVALID_FNR", "«Fødselsnummer» er ugyldig: må skrives som tekst med 11 sifre."
    )
    assert check(TENOR_2032) == DomainFinding(
        "SYNTHETIC_FNR",
        "«Fnr» er et syntetisk testnummer (Tenor), som bare godtas i testinstallasjoner "
        "(--allow-synthetic). Oppgi personens ekte fødselsnummer eller D-nummer.",
    )
    assert check(TENOR_2032, allow_synthetic=True) is None
    rule_2032 = _with_control_digits("150590", k1_residue=1)
    assert check(rule_2032) == DomainFinding(
        "FNR_2032_RULE",
        "«Fnr» har kontrollsifre som bare er gyldige etter regelen for numre tildelt fra 2032. "
        "Før 2032 er det mye mer sannsynlig en skrivefeil: kontroller nummeret.",
        "warning",
    )
    born_after_today = synthetic_number(TODAY.replace(day=TODAY.day + 1), 501)
    assert check(born_after_today, allow_synthetic=True) == DomainFinding(
        "INVALID_FNR", "«Fnr» er ugyldig: har en fødselsdato fram i tid."
    )
    from_2032 = Period(date(2032, 1, 1), date(2032, 2, 1))
    assert FODSELSNUMMER.check(rule_2032, from_2032, today=TODAY) is None
