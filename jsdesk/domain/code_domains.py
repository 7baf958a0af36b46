"""One object per named domain of the form: what may be chosen, and what is wrong.

Every value set that lives outside the form file (municipality numbers, Oslo's
bydeler, country codes, FREG's sivilstand values, fødselsnummer) has exactly one
object here, and it answers the two questions the application asks:

- ``choices(period)``: what may be chosen for a participation running over
  ``period``, with labels (what the wizard, the first-start setup and ``db init``
  offer);
- ``check(value, period)``: a ``DomainFinding`` or None (what the rule engine,
  registry import and the demo data ask).

The rule engine, the wizard, the setup, ``db init``, registry import and the demo
data all ask these objects; no other module holds a list of municipality numbers,
the Oslo number or the bydel range. Findings carry a code string that is a
``jsdesk.rules.findings.FindingCode`` value (the rules package sits above this one).

The objects are found by the form's domain name with :func:`domain`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import iso3166

from jsdesk.domain import registers
from jsdesk.domain.fnr import FnrError, FnrInfo, FnrProblem, analyse
from jsdesk.domain.period import Period

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"

# The first day the 2032 control-digit rule applies to new numbers (DOMAIN.md).
RULE_2032_FROM = date(2032, 1, 1)


@dataclass(frozen=True, slots=True)
class Choice:
    """A value that may be chosen, with the label shown for it ("3301 Drammen")."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class DomainFinding:
    """What is wrong with a value: a FindingCode value, a Bokmål message, a severity."""

    code: str
    message: str
    severity: str = SEVERITY_ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == SEVERITY_ERROR


class ValueDomain(Protocol):
    """A named domain: ``check`` answers for one value over a participation's period."""

    name: str
    default_label: str

    def check(self, value: object, period: Period, *, label: str = "") -> DomainFinding | None:
        """None when ``value`` is acceptable for a participation over ``period``."""
        ...


class ChoiceDomain(ValueDomain, Protocol):
    """A domain whose values are picked from a list."""

    def choices(self, period: Period) -> tuple[Choice, ...]:
        """What may be chosen for a participation over ``period``, in display order."""
        ...


def _shown(value: object) -> str:
    """The value quoted for a message; never a text that may hold an identity number."""
    if isinstance(value, str) and sum(ch.isdigit() for ch in value) >= 9:
        return "en tekst med mange sifre"
    if isinstance(value, str):
        return f"«{value}»" if len(value) <= 20 else f"«{value[:17]}...»"
    if isinstance(value, bool) or value is None:
        return "en ukjent verdi"
    return f"«{value}»"


# ---------------------------------------------------------------- municipalities


