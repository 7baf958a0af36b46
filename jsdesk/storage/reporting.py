"""Read-only questions the results and data-quality reports ask of the register.

Each method is a few set-oriented statements over the participations of a
period: values are pulled out of the record JSON by the database (SQLAlchemy's
JSON paths, portable between SQLite and PostgreSQL), so 100,000 participations
never have to be decoded in Python. What the figures mean is decided by
``jsdesk.reports``; storage only answers "which values, for which rows".
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Text, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from jsdesk.storage import audit, queries
from jsdesk.storage.assess import mask
from jsdesk.storage.models import AcceptedWarning, Participation, utc_now
from jsdesk.storage.records import ParticipationSummary

if TYPE_CHECKING:
    from jsdesk.storage.database import Settings

# Key of an accepted warning: (participation id, variable, entry index, finding code).
AcceptedKey = tuple[int, str, int | None, str]
_NO_FINDINGS = "[]"


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


class ReportingMixin:
    """Report queries of ``Database`` (see ``jsdesk.storage.database``)."""

    if TYPE_CHECKING:

        @property
        def settings(self) -> Settings: ...

        def read_connection(self) -> AbstractContextManager[Connection]: ...

        def write(self) -> AbstractContextManager[Session]: ...

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
        columns = [Participation.values[name].as_integer() for name in integers]
        columns += [Participation.values[name].as_string() for name in texts]
        query = select(
            Participation.id,
            Participation.oppstartsdato,
            Participation.avslutningsdato,
            Participation.stage,
            Participation.birth_date,
            Participation.fodselsar,
            *columns,
        ).where(*_in_period(first, last, bydel))
        names = [*integers, *texts]
        with self.read_connection() as conn:
            return [
                ReportRow(
                    id=row[0],
                    oppstartsdato=row[1],
                    avslutningsdato=row[2],
                    stage=row[3],
                    birth_date=row[4],
                    fodselsar=row[5],
                    values=dict(zip(names, row[6:], strict=True)),
                )
                for row in conn.execute(query.order_by(Participation.id))
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
        sums: list[ColumnElement[Any]] = []
        for name, codes in unknown_codes.items():
            text = Participation.values[name].as_string()
            answered = and_(text.is_not(None), text.not_in(["", _NO_FINDINGS]))
            sums.append(func.coalesce(func.sum(case((answered, 1), else_=0)), 0))
            if codes:
                number = Participation.values[name].as_integer()
                unknown = or_(
                    number.in_(sorted(codes)),
                    text.in_([f"[{code}]" for code in sorted(codes)]),
                )
                sums.append(func.coalesce(func.sum(case((unknown, 1), else_=0)), 0))
        query = select(func.count(Participation.id), *sums).where(*_in_period(first, last, bydel))
        with self.read_connection() as conn:
            row = conn.execute(query).one()
        total = int(row[0])
        values: Iterator[Any] = iter(row[1:])
        counts: dict[str, AnswerCount] = {}
        for name, codes in unknown_codes.items():
            answered_count = int(next(values))
            unknown_count = int(next(values)) if codes else 0
            counts[name] = AnswerCount(answered_count, unknown_count)
        return total, counts

    def findings_rows(
        self,
        *,
        first: date | None = None,
        last: date | None = None,
        bydel: str | None = None,
    ) -> list[FindingsRow]:
        """Every participation with findings (in the period when one is given), by id."""
        conditions: list[ColumnElement[bool]] = [cast(Participation.findings, Text) != _NO_FINDINGS]
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


def _in_period(first: date, last: date, bydel: str | None) -> list[ColumnElement[bool]]:
    start, end = Participation.oppstartsdato, Participation.avslutningsdato
    conditions: list[ColumnElement[bool]] = [
        start.is_not(None),
        start <= last,
        or_(end.is_(None), end >= first),
    ]
    if bydel is not None:
        conditions.append(Participation.values["bydel"].as_string() == bydel)
    return conditions
