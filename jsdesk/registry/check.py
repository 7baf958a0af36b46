"""Check every row of an extract: identity number, codes, dates, duplicates.

Second stage of an import (after ``jsdesk.registry.extract``). The result keeps
the good rows as typed values and every problem with its line number, so that
the caller can show the whole list and let the user decide whether to apply the
good rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from jsdesk.domain import fnr as fnrmod
from jsdesk.domain.code_domains import COUNTRIES, NOT_FREG_COUNTRY_CODES, SIVILSTAND
from jsdesk.domain.period import Period
from jsdesk.forms import FormDefinition, Role
from jsdesk.registry.extract import Extract, ExtractKind, RawRow


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"linje {self.line}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FregValues:
    """FREG values for one person; ``None`` means the extract has no value."""

    line: int
    fodselsnummer: str
    fodeland: str | None
    sivilstand: str | None
    ankomstar: int | None
    fodselsar: int | None

    def values(self) -> dict[str, object]:
        given = {
            "fodeland": self.fodeland,
            "sivilstand": self.sivilstand,
            "ankomstar": self.ankomstar,
            "fodselsar": self.fodselsar,
        }
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class PadResult:
    """One completed Norskprøve part-test for one person."""

    line: int
    fodselsnummer: str
    provedato: dt.date
    provetype: int
    proveresultat: int

    def entry(self) -> dict[str, object]:
        """The entry as stored in the record's ``proveresultater`` list."""
        return {
            "provedato": self.provedato.isoformat(),
            "provetype": self.provetype,
            "proveresultat": self.proveresultat,
        }


GoodRow = FregValues | PadResult

_FREG_VALUE_COLUMNS = ("fodeland", "sivilstand", "ankomstar", "fodselsar")


@dataclass(frozen=True)
class CheckedExtract:
    extract: Extract
    good: tuple[GoodRow, ...]
    problems: tuple[RowProblem, ...]

    @property
    def kind(self) -> ExtractKind:
        return self.extract.kind

    @property
    def row_count(self) -> int:
        return len(self.extract.rows)

    @property
    def bad_lines(self) -> frozenset[int]:
        return frozenset(problem.line for problem in self.problems)


def check_extract(
    extract: Extract,
    form: FormDefinition,
    *,
    allow_synthetic: bool = False,
    today: dt.date | None = None,
) -> CheckedExtract:
    """Check every row; a row with any problem is left out of ``good``."""
    checker = _RowChecker(form, allow_synthetic, today or dt.date.today())
    parse: Callable[[RawRow], GoodRow | None] = (
        checker.freg if extract.kind is ExtractKind.FREG else checker.pad
    )
    parsed: list[GoodRow] = []
    for row in extract.rows:
        for message in row.problems:
            checker.problem(row.line, None, f"Raden {message}.")
        result = parse(row)
        if result is not None and not row.problems:
            parsed.append(result)
    checker.mark_duplicates(parsed)
    bad = {problem.line for problem in checker.problems}
    good = tuple(row for row in parsed if row.line not in bad)
    problems = tuple(sorted(checker.problems, key=lambda p: p.line))
    return CheckedExtract(extract, good, problems)