class MunicipalityNumbers:
    """Kommunenummer: the numbers in force on any day of the participation's period.

    The list in force on a day is the list of that day's year (municipality changes
    take effect on 1 January), clamped to the years shipped. A number is valid when
    it was in force on any day of the period, and its name is the one it had on the
    last day of the period that it was in force.
    """

    name = "kommunenummer"
    default_label = "Kommunenummer"
    OSLO = "0301"  # the municipality that reports per bydel (see OsloBydeler)

    def in_force(self, period: Period) -> Mapping[str, str]:
        """kommunenummer -> its name on the last day of ``period`` it was in force."""
        return _in_force(*self._clamped(period))

    def choices(self, period: Period, *, installation: str | None = None) -> tuple[Choice, ...]:
        """The numbers in force in ``period``; with ``installation`` (the installation's
        kommunenummer), only the numbers that municipality had in the period."""
        in_force = self.in_force(period)
        numbers = self.numbers_of(installation, period) if installation else in_force.keys()
        return tuple(Choice(nr, f"{nr} {in_force[nr]}") for nr in sorted(numbers))

    def name_of(self, nr: object, period: Period) -> str | None:
        """The municipality's name (see ``in_force``), None when not in force in ``period``."""
        if not isinstance(nr, str):
            return None
        return self.in_force(period).get(nr)

    def check(
        self, value: object, period: Period, *, label: str = "", installation: str | None = None
    ) -> DomainFinding | None:
        """None when ``value`` was in force in ``period`` and, with ``installation`` (the
        installation's kommunenummer), was that municipality's number in the period."""
        label = label or self.default_label
        if isinstance(value, str) and value in self.in_force(period):
            if installation and value not in self.numbers_of(installation, period):
                return self._other_municipality(value, period, label, installation)
            return None
        hint = "Bruk kommunenummeret som gjaldt i deltakelsesperioden."
        if isinstance(value, str):
            for year in registers.municipality_years():
                name = registers.municipalities_in(year).get(value)
                if name is not None:
                    hint = (
                        f"Nummeret tilhørte {name} i {year}, men gjaldt ikke i perioden. "
                        + self._successor_hint(value, period)
                    )
                    break
        return DomainFinding(
            "INVALID_KOMMUNENUMMER",
            f"«{label}» ({_shown(value)}) fantes ikke i kommunelisten i deltakelsesperioden "
            f"{period.text()}. {hint}",
        )

    def _other_municipality(
        self, value: str, period: Period, label: str, installation: str
    ) -> DomainFinding:
        own = sorted(self.numbers_of(installation, period))
        name = (
            self.name_of(own[-1], period) if own else self.latest_name(installation)
        ) or installation
        if own:
            numbers = " eller ".join(own)
            hint = f"I deltakelsesperioden hadde {name} nummer {numbers}."
        else:
            hint = f"{name} ({installation}) fantes ikke i deltakelsesperioden {period.text()}."
        other = self.name_of(value, period) or value
        return DomainFinding(
            "OTHER_MUNICIPALITY",
            f"«{label}» ({value} {other}) hører ikke til installasjonens kommune, {name}. "
            f"{hint} Deltakelsen kan ikke sendes inn fra denne installasjonen.",
        )

    @staticmethod
    def latest_name(nr: object) -> str | None:
        """The municipality's latest name in the shipped lists (None for an unknown number)."""
        if not isinstance(nr, str):
            return None
        for year in reversed(registers.municipality_years()):
            name = registers.municipalities_in(year).get(nr)
            if name is not None:
                return name
        return None

    def numbers_of(self, nr: str, period: Period) -> frozenset[str]:
        """The numbers the municipality ``nr`` had during ``period``.

        ``nr`` may be the municipality's number on any day; the answer holds its
        numbers in force during the period, following renumberings and splits both
        ways (Drammen: 3005 until 2023, 3301 from 2024; Haram had Ålesund's 1507
        before it was split off). Empty when the municipality did not exist then.
        """
        lineage = {nr} | _ancestors(nr) | _descendants(nr)
        return frozenset(lineage & self.in_force(period).keys())

    def reports_per_bydel(self, nr: object) -> bool:
        """True for Oslo, whose installations report per bydel."""
        return nr == self.OSLO

    def is_current_today(self, nr: object, today: date) -> bool:
        return isinstance(nr, str) and nr in self.in_force(Period.day(today))

    @staticmethod
    def _clamped(period: Period) -> tuple[int, int]:
        years = registers.municipality_years()
        first = min(max(period.start.year, years[0]), years[-1])
        last = min(max(period.end.year, years[0]), years[-1])
        return first, last

    def _successor_hint(self, nr: str, period: Period) -> str:
        successors = sorted(self.numbers_of(nr, period) - {nr})
        if not successors:
            return "Bruk kommunenummeret som gjaldt i deltakelsesperioden."
        shown = " eller ".join(successors)
        return f"I perioden hadde kommunen nummer {shown}."


@functools.cache
def _in_force(first_year: int, last_year: int) -> Mapping[str, str]:
    names: dict[str, str] = {}
    for year in range(last_year, first_year - 1, -1):  # the latest name wins
        for nr, name in registers.municipalities_in(year).items():
            names.setdefault(nr, name)
    return names


def forget_cached() -> None:
    """Ask the registers again on next use (an update package was installed)."""
    registers.forget_cached()
    _in_force.cache_clear()


def _ancestors(nr: str) -> set[str]:
    return _follow(nr, backwards=True)


def _descendants(nr: str) -> set[str]:
    return _follow(nr, backwards=False)


def _follow(nr: str, *, backwards: bool) -> set[str]:
    found: set[str] = set()
    todo = [nr]
    while todo:
        current = todo.pop()
        for change in registers.municipality_changes():
            source, target = (
                (change.to_nr, change.from_nr) if backwards else (change.from_nr, change.to_nr)
            )
            if source == current and target not in found:
                found.add(target)
                todo.append(target)
    return found


# ------------------------------------------------------------------------ bydeler


