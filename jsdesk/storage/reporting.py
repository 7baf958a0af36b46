"""Read-only questions the results and data-quality reports ask of the register.

Each method is a few set-oriented statements over the participations of a
period: values are pulled out of the record JSON by the database (SQLAlchemy's
JSON paths, portable between SQLite and PostgreSQL), so 100,000 participations
never have to be decoded in Python. What the figures mean is decided by
``jsdesk.reports``; storage only answers "which values, for which rows".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    TextClause,
    and_,
    case,
    func,
    literal,
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
    NO_FINDINGS,
    AcceptedWarning,
    Participation,
    json_value_sql,
    utc_now,
)
from jsdesk.storage.results import ParticipationSummary
from jsdesk.storage.sessions import DatabaseCore

if TYPE_CHECKING:
    pass

# Key of an accepted warning: (participation id, variable, entry index, finding code).
AcceptedKey = tuple[int, str, int | None, str]


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

        ``integers`` and ``texts`` name the record values to return (as int or
        str; anything else, or unanswered, comes back as None).
        """
        columns = [_value(name, Integer) for name in integers]
        columns += [_value(name, String) for name in texts]
        query = select(
            Participation.id,
            type_coerce(Participation.oppstartsdato, String),
            type_coerce(Participation.avslutningsdato, String),
            Participation.stage,
            type_coerce(Participation.birth_date, String),
            Participation.fodselsar,
            *columns,
        ).where(*_in_period(first, last, bydel))
        names = [*integers, *texts]
        day = date.fromisoformat
        with self.read_connection() as conn:
            return [
                ReportRow(
                    id=row[0],
                    oppstartsdato=day(row[1]),
                    avslutningsdato=day(row[2]) if row[2] else None,
                    stage=row[3],
                    birth_date=day(row[4]) if row[4] else None,
                    fodselsar=row[5],
                    values=dict(zip(names, row[6:], strict=True)),
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
        # json_each walks each record's top-level values once, in the database; the
        # counting is one grouped statement (100,000 records in well under a second).
        names = list(unknown_codes)
        answer = func.json_each(Participation.values).table_valued("key", "value", "type")
        key, value, kind = answer.c.key, answer.c.value, answer.c.type
        unknown_cases = [
            and_(key == name, value.in_([*codes, *(f"[{code}]" for code in codes)]))
            for name, codes in unknown_codes.items()
            if codes
        ]
        is_unknown = or_(*unknown_cases) if unknown_cases else literal(False)
        query = (
            select(key, func.count(), func.sum(case((is_unknown, 1), else_=0)))
            .select_from(Participation)
            .join(answer, true())  # a table-valued function over each row
            .where(
                *_in_period(first, last, bydel),
                key.in_(names),
                kind != "null",
                not_(and_(kind == "text", value == "")),
                not_(and_(kind == "array", value == "[]")),
            )
            .group_by(key)
        )
        counted = {name: AnswerCount(0, 0) for name in names}
        with self.read_connection() as conn:
            total = int(
                conn.execute(
                    select(func.count())
                    .select_from(Participation)
                    .where(*_in_period(first, last, bydel))
                ).scalar_one()
            )
            for name, answered, unknown in conn.execute(query):
                counted[name] = AnswerCount(int(answered), int(unknown or 0))
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
        finding = func.json_each(Participation.findings).table_valued("value")
        variable = func.json_extract(finding.c.value, "$.variable")
        query = (
            select(variable, func.count(Participation.id.distinct()))
            .select_from(Participation)
            .join(finding, true())
            .where(
                text(f"participations.findings != '{NO_FINDINGS}'"),
                *_in_period(first, last, bydel),
                func.json_extract(finding.c.value, "$.code") == code,
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
        # Spelled as in the partial index ix_participations_with_findings (a literal,
        # not a parameter), so that SQLite reads only the rows that have findings.
        conditions: list[ColumnElement[bool] | TextClause] = [
            text(f"participations.findings != '{NO_FINDINGS}'")
        ]
        if first is not None and last is not None:
            conditions += _in_period(first, last, bydel)
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

    def accepted_warning_keys(self) -> set[AcceptedKey]:
        """(participation, variable, index, code) of every accepted warning."""
        query = select(
            AcceptedWarning.participation_id,
            AcceptedWarning.variable,
            AcceptedWarning.index,
            AcceptedWarning.code,
        )
        with self.read_connection() as conn:
            return {(pid, var, index, code) for pid, var, index, code in conn.execute(query)}


def _value(name: str, kind: type[Integer] | type[String]) -> ColumnElement[Any]:
    """One record value, written exactly as in ``ix_participations_report`` (the JSON
    path a literal, not a parameter) so that SQLite can answer from that index."""
    return type_coerce(literal_column(json_value_sql(name)), kind)


def _in_period(first: date, last: date, bydel: str | None) -> list[ColumnElement[bool]]:
    start, end = Participation.oppstartsdato, Participation.avslutningsdato
    conditions: list[ColumnElement[bool]] = [
        start.is_not(None),
        start <= last,
        or_(end.is_(None), end >= first),
    ]
    if bydel is not None:
        conditions.append(_value("bydel", String) == bydel)
    return conditions
