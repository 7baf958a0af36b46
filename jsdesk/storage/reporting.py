"""Read-only questions the results and data-quality reports ask of the register.

Each method is a few set-oriented statements over the participations of a
period: values are pulled out of the record JSON by the database (SQLAlchemy's
JSON paths, portable between SQLite and PostgreSQL), so 100,000 participations
never have to be decoded in Python. What the figures mean is decided by
``jsdesk.reports``; storage only answers "which values, for which rows".
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    FromClause,
    Integer,
    String,
    Text,
    TextClause,
    and_,
    cast,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
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


# Key of an accepted warning: (participation id, variable, entry index, finding code).
@dataclass(frozen=True)
class ReportRow:
    """One participation active in the period, with the values a report asked for."""

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


@dataclass(frozen=True)
class AnswerCount:
    """How many participations answered a variable, and how many answered "unknown"."""

    answered: int
    unknown: int


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
        # PostgreSQL hands the JSON values over decoded; SQLite's json_extract gives
        # numbers and texts as they are and arrays or objects as JSON text.
        plain = _as_json_extract if dialect == "postgresql" else None
        day = _day
        with self.read_connection() as conn:
            return [
                ReportRow(
                    id=row[0],
                    oppstartsdato=day(row[1]),
                    avslutningsdato=day(row[2]) if row[2] else None,
                    stage=row[3],
                    birth_date=day(row[4]) if row[4] else None,
                    fodselsar=row[5],
                    values=dict(
                        zip(names, row[6:] if plain is None else map(plain, row[6:]), strict=True)
                    ),
                )
                for row in conn.execute(query)
            ]

    def answer_counts(
        self,
        unknown_codes: Mapping[str, Collection[int]],
        *,
        first: date,
        last: date,
        bydel: str | None = None,
    ) -> tuple[int, dict[str, AnswerCount]]:
        """Participations active in the period, and per variable answered/unknown counts.

        ``unknown_codes`` maps each variable to the codes that mean "unknown"; a
        multi-select counts as unknown when it holds only one such code.
        Unanswered = missing, null, "" or [].
        """
        # The database walks each record's top-level values once (json_each) and counts
        # in one grouped statement; "unknown" is one lookup of "name:value" in a list.
        dialect = self._dialect
        names = list(unknown_codes)
        entries, key, value_text, answered = _record_entries(dialect)
        unknown = [
            f"{name}:{answer}"
            for name, codes in unknown_codes.items()
            for code in codes
            for answer in (code, f"[{code}]")
        ]
        token = type_coerce(key, String) + ":" + type_coerce(value_text, String)
        is_unknown = token.in_(unknown) if unknown else literal_column("0") == 1
        query = (
            select(key, func.count(), func.coalesce(func.sum(cast(is_unknown, Integer)), 0))
            .select_from(Participation)
            .join(entries, true())  # a table-valued function over each row
            .where(*_in_period(first, last, bydel, dialect), key.in_(names), answered)
            .group_by(key)
        )
        counted = {name: AnswerCount(0, 0) for name in names}
        with self.read_connection() as conn:
            total = int(
                conn.execute(
                    select(func.count())
                    .select_from(Participation)
                    .where(*_in_period(first, last, bydel, dialect))
                ).scalar_one()
            )
            for name, count, unknowns in conn.execute(query):
                counted[name] = AnswerCount(int(count), int(unknowns))
        return total, counted

    def finding_counts(
        self,
        code: str,
        *,
        first: date,
        last: date,
        bydel: str | None = None,
    ) -> dict[str, int]:
        """Per variable, the participations active in the period with a finding ``code``."""
        dialect = self._dialect
        elements = func.json_array_elements if dialect == "postgresql" else func.json_each
        finding = elements(Participation.findings).table_valued("value")
        fields = type_coerce(finding.c.value, JSON)
        variable = fields["variable"].as_string()
        query = (
            select(variable, func.count(Participation.id.distinct()))
            .select_from(Participation)
            .join(finding, true())
            .where(
                text(has_findings_sql(dialect)),
                *_in_period(first, last, bydel, dialect),
                fields["code"].as_string() == code,
            )
            .group_by(variable)
        )
        with self.read_connection() as conn:
            return {str(name): int(count) for name, count in conn.execute(query)}

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


def _record_entries(
    dialect: str,
) -> tuple[FromClause, ColumnElement[str], ColumnElement[str], ColumnElement[bool]]:
    """Each record's top-level values as rows: (the table function, its key, the value as
    JSON text — 99, "tekst", [99] —, "the value is an answer")."""
    if dialect == "postgresql":
        entries = func.json_each(Participation.values).table_valued("key", "value")
        value_text = cast(entries.c.value, Text)
        answered = and_(
            func.json_typeof(entries.c.value) != "null", value_text.not_in(['""', "[]"])
        )
        return entries, entries.c.key, value_text, answered
    entries = func.json_each(Participation.values).table_valued("key", "value", "type")
    kind, value = entries.c.type, entries.c.value
    answered = and_(
        kind != "null",
        not_(and_(kind == "text", value == "")),
        not_(and_(kind == "array", value == "[]")),
    )
    return entries, entries.c.key, func.json_quote(value), answered


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