class OsloBydeler:
    """Oslo's administrative bydeler, the ones that run a project and report.

    030116 Sentrum and 030117 Marka are statistical areas and 030199 means unknown;
    none of them can run a project, so they are neither offered nor accepted.
    """

    name = "oslo_bydel"
    default_label = "Bydel"
    kommunenummer = MunicipalityNumbers.OSLO

    def _admin(self) -> Mapping[str, str]:
        return {nr: name for nr, name in registers.oslo_bydeler().items() if _is_admin_bydel(nr)}

    def choices(self, period: Period) -> tuple[Choice, ...]:
        return tuple(Choice(nr, f"{nr} {name}") for nr, name in sorted(self._admin().items()))

    def name_of(self, nr: object) -> str | None:
        """The bydel's name (statistical areas included), None for an unknown number."""
        return registers.oslo_bydeler().get(nr) if isinstance(nr, str) else None

    def first(self) -> str:
        """The first bydel (sandbox and demo installations use it)."""
        return min(self._admin())

    def range_text(self) -> str:
        """ "030101-030115": the numbers offered, for messages and prompts."""
        numbers = sorted(self._admin())
        return f"{numbers[0]}-{numbers[-1]}"

    def check(self, value: object, period: Period, *, label: str = "") -> DomainFinding | None:
        if isinstance(value, str) and value in self._admin():
            return None
        label = label or self.default_label
        return DomainFinding(
            "INVALID_BYDEL",
            f"«{label}» må være en av Oslos bydeler {self.range_text()}, men er {_shown(value)}.",
        )


def _is_admin_bydel(nr: str) -> bool:
    return len(nr) == 6 and nr.startswith(MunicipalityNumbers.OSLO) and "01" <= nr[4:] <= "15"


# ------------------------------------------------------------------- countries

# The population register's own codes beside ISO 3166-1 alpha-3 (DOMAIN.md).
FREG_COUNTRY_CODES: Mapping[str, str] = {
    "XUK": "Ukjent",
    "XXX": "Statsløs",
    "XXK": "Kosovo",
}
# Codes others use that FREG does not: a warning naming FREG's code instead.
NOT_FREG_COUNTRY_CODES: Mapping[str, str] = {"XKX": "XXK"}


class CountryCodes:
    """Fødeland as FREG writes it: ISO 3166-1 alpha-3 plus XUK, XXX and XXK."""

    name = "iso3166_alpha3"
    default_label = "Landkode"
    UNKNOWN = "XUK"

    def choices(self, period: Period) -> tuple[Choice, ...]:
        codes = {c: n for c, n in _iso_countries().items() if c not in NOT_FREG_COUNTRY_CODES}
        codes.update(FREG_COUNTRY_CODES)
        return tuple(Choice(code, f"{code} {name}") for code, name in sorted(codes.items()))

    def is_known(self, value: object) -> bool:
        if not isinstance(value, str) or value in NOT_FREG_COUNTRY_CODES:
            return False
        return value in FREG_COUNTRY_CODES or value in _iso_countries()

    def check(self, value: object, period: Period, *, label: str = "") -> DomainFinding | None:
        if self.is_known(value):
            return None
        label = label or self.default_label
        if isinstance(value, str) and value in NOT_FREG_COUNTRY_CODES:
            return DomainFinding(
                "INVALID_COUNTRY",
                f"«{label}» er «{value}», som ikke er en kode i Folkeregisteret (Folkeregisteret "
                f"bruker «{NOT_FREG_COUNTRY_CODES[value]}»). Kontroller opplysningene fra "
                "Folkeregisteret.",
                SEVERITY_WARNING,
            )
        return DomainFinding(
            "INVALID_COUNTRY",
            f"«{label}» må være en landkode på tre store bokstaver (ISO 3166-1 alfa-3, "
            f"f.eks. «SOM», eller Folkeregisterets «XUK» for ukjent, «XXX» for statsløs, "
            f"«XXK» for Kosovo), men er {_shown(value)}.",
        )


@functools.cache
def _iso_countries() -> Mapping[str, str]:
    return {code: country.name for code, country in iso3166.countries_by_alpha3.items()}


# ------------------------------------------------------------------- sivilstand

_SIVILSTAND_LABELS: Mapping[str, str] = {
    "uoppgitt": "Uoppgitt",
    "ugift": "Ugift",
    "gift": "Gift",
    "enkeEllerEnkemann": "Enke eller enkemann",
    "skilt": "Skilt",
    "separert": "Separert",
    "registrertPartner": "Registrert partner",
    "separertPartner": "Separert partner",
    "skiltPartner": "Skilt partner",
    "gjenlevendePartner": "Gjenlevende partner",
}


