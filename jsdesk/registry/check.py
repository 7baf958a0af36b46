"""Check every row of an extract: identity number, codes, dates, duplicates.

Second stage of an import (after ``jsdesk.registry.extract``). The result keeps
the good rows as typed values and every problem with its line number, so that
the caller can show the whole list and let the user decide whether to apply the
good rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from jsdesk.domain import fnr as fnrmod
from jsdesk.domain.code_domains import COUNTRIES, NOT_FREG_COUNTRY_CODES, SIVILSTAND
from jsdesk.domain.period import Period
from jsdesk.forms import FormDefinition, Role
from jsdesk.registry.extract import Extract, ExtractKind, RawRow
from jsdesk.rules import Severity, evaluate


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
_Kept = TypeVar("_Kept", GoodRow, tuple[GoodRow, bytes])

_FREG_VALUE_COLUMNS = ("fodeland", "sivilstand", "ankomstar", "fodselsar")


# A value as it will be stored (None: no value) and the problem with it, if any.
_Judgement = tuple[Any, str | None]
_NO_VALUE: _Judgement = (None, None)
# Distinct text values per column whose judgement is kept (a file repeats few).
_JUDGED_PER_COLUMN = 10_000

# Problems kept for showing; the rest are counted (a file may have a million bad rows).
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class CheckedExtract:
    """What checking an extract found.

    ``good`` is every row without problems for ``check_extract``; an import
    (``jsdesk.registry.apply.plan_extract``) keeps only the good rows that belong to a
    participation. ``problems`` holds the first ``MAX_PROBLEMS`` problems by line;
    ``problem_count`` and ``bad_row_count`` count them all.
    """

    extract: Extract
    good: tuple[GoodRow, ...]
    problems: tuple[RowProblem, ...]
    row_count: int
    problem_count: int
    bad_row_count: int

    @property
    def kind(self) -> ExtractKind:
        return self.extract.kind


def check_extract(
    extract: Extract,
    form: FormDefinition,
    *,
    allow_synthetic: bool = False,
    today: dt.date | None = None,
) -> CheckedExtract:
    """Check every row; a row with any problem is left out of ``good``."""
    check = RowCheck(extract, form, allow_synthetic=allow_synthetic, today=today)
    parsed = [row for row, _person in check.rows()]
    return check.result(tuple(check.still_good(parsed)))


class RowCheck:
    """Check the rows of an extract as they stream past, holding no row.

    ``rows()`` yields each row that has no problem when it is read, with its
    person's ``person_id`` (``fnr.person_id_bytes`` under ``person_key``; a key for
    this check only when none is given). A later row can still make an earlier one
    bad (the same person with other values), so a caller holding yielded rows keeps
    only ``still_good`` ones. Across rows only the person id (FREG) or a digest of
    person and test (PAD) is kept, with a digest of the values, to find repeats.
    """

    def __init__(
        self,
        extract: Extract,
        form: FormDefinition,
        *,
        allow_synthetic: bool = False,
        today: dt.date | None = None,
        person_key: fnrmod.PersonKey | None = None,
    ) -> None:
        self.extract = extract
        self.row_count = 0
        self._checker = _RowChecker(form, allow_synthetic, today or dt.date.today())
        self._key = person_key or fnrmod.PersonKey.random()
        self._seen = _SeenRows()
        self._late_bad: dict[int, GoodRow] = {}

    def rows(self) -> Iterator[tuple[GoodRow, bytes]]:
        checker, seen, key = self._checker, self._seen, self._key
        freg = self.extract.kind is ExtractKind.FREG
        parse: Callable[[RawRow], GoodRow | None] = checker.freg if freg else checker.pad
        for row in self.extract.rows:
            self.row_count += 1
            checker.start_row(row.line)
            for message in row.problems:
                checker.problem(row.line, None, f"Raden {message}.")
            result = parse(row)
            if result is None or row.problems:
                continue
            bad = checker.row_bad
            person = fnrmod.person_id_bytes(result.fodselsnummer, key)
            identity = (
                person
                if isinstance(result, FregValues)
                else _digest((person, result.provedato, result.provetype))
            )
            earlier = seen.add(identity, _values_digest(result), result.line, bad)
            if earlier is not None:
                self._repeated(result, identity, *earlier)
            elif not bad:
                yield result, person

    def _repeated(
        self, row: GoodRow, identity: bytes, earlier_line: int, same: bool, earlier_bad: bool
    ) -> None:
        """A person (FREG) or a test (PAD) may appear once; repeats are problems.

        An exact repeat marks only the later row; repeats with different values
        mark every row, since nobody can tell which one is right.
        """
        checker = self._checker
        what = "samme person" if isinstance(row, FregValues) else "samme prøve"
        if same:
            checker.problem(
                row.line, None, f"Duplikat: {what} med samme verdier som linje {earlier_line}."
            )
            return
        message = (
            f"Motstridende verdier for {what} på linje {earlier_line} og {row.line}; "
            "ingen av dem importeres."
        )
        checker.problem(earlier_line, None, message, earlier=not earlier_bad)
        checker.problem(row.line, None, message)
        if not earlier_bad:
            self._late_bad[earlier_line] = row
            self._seen.mark_bad(identity)

    def turned_bad(self, line: int) -> bool:
        """Whether a row yielded earlier was made bad by a later row."""
        return line in self._late_bad

    def still_good(self, rows: list[_Kept]) -> list[_Kept]:
        """``rows`` (yielded earlier, alone or with their person) less those a later row
        made bad."""
        late = self._late_bad
        if not late:
            return rows
        return [item for item in rows if _line_of(item) not in late]

    def late_bad_rows(self) -> dict[int, GoodRow]:
        """Lines made bad by a later row, each with that later row (the same person)."""
        return dict(self._late_bad)

    def result(self, good: tuple[GoodRow, ...]) -> CheckedExtract:
        checker = self._checker
        return CheckedExtract(
            self.extract,
            good,
            tuple(sorted(checker.problems, key=lambda p: p.line)),
            self.row_count,
            checker.problem_count,
            checker.bad_row_count,
        )


class _SeenRows:
    """Each row's identity (the person id for FREG, a digest of person and test for PAD)
    and a digest of its values.

    Per row a 16-byte key and one small integer, so a million rows take some tens
    of MB; the identity numbers themselves are not kept.
    """

    _BAD = 1

    def __init__(self) -> None:
        self._index: dict[bytes, int] = {}

    def add(
        self, identity: bytes, values: int, line: int, bad: bool
    ) -> tuple[int, bool, bool] | None:
        """Remember a row; for a repeat: (earlier line, same values, earlier bad)."""
        earlier = self._index.get(identity)
        if earlier is None:
            self._index[identity] = (values << 40) | (line << 1) | (self._BAD if bad else 0)
            return None
        earlier_values, earlier_line = earlier >> 40, (earlier >> 1) & ((1 << 39) - 1)
        return earlier_line, earlier_values == values, bool(earlier & self._BAD)

    def mark_bad(self, identity: bytes) -> None:
        self._index[identity] |= self._BAD


class _RowChecker:
    def __init__(self, form: FormDefinition, allow_synthetic: bool, today: dt.date) -> None:
        self.form = form
        self.allow_synthetic = allow_synthetic
        self.today = today
        self.problems: list[RowProblem] = []
        self.problem_count = 0
        self.bad_row_count = 0
        self.row_bad = False
        self._line = 0
        self.sivilstand = {
            choice.value.lower(): choice.value
            for choice in SIVILSTAND.choices(Period.day(dt.date.today()))
        }
        self.combination_problems = lru_cache(maxsize=None)(self._combination_problems)
        # A file repeats few distinct values per column: each is judged once.
        self._judged: dict[str, dict[str, _Judgement]] = defaultdict(dict)
        self._codes: dict[tuple[str, str, dt.date], _Judgement] = {}

    def start_row(self, line: int) -> None:
        self._line, self.row_bad = line, False

    def problem(
        self, line: int, column: str | None, message: str, *, earlier: bool = False
    ) -> None:
        """Record a problem on the current row (or, with ``earlier``, on a row made bad
        by a later one); only the first ``MAX_PROBLEMS`` are kept."""
        if line == self._line:
            if not self.row_bad:
                self.bad_row_count += 1
            self.row_bad = True
        elif earlier:
            self.bad_row_count += 1
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(RowProblem(line, column, message))

    def judged(
        self, line: int, column: str, judge: Callable[[object], _Judgement], value: object
    ) -> Any:
        """``judge(value)``: the value as stored and the problem, if any (recorded on ``line``).

        Text values are judged once per file and column (up to ``_JUDGED_PER_COLUMN``
        distinct ones).
        """
        judged = self._judged[column]
        outcome = judged.get(value) if type(value) is str else None
        if outcome is None:
            outcome = judge(value)
            if type(value) is str and len(judged) < _JUDGED_PER_COLUMN:
                judged[value] = outcome
        result, message = outcome
        if message is not None:
            self.problem(line, column, message)
        return result

    # --- one row ------------------------------------------------------------------------

    def freg(self, row: RawRow) -> FregValues | None:
        line, values = row.line, row.values
        info = self.identity(line, values.get("fodselsnummer"))
        fodeland = self.judged(line, "fodeland", self.country, values.get("fodeland"))
        sivilstand = self.judged(line, "sivilstand", self.civil_status, values.get("sivilstand"))
        ankomstar = self.judged(line, "ankomstar", self.year, values.get("ankomstar"))
        fodselsar = self.judged(line, "fodselsar", self.year, values.get("fodselsar"))
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
        if (
            fodeland is None
            and sivilstand is None
            and ankomstar is None
            and all(_empty(values.get(name)) for name in _FREG_VALUE_COLUMNS)
        ):
            self.problem(line, None, "Raden har ingen FREG-verdier å importere.")
            return None
        return FregValues(line, info.number, fodeland, sivilstand, ankomstar, fodselsar)

    def pad(self, row: RawRow) -> PadResult | None:
        line, values = row.line, row.values
        info = self.identity(line, values.get("fodselsnummer"))
        provedato: dt.date | None = self.judged(
            line, "provedato", self.date, values.get("provedato")
        )
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
            info = fnrmod.analyse(str(value), today=self.today)
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

    def country(self, value: object) -> _Judgement:
        if _empty(value):
            return _NO_VALUE
        code = str(value).strip().upper()
        if not COUNTRIES.is_known(code) and code not in NOT_FREG_COUNTRY_CODES:
            return None, (
                f"«{value}» er ingen landkode: fødeland skal være ISO 3166-1 alfa-3 "
                "(for eksempel SOM, SYR) eller Folkeregisterets XUK (ukjent), XXX (statsløs) "
                "eller XXK (Kosovo)."
            )
        return code, None

    def civil_status(self, value: object) -> _Judgement:
        if _empty(value):
            return _NO_VALUE
        canonical = self.sivilstand.get(str(value).strip().lower())
        if canonical is None:
            return None, (
                f"«{value}» er ingen sivilstand fra Folkeregisteret (gyldige verdier: "
                f"{', '.join(sorted(self.sivilstand.values()))})."
            )
        return canonical, None

    def year(self, value: object) -> _Judgement:
        if _empty(value):
            return _NO_VALUE
        number = _as_int(value)
        if number is None or not 1900 <= number <= self.today.year:
            return None, (
                f"«{value}» er ikke et gyldig årstall (fire sifre, 1900-{self.today.year})."
            )
        return number, None

    def date(self, value: object) -> _Judgement:
        if _empty(value):
            return None, "Dato mangler."
        day = _as_date(value)
        if day is None:
            return None, f"«{value}» er ikke en gyldig dato (skriv ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ)."
        if day > self.today:
            return None, f"Datoen {day:%d.%m.%Y} er fram i tid."
        return day, None

    def code(self, line: int, column: str, value: object, day: dt.date) -> int | None:
        """The code ``value`` names in ``column``'s code list, valid on ``day`` (judged
        once per text, column and day)."""
        if type(value) is not str:
            outcome = self._code(column, value, day)
        else:
            key = (column, value, day)
            outcome = self._codes.get(key) or self._code(column, value, day)
            if len(self._codes) < _JUDGED_PER_COLUMN:
                self._codes[key] = outcome
        result, message = outcome
        if message is not None:
            self.problem(line, column, message)
        return result  # type: ignore[no-any-return]

    def _code(self, column: str, value: object, day: dt.date) -> _Judgement:
        variable = self.form.variable(column)
        if _empty(value):
            return None, f"«{variable.label}» mangler."
        number = _as_int(value)
        text = str(value).strip().upper()
        for code in variable.codes:
            if number == code.code or (number is None and code.text.upper() == text):
                if code.valid_from <= day and (code.valid_to is None or day <= code.valid_to):
                    return code.code, None
                return None, (
                    f"Koden {code.code} ({code.text}) i «{variable.label}» gjaldt ikke "
                    f"{day:%d.%m.%Y}."
                )
        choices = ", ".join(f"{code.code} {code.text}" for code in variable.codes)
        return None, f"«{value}» er ingen kode i «{variable.label}» (gyldige koder: {choices})."

    def _combination_problems(
        self, provetype: int, proveresultat: int
    ) -> tuple[tuple[str, str], ...]:
        """The form's own rules on a test type/result pair (e.g. C1 tests give only C1)."""

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


def _digest(parts: tuple[object, ...]) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


def _values_digest(row: GoodRow) -> int:
    """32 bits of the row's values, to tell an exact repeat from one with other values.

    ``hash`` is the same for equal values throughout one run, which is all a
    comparison within one file needs.
    """
    if isinstance(row, FregValues):
        values: tuple[object, ...] = (row.fodeland, row.sivilstand, row.ankomstar, row.fodselsar)
    else:
        values = (row.provedato, row.provetype, row.proveresultat)
    return hash(values) & 0xFFFF_FFFF


def _line_of(item: GoodRow | tuple[GoodRow, bytes]) -> int:
    return item[0].line if isinstance(item, tuple) else item.line


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