class _RowChecker:
    def __init__(self, form: FormDefinition, allow_synthetic: bool, today: dt.date) -> None:
        self.form = form
        self.allow_synthetic = allow_synthetic
        self.today = today
        self.problems: list[RowProblem] = []
        self.sivilstand = {
            choice.value.lower(): choice.value
            for choice in SIVILSTAND.choices(Period.day(dt.date.today()))
        }
        self.combination_problems = lru_cache(maxsize=None)(self._combination_problems)

    def problem(self, line: int, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(line, column, message))

    # --- one row ------------------------------------------------------------------------

    def freg(self, row: RawRow) -> FregValues | None:
        line, values = row.line, row.values
        info = self.identity(line, values.get("fodselsnummer"))
        fodeland = self.country(line, values.get("fodeland"))
        sivilstand = self.civil_status(line, values.get("sivilstand"))
        ankomstar = self.year(line, "ankomstar", values.get("ankomstar"))
        fodselsar = self.year(line, "fodselsar", values.get("fodselsar"))
        if info is None:
            return None
        known_year = info.birth_year
        if fodselsar is not None and known_year is not None:
            if fodselsar != known_year:
                self.problem(
                    line,
                    "fodselsar",
                    f"Fødselsår {fodselsar} stemmer ikke med fødselsnummeret "
                    f"(som gir {known_year}).",
                )
            fodselsar = None  # the number tells it; the register derives it
        birth_year = known_year if known_year is not None else fodselsar
        if ankomstar is not None and birth_year is not None and ankomstar < birth_year:
            self.problem(
                line,
                "ankomstar",
                f"Ankomstår {ankomstar} er før fødselsåret {birth_year}.",
            )
        if all(_empty(values.get(name)) for name in _FREG_VALUE_COLUMNS):
            self.problem(line, None, "Raden har ingen FREG-verdier å importere.")
            return None
        return FregValues(line, info.number, fodeland, sivilstand, ankomstar, fodselsar)

    def pad(self, row: RawRow) -> PadResult | None:
        line, values = row.line, row.values
        info = self.identity(line, values.get("fodselsnummer"))
        provedato = self.date(line, "provedato", values.get("provedato"))
        when = provedato or self.today
        provetype = self.code(line, "provetype", values.get("provetype"), when)
        proveresultat = self.code(line, "proveresultat", values.get("proveresultat"), when)
        if info is None or provedato is None or provetype is None or proveresultat is None:
            return None
        for column, message in self.combination_problems(provetype, proveresultat):
            self.problem(line, column, message)
        return PadResult(line, info.number, provedato, provetype, proveresultat)

    # --- single values ------------------------------------------------------------------

    def identity(self, line: int, value: object) -> fnrmod.FnrInfo | None:
        if _empty(value):
            self.problem(line, "fodselsnummer", "Fødselsnummer mangler.")
            return None
        try:
            info = fnrmod.analyse(str(value))
        except fnrmod.FnrError as exc:
            self.problem(line, "fodselsnummer", exc.message)
            return None
        if info.synthetic and not self.allow_synthetic:
            self.problem(
                line,
                "fodselsnummer",
                "Syntetisk testnummer (Tenor) godtas bare i en testinstallasjon.",
            )
            return None
        return info

    def country(self, line: int, value: object) -> str | None:
        if _empty(value):
            return None
        code = str(value).strip().upper()
        if not COUNTRIES.is_known(code) and code not in NOT_FREG_COUNTRY_CODES:
            self.problem(
                line,
                "fodeland",
                f"«{value}» er ingen landkode: fødeland skal være ISO 3166-1 alfa-3 "
                "(for eksempel SOM, SYR) eller Folkeregisterets XUK (ukjent), XXX (statsløs) "
                "eller XXK (Kosovo).",
            )
            return None
        return code

    def civil_status(self, line: int, value: object) -> str | None:
        if _empty(value):
            return None
        canonical = self.sivilstand.get(str(value).strip().lower())
        if canonical is None:
            self.problem(
                line,
                "sivilstand",
                f"«{value}» er ingen sivilstand fra Folkeregisteret (gyldige verdier: "
                f"{', '.join(sorted(self.sivilstand.values()))}).",
            )
        return canonical

    def year(self, line: int, column: str, value: object) -> int | None:
        if _empty(value):
            return None
        number = _as_int(value)
        if number is None or not 1900 <= number <= self.today.year:
            self.problem(
                line,
                column,
                f"«{value}» er ikke et gyldig årstall (fire sifre, 1900-{self.today.year}).",
            )
            return None
        return number

    def date(self, line: int, column: str, value: object) -> dt.date | None:
        if _empty(value):
            self.problem(line, column, "Dato mangler.")
            return None
        day = _as_date(value)
        if day is None:
            self.problem(
                line,
                column,
                f"«{value}» er ikke en gyldig dato (skriv ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ).",
            )
            return None
        if day > self.today:
            self.problem(line, column, f"Datoen {day:%d.%m.%Y} er fram i tid.")
            return None
        return day

    def code(self, line: int, column: str, value: object, day: dt.date) -> int | None:
        variable = self.form.variable(column)
        if _empty(value):
            self.problem(line, column, f"«{variable.label}» mangler.")
            return None
        number = _as_int(value)
        text = str(value).strip().upper()
        for code in variable.codes:
            if number == code.code or (number is None and code.text.upper() == text):
                if code.valid_from <= day and (code.valid_to is None or day <= code.valid_to):
                    return code.code
                self.problem(
                    line,
                    column,
                    f"Koden {code.code} ({code.text}) i «{variable.label}» gjaldt ikke "
                    f"{day:%d.%m.%Y}.",
                )
                return None
        choices = ", ".join(f"{code.code} {code.text}" for code in variable.codes)
        self.problem(
            line,
            column,
            f"«{value}» er ingen kode i «{variable.label}» (gyldige koder: {choices}).",
        )
        return None

    def _combination_problems(
        self, provetype: int, proveresultat: int
    ) -> tuple[tuple[str, str], ...]:
        """The form's own rules on a test type/result pair (e.g. C1 tests give only C1)."""
        from jsdesk.rules import Severity, evaluate

        start = self.form.valid_from.isoformat()
        record = {
            self.form.role_name(Role.START): start,
            "proveresultater": [
                {"provedato": start, "provetype": provetype, "proveresultat": proveresultat}
            ],
        }
        evaluation = evaluate(self.form, record, allow_synthetic=True, today=self.today)
        return tuple(
            (finding.variable, finding.message)
            for finding in evaluation.findings
            if finding.index == 0
            # On PAD's data the form's findings are warnings (they never block a
            # participation); an extract row that breaks them is still shown for review.
            and (finding.severity is Severity.ERROR or finding.register_data)
            and finding.variable in {"provetype", "proveresultat"}
        )

    # --- across rows --------------------------------------------------------------------

    def mark_duplicates(self, rows: Iterable[GoodRow]) -> None:
        """A person (FREG) or a test (PAD) may appear once; repeats are problems.

        An exact repeat marks only the later row; repeats with different values
        mark every row, since nobody can tell which one is right.
        """
        first: dict[tuple[object, ...], GoodRow] = {}
        for row in rows:
            key = _identity_key(row)
            earlier = first.get(key)
            if earlier is None:
                first[key] = row
                continue
            what = "samme person" if isinstance(row, FregValues) else "samme prøve"
            if _same_values(earlier, row):
                self.problem(
                    row.line, None, f"Duplikat: {what} med samme verdier som linje {earlier.line}."
                )
            else:
                message = (
                    f"Motstridende verdier for {what} på linje {earlier.line} og {row.line}; "
                    "ingen av dem importeres."
                )
                self.problem(earlier.line, None, message)
                self.problem(row.line, None, message)


def _identity_key(row: GoodRow) -> tuple[object, ...]:
    if isinstance(row, FregValues):
        return (row.fodselsnummer,)
    return (row.fodselsnummer, row.provedato, row.provetype)


def _same_values(first: GoodRow, second: GoodRow) -> bool:
    if isinstance(first, FregValues) and isinstance(second, FregValues):
        return first.values() == second.values()
    if isinstance(first, PadResult) and isinstance(second, PadResult):
        return first.entry() == second.entry()
    return False


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _as_date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return dt.date.fromisoformat(text)
        if len(text) == 10 and text[2] == "." and text[5] == ".":
            return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None
    return None
