"""Fødselsnummer: structure, control digits, birth date, synthetic test numbers.

python-stdnum's ``stdnum.no.fodselsnummer`` does the classic work (cleaning,
the two control-digit formulas, birth date and century from the individual
number). It rejects what the register must also understand, so this module adds:

- H-numbers (month + 40) and FH-numbers (first digit 8 or 9) are *recognised*
  and refused with their own problem code instead of passing as dates;
- Skatteetaten's Tenor synthetic numbers (month + 80, also as D-numbers) are
  analysed and flagged ``synthetic``;
- the control-digit rule for numbers issued from 2032, where k1 is accepted when
  (weighted sum + k1) mod 11 is 0, 1, 2 or 3 and the individual number no longer
  tells the century, so ``birth_year`` is unknown.

Messages never repeat the number itself: they end up on screen next to it and
may end up in logs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from operator import mul

from stdnum import exceptions as stdnum_exceptions
from stdnum.no import fodselsnummer as stdnum_fnr

PERSON_KEY_BYTES = 32  # HMAC-SHA256 key length; see docs/person-id.md
_UUID_VERSION_8 = 8  # RFC 9562: "custom" UUID, the layout is ours

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K1_RESIDUES_2032 = frozenset({1, 2, 3})  # residue 0 is the classic rule
# k1 is right when the weighted sum of the nine digits before it, plus k1 itself, leaves
# residue 0 (or 1-3 under the 2032 rule); k2 is 11 minus the weighted sum of the ten
# digits before it, mod 11 (stdnum's calc_check_digit2).
_K1_CHECK_WEIGHTS = (*_K1_WEIGHTS, 1)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ZERO = ord("0")
_D_NUMBER_DAY_OFFSET = 40
_H_NUMBER_MONTH_OFFSET = 40
_TENOR_MONTH_OFFSET = 80


class FnrKind(StrEnum):
    FODSELSNUMMER = "fødselsnummer"
    D_NUMMER = "D-nummer"
    H_NUMMER = "H-nummer"
    FH_NUMMER = "FH-nummer"


class FnrProblem(StrEnum):
    FORMAT = "FORMAT"
    CHECKSUM = "CHECKSUM"
    DATE = "DATE"
    H_NUMBER = "H_NUMBER"
    FH_NUMBER = "FH_NUMBER"


class FnrError(ValueError):
    """A number that is not an acceptable fødselsnummer; ``message`` is Bokmål for the user."""

    def __init__(self, code: FnrProblem, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FnrInfo:
    number: str  # normalised, 11 digits
    kind: FnrKind
    synthetic: bool  # Tenor test number (month + 80)
    rule_2032: bool  # valid only under the control-digit rule from 2032
    birth_date: date | None  # None when the century is unknown (2032 rule)
    birth_year: int | None


def normalise(number: object) -> str:
    """The number as 11 digits, separators (space, '-', ':') removed; FnrError(FORMAT) otherwise."""
    if not isinstance(number, str):
        raise FnrError(FnrProblem.FORMAT, "Fødselsnummer må skrives som tekst med 11 sifre.")
    if len(number) == 11 and number.isascii() and number.isdigit():
        return number  # already compact (a registry import has a million of these)
    digits: str = stdnum_fnr.compact(number)
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        raise FnrError(
            FnrProblem.FORMAT,
            f"Fødselsnummer må bestå av nøyaktig 11 sifre (fant {len(digits)} tegn"
            + ("" if digits.isascii() and digits.isdigit() else ", ikke bare sifre")
            + ").",
        )
    return digits


def analyse(number: object, *, today: date | None = None) -> FnrInfo:
    """Check a fødselsnummer or D-number and tell what it is; raise FnrError when unacceptable."""
    digits = normalise(number)
    rule_2032 = _check_control_digits(digits)
    if digits[0] in "89":
        raise FnrError(
            FnrProblem.FH_NUMBER,
            "Fødselsnummer er et FH-nummer (felles hjelpenummer uten fødselsdato) og kan ikke "
            "brukes. Oppgi personens fødselsnummer eller D-nummer.",
        )
    day_field, month_field, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if _H_NUMBER_MONTH_OFFSET < month_field <= _H_NUMBER_MONTH_OFFSET + 12:
        raise FnrError(
            FnrProblem.H_NUMBER,
            "Fødselsnummer er et H-nummer (hjelpenummer fra helsesektoren) og kan ikke brukes. "
            "Oppgi personens fødselsnummer eller D-nummer.",
        )
    synthetic = month_field > _TENOR_MONTH_OFFSET
    d_number = day_field > _D_NUMBER_DAY_OFFSET
    month = month_field - _TENOR_MONTH_OFFSET if synthetic else month_field
    day = day_field - _D_NUMBER_DAY_OFFSET if d_number else day_field
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise _date_error()
    kind = FnrKind.D_NUMMER if d_number else FnrKind.FODSELSNUMMER

    if rule_2032:
        # The century is unknown, but 2000 + yy is a leap year exactly when any
        # century would make it one, so it checks day and month (29.02 included).
        if _date_or_none(2000 + yy, month, day) is None:
            raise _date_error()
        return FnrInfo(digits, kind, synthetic, True, None, None)

    year = _birth_year(digits[4:9])
    birth_date = None if year is None else _date_or_none(year, month, day)
    if birth_date is None:
        if _date_or_none(2000 + yy, month, day) is None:
            raise _date_error()
        raise FnrError(
            FnrProblem.DATE,
            "Fødselsnummer har et individnummer som ikke passer med fødselsåret, så "
            "fødselsåret kan ikke bestemmes. Sjekk at nummeret er skrevet riktig.",
        )
    if birth_date > (today or date.today()):
        raise FnrError(FnrProblem.DATE, "Fødselsnummer har en fødselsdato fram i tid.")
    return FnrInfo(digits, kind, synthetic, False, birth_date, birth_date.year)


@cache  # at most 100,000 keys: two year digits, three individual digits
def _birth_year(year_and_individual: str) -> int | None:
    """The birth year stdnum reads from the year digits and the individual number, or None
    when the individual number fits no century for that year (the 1st of January is a date
    in every year, so only the century can fail)."""
    try:
        birth: date = stdnum_fnr.get_birth_date("0101" + year_and_individual + "00")
    except stdnum_exceptions.ValidationError:
        return None
    return birth.year


@dataclass(frozen=True, slots=True, repr=False)
class PersonKey:
    """The installation's secret for ``person_id`` (kept in the encrypted database).

    Without it nobody can compute a person_id from a fødselsnummer, so a person_id
    shown next to a partial number does not let anyone test the few thousand
    numbers that fit. ``repr`` never shows the key.
    """

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != PERSON_KEY_BYTES:
            raise ValueError(f"person_id-nøkkelen må være {PERSON_KEY_BYTES} byte")

    @classmethod
    def random(cls) -> PersonKey:
        """A new key: for a new database, or for one run without a database."""
        return cls(secrets.token_bytes(PERSON_KEY_BYTES))

    def __repr__(self) -> str:
        return "PersonKey(<hemmelig>)"


def person_id(number: object, key: PersonKey) -> uuid.UUID:
    """The person id: HMAC-SHA256 of the normalised number under ``key``, as a version-8 UUID.

    The first 128 bits of the MAC with the RFC 9562 version (8) and variant bits
    set, so 122 bits are the MAC's. Stable for as long as the key is.
    """
    return uuid.UUID(bytes=person_id_bytes(number, key))


def person_id_bytes(number: object, key: PersonKey) -> bytes:
    """``person_id(number, key).bytes`` without building the UUID (an import has a million)."""
    mac = bytearray(hmac.digest(key.secret, normalise(number).encode("ascii"), hashlib.sha256))
    mac[6] = (mac[6] & 0x0F) | (_UUID_VERSION_8 << 4)  # version: the high half of byte 6
    mac[8] = (mac[8] & 0x3F) | 0x80  # RFC 9562 variant: the top two bits of byte 8 are 10
    return bytes(mac[:16])


def mask(number: str) -> str:
    """The number with the personal part hidden: "010190*****" (never raises)."""
    digits = stdnum_fnr.compact(number) if isinstance(number, str) else ""
    if len(digits) == 11 and digits.isascii() and digits.isdigit():
        return digits[:6] + "*" * 5
    return "*" * 11


def synthetic_number(
    birth_date: date, individual: int, *, d_number: bool = False, rule_2032: bool = False
) -> str:
    """A Tenor synthetic number (month + 80) with correct control digits.

    With ``rule_2032`` the first control digit is one that only the 2032 rule
    accepts. ValueError when ``individual`` (0-999) does not fit the birth year's
    century (classic rule) or gives no valid control digits; try another one.
    """
    if not 0 <= individual <= 999:
        raise ValueError(f"individnummer må være 0-999, fikk {individual}")
    day = birth_date.day + (_D_NUMBER_DAY_OFFSET if d_number else 0)
    month = birth_date.month + _TENOR_MONTH_OFFSET
    base = f"{day:02d}{month:02d}{birth_date.year % 100:02d}{individual:03d}"
    if not rule_2032:
        plain = f"{birth_date.day:02d}{birth_date.month:02d}{base[4:]}00"
        try:
            derived = stdnum_fnr.get_birth_date(plain)
        except stdnum_exceptions.ValidationError:
            derived = None
        if derived is None or derived.year != birth_date.year:
            raise ValueError(f"individnummer {individual:03d} passer ikke med {birth_date.year}")
    weighted = _weighted_k1_sum(base)
    residues = sorted(_K1_RESIDUES_2032) if rule_2032 else [0]
    for residue in residues:
        k1 = (residue - weighted) % 11
        if k1 > 9:
            continue
        k2 = stdnum_fnr.calc_check_digit2(base + str(k1))
        if len(k2) == 1:
            return f"{base}{k1}{k2}"
    raise ValueError(f"individnummer {individual:03d} gir ingen gyldige kontrollsifre")


def _weighted_k1_sum(digits: str) -> int:
    return sum(map(mul, _K1_WEIGHTS, map(int, digits[: len(_K1_WEIGHTS)])))


def _check_control_digits(digits: str) -> bool:
    """True when only the 2032 rule accepts k1; FnrError(CHECKSUM) when no rule does.

    ``digits`` is 11 ASCII digits; the sums are taken over their character codes
    (digit + 48), less 48 times the weights' sum.
    """
    codes = digits.encode("ascii")
    k2 = (11 - _weighted_code_sum(_K2_WEIGHTS, codes)) % 11  # 10: no digit fits
    if k2 == codes[10] - _ZERO:
        residue = _weighted_code_sum(_K1_CHECK_WEIGHTS, codes) % 11
        if residue == 0:
            return False
        if residue in _K1_RESIDUES_2032:
            return True
    raise FnrError(
        FnrProblem.CHECKSUM,
        "Fødselsnummer har feil kontrollsiffer (de to siste sifrene). "
        "Sjekk at nummeret er skrevet riktig.",
    )


def _weighted_code_sum(weights: tuple[int, ...], codes: bytes) -> int:
    """The weighted sum of the first ``len(weights)`` digits, from their character codes."""
    total: int = sum(map(mul, weights, codes))
    return total - _ZERO * sum(weights)


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_error() -> FnrError:
    return FnrError(
        FnrProblem.DATE,
        "Fødselsnummer inneholder ingen gyldig fødselsdato: de seks første sifrene må være "
        "dag, måned og år (DDMMÅÅ).",
    )