class Sivilstand:
    """FREG's sivilstand values, e.g. «gift», «enkeEllerEnkemann»."""

    name = "freg_sivilstand"
    default_label = "Sivilstand"

    def choices(self, period: Period) -> tuple[Choice, ...]:
        return tuple(
            Choice(value, _SIVILSTAND_LABELS.get(value, value))
            for value in registers.freg_sivilstand()
        )

    def check(self, value: object, period: Period, *, label: str = "") -> DomainFinding | None:
        allowed = registers.freg_sivilstand()
        if value in allowed:
            return None
        label = label or self.default_label
        return DomainFinding(
            "INVALID_SIVILSTAND",
            f"«{label}» må være en av Folkeregisterets verdier ({', '.join(sorted(allowed))}), "
            f"men er {_shown(value)}.",
        )


# -------------------------------------------------------------- fødselsnummer


class Fodselsnummer:
    """Fødselsnummer and D-nummer (``jsdesk.domain.fnr`` does the arithmetic).

    ``check`` needs two things besides the period: whether synthetic (Tenor) numbers
    are allowed in this installation, and today's date (a birth date after today is
    wrong). They are keyword arguments with safe defaults.
    """

    name = "fodselsnummer"
    default_label = "Fødselsnummer"

    def check(
        self,
        value: object,
        period: Period,
        *,
        label: str = "",
        allow_synthetic: bool = False,
        today: date | None = None,
    ) -> DomainFinding | None:
        label = label or self.default_label
        info = analyse_cached(value, today or date.today())
        if isinstance(info, FnrError):
            exc = info
            if exc.code is FnrProblem.H_NUMBER:
                return DomainFinding(
                    "H_NUMBER",
                    f"«{label}» er et H-nummer (hjelpenummer fra helsesektoren), som registeret "
                    "ikke godtar. Oppgi personens fødselsnummer eller D-nummer.",
                )
            if exc.code is FnrProblem.FH_NUMBER:
                return DomainFinding(
                    "FH_NUMBER",
                    f"«{label}» er et FH-nummer (felles hjelpenummer uten fødselsdato), som "
                    "registeret ikke godtar. Oppgi personens fødselsnummer eller D-nummer.",
                )
            detail = exc.message.removeprefix("Fødselsnummer ")
            return DomainFinding("INVALID_FNR", f"«{label}» er ugyldig: {detail}")
        if info.synthetic and not allow_synthetic:
            return DomainFinding(
                "SYNTHETIC_FNR",
                f"«{label}» er et syntetisk testnummer (Tenor), som bare godtas i "
                "testinstallasjoner (--allow-synthetic). Oppgi personens ekte fødselsnummer "
                "eller D-nummer.",
            )
        if info.rule_2032 and period.start < RULE_2032_FROM and not info.synthetic:
            return DomainFinding(
                "FNR_2032_RULE",
                f"«{label}» har kontrollsifre som bare er gyldige etter regelen for numre "
                "tildelt fra 2032. Før 2032 er det mye mer sannsynlig en skrivefeil: "
                "kontroller nummeret.",
                SEVERITY_WARNING,
            )
        return None


def analyse_cached(number: object, today: date) -> FnrInfo | FnrError:
    """``fnr.analyse`` as a value, memoised: the wizard asks on every keystroke."""
    if not isinstance(number, str):
        return FnrError(FnrProblem.FORMAT, "Fødselsnummer må skrives som tekst med 11 sifre.")
    return _analyse(number, today)


@functools.lru_cache(maxsize=4096)
def _analyse(number: str, today: date) -> FnrInfo | FnrError:
    try:
        return analyse(number, today=today)
    except FnrError as exc:
        return exc


# ----------------------------------------------------------------------- lookup

MUNICIPALITIES = MunicipalityNumbers()
OSLO_BYDELER = OsloBydeler()
COUNTRIES = CountryCodes()
SIVILSTAND = Sivilstand()
FODSELSNUMMER = Fodselsnummer()

_BY_NAME: Mapping[str, ValueDomain] = {
    d.name: d for d in (MUNICIPALITIES, OSLO_BYDELER, COUNTRIES, SIVILSTAND, FODSELSNUMMER)
}


def domain(name: str) -> ValueDomain:
    """The domain object for a form's domain name; KeyError for an unknown name."""
    return _BY_NAME[name]


def domain_names() -> frozenset[str]:
    return frozenset(_BY_NAME)


def choice_domain(name: str | None) -> ChoiceDomain | None:
    """The domain object when its values are picked from a list, else None."""
    found = _BY_NAME.get(name) if name is not None else None
    return found if found is not None and hasattr(found, "choices") else None  # type: ignore[return-value]
