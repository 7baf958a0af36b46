"""Read-only questions the results and data-quality reports ask of the register.

Each method is a few set-oriented statements over the participations of a
period: values are pulled out of the record JSON by the database (SQLAlchemy's
JSON paths, portable between SQLite and PostgreSQL), so 100,000 participations
never have to be decoded in Python. What the figures mean is decided by
``jsdesk.reports``; storage only answers "which values, for which rows".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    String,
    TextClause,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)

from jsdesk.storage import audit, queries
from jsdesk.storage.assess import mask
from jsdesk.storage.models import (
    AcceptedWarning,
    Participation,
    has_findings_sql,
    json_value_sql,
    utc_now,
)
from jsdesk.storage.sessions import DatabaseCore
from jsdesk.storage.types import ParticipationSummary, WarningKey

# A report row's record values follow its first six columns (id … fodselsar).
_VALUES_FROM = 6


class ReportRow(NamedTuple):
    """One participation active in the period, with the values a report asked for (a
    tuple: the 100,000 rows of a large register are made in a fraction of a frozen
    dataclass's time)."""

    id: int
    oppstartsdato: date
    avslutningsdato: date | None
    stage: str
    birth_date: date | None
    fodselsar: int | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class FindingsRow:
    """A participation that has findings, as the data-quality list shows it."""

    id: int
    masked_fnr: str
    fnr: str | None
    oppstartsdato: date | None
    stage: str
    status: str
    form_version: str
    findings: tuple[Mapping[str, Any], ...]


class ReportingMixin(DatabaseCore):
    """Report queries of ``Database`` (see ``jsdesk.storage.database``)."""

    def record_export(self, what: str, *, file_name: str, rows: int, fnr_shown: bool) -> None:
        """Audit that a list left the database: what, to which file, and whether
        fødselsnumre were written in full (the file name, never the folder)."""
        with self.write() as session:
            audit.append(
                session,
                at=utc_now(),
                action="eksportert",
                variable=what,
                new={"fil": file_name, "rader": rows, "fulle fødselsnumre": fnr_shown},
            )

    @property
    def _dialect(self) -> str:
        """ "sqlite" or "postgresql": the few JSON questions below are spelled per back end."""
        return str(self._engine.dialect.name)

    def report_rows(
        self,
        *,
        first: date,
        last: date,
        bydel: str | None = None,
        integers: Sequence[str] = (),
        texts: Sequence[str] = (),
        chunk: int = 2000,
    ) -> list[ReportRow]:
        """Participations active some day in [first, last] (a start date is needed).

        ``integers`` and ``texts`` name the record values to return (a number as a
        number, a text as text, anything else as its JSON text; unanswered as None).
        """
        dialect = self._dialect
        columns = [_value(name, Integer, dialect) for name in integers]
        columns += [_value(name, String, dialect) for name in texts]
        query = select(
            Participation.id,
            type_coerce(Participation.oppstartsdato, String),
            type_coerce(Participation.avslutningsdato, String),
            Participation.stage,
            type_coerce(Participation.birth_date, String),
            Participation.fodselsar,
            *columns,
        ).where(*_in_period(first, last, bydel, dialect))
        names = [*integers, *texts]
        # PostgreSQL hands the JSON values over decoded and the dates as dates; SQLite's
        # json_extract gives numbers and texts as they are, arrays or objects as JSON
        # text, and the dates as ISO text.
        day = _day if dialect == "postgresql" else date.fromisoformat
        values = _values if dialect == "postgresql" else itemgetter(slice(_VALUES_FROM, None))
        make = ReportRow._make  # from one tuple, in C (calling the class runs Python code)
        found: list[ReportRow] = []
        with self.read_connection() as conn:
            # ``chunk`` rows per fetch: a few calls, each short (the GIL is free between
            # them for the window's thread), instead of one call per row.
            for part in conn.execute(query).partitions(chunk):
                found += [
                    make(
                        (
                            row[0],
                            day(row[1]),
                            day(row[2]) if row[2] else None,
                            row[3],
                            day(row[4]) if row[4] else None,
                            row[5],
                            dict(zip(names, values(row), strict=True)),
                        )
                    )
                    for row in part
                ]
        return found

    def field_state_counts(
        self,
        *,
        first: date,
        last: date,
        bydel: str | None = None,
        chunk: int = 2000,
    ) -> tuple[int, Counter[str]]:
        """Participations active in the period, and how many of them hold each token of
        ``field_states`` (``jsdesk.storage.assess``: "fravar", "?fravar", "!fravar").

        SQLite reads the tokens from ``ix_participations_completeness``, not from the
        encrypted records. The tokens are counted ``chunk`` rows at a time (one C call
        each), so the GIL is free between chunks for the window's thread.
        """
        dialect = self._dialect
        query = select(Participation.field_states).where(*_in_period(first, last, bydel, dialect))
        tally: Counter[str] = Counter()
        total = 0
        with self.read_connection() as conn:
            for rows in conn.execute(query).scalars().partitions(chunk):
                total += len(rows)
                tally.update(" ".join(filter(None, rows)).split())
        return total, tally

    def findings_rows(
        self,
        *,
        first: date | None = None,
        last: date | None = None,
        bydel: str | None = None,
    ) -> list[FindingsRow]:
        """Every participation with findings (in the period when one is given), by id."""
        dialect = self._dialect
        conditions: list[ColumnElement[bool] | TextClause] = [text(has_findings_sql(dialect))]
        if first is not None and last is not None:
            conditions += _in_period(first, last, bydel, dialect)
        query = select(
            Participation.id,
            Participation.fnr,
            Participation.oppstartsdato,
            Participation.stage,
            Participation.status,
            Participation.form_version,
            Participation.findings,
        ).where(*conditions)
        with self.read_connection() as conn:
            return [
                FindingsRow(
                    id=pid,
                    masked_fnr=mask(fnr),
                    fnr=fnr,
                    oppstartsdato=start,
                    stage=stage,
                    status=status,
                    form_version=version,
                    findings=tuple(findings or ()),
                )
                for pid, fnr, start, stage, status, version, findings in conn.execute(
                    query.order_by(Participation.id)
                )
                if findings
            ]

    def participation_list(
        self,
        *,
        search: str | None = None,
        status: str | None = None,
        stage: str | None = None,
        year: int | None = None,
        order_by: str = "changed_at",
        descending: bool = True,
    ) -> list[tuple[ParticipationSummary, str | None]]:
        """Every participation the overview's filters match, in its order, with the
        full fødselsnummer beside each summary (for an export the user chose so)."""
        shape, params = queries.filters(search, status, stage, year)
        with self.read_connection() as conn:
            params["limit"] = int(conn.execute(queries.count_query(shape), params).scalar_one())
            params["offset"] = 0
            query = queries.summary_query(shape, order_by, descending)
            return [(queries.summary(*row), row[2]) for row in conn.execute(query, params)]

    def accepted_warning_keys(self) -> dict[int, set[WarningKey]]:
        """Participation -> (variable, code, index) of each warning accepted in it."""
        query = select(
            AcceptedWarning.participation_id,
            AcceptedWarning.variable,
            AcceptedWarning.code,
            AcceptedWarning.index,
        )
        accepted: dict[int, set[WarningKey]] = {}
        with self.read_connection() as conn:
            for pid, variable, code, index in conn.execute(query):
                accepted.setdefault(pid, set()).add((variable, code, index))
        return accepted


def _value(
    name: str, kind: type[Integer] | type[String], dialect: str = "sqlite"
) -> ColumnElement[Any]:
    """One record value. On SQLite written exactly as in ``ix_participations_report``
    (the JSON path a literal, not a parameter) so that SQLite can answer from that index;
    on PostgreSQL the JSON value itself (``->``), decoded by the driver."""
    if dialect == "postgresql":
        return type_coerce(literal_column(f"(\"values\" -> '{name}')"), JSON)
    return type_coerce(literal_column(json_value_sql(name)), kind)


def _values(row: Sequence[Any]) -> Iterator[Any]:
    """The record values of a PostgreSQL report row, as SQLite gives them."""
    return map(_as_json_extract, row[_VALUES_FROM:])


def _as_json_extract(value: Any) -> Any:
    """A decoded JSON value as SQLite's json_extract returns it (so that both back ends
    give the same figures): true/false as 1/0, arrays and objects as compact JSON text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def _day(value: Any) -> date:
    """A date column read as ISO text (SQLite) or as a date (PostgreSQL)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _in_period(
    first: date, last: date, bydel: str | None, dialect: str = "sqlite"
) -> list[ColumnElement[bool]]:
    start, end = Participation.oppstartsdato, Participation.avslutningsdato
    conditions: list[ColumnElement[bool]] = [
        start.is_not(None),
        start <= last,
        or_(end.is_(None), end >= first),
    ]
    if bydel is not None:
        bydel_value = type_coerce(literal_column(json_value_sql("bydel", dialect)), String)
        conditions.append(bydel_value == bydel)
    return conditions
