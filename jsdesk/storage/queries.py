"""The overview queries, built once per shape and run with bound parameters.

The overview asks the same few questions over and over (newest first, search
by fødselsnummer or date, a page sorted by a column). Each shape of question
becomes one SQLAlchemy Core ``select()`` with ``bindparam`` placeholders, built
once and kept (``lru_cache``): a call only binds values, SQLAlchemy finds the
compiled statement in its cache by the statement's memoised cache key, and the
rows come back as plain tuples that ``summary`` turns into the result dataclass.
Building a fresh ``select()`` per call cost more than SQLite's own work.

Pages next to one already read are found by their sort key (keyset paging): the rows
after the last row's (sort value, id), or before the first row's, read from the index
on (sort column, id) without reading the rows in between, as OFFSET does: first the
rows of the same value with a later id, then those with a later value. A sort
column that may be NULL is read in two segments, the rows with a value and those
without, in the order each back end sorts NULL (PostgreSQL after every value,
SQLite before), so that the keyset pages give the same rows in the same order as one
query ordered by (column, id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from jsdesk.storable import storable
from jsdesk.storage.assess import mask
from jsdesk.storage.models import Participation, Status
from jsdesk.storage.types import ORDERABLE, ParticipationSummary, parse_search_date

SUMMARY_COLUMNS = (
    Participation.id,
    Participation.person_id,
    Participation.fnr,
    Participation.fodselsar,
    Participation.stage,
    Participation.status,
    Participation.oppstartsdato,
    Participation.avslutningsdato,
    Participation.completeness,
    Participation.changed_at,
    Participation.form_version,
    Participation.findings,
)

# How a search text is looked up; the values go in as bound parameters.
SEARCH_NONE = ""
SEARCH_DATE = "date"  # birth, start or end date
SEARCH_FNR = "fnr"  # the whole fødselsnummer
SEARCH_PREFIX = "prefix"  # the first digits (a range, so the fnr index serves it)
SEARCH_NOTHING = "nothing"  # text that is neither: matches no record

_STATUSES = {str(status): status for status in Status}

# Which rows of a sort order one keyset query reads: all (a column never NULL), or for a
# column that may be NULL those with a value and those without, one segment each.
SEGMENT_ALL = "all"
SEGMENT_VALUES = "values"
SEGMENT_NULLS = "nulls"
# Back ends that sort NULL above every value (after them in ascending order).
NULLS_SORT_HIGH = frozenset({"postgresql"})


@dataclass(frozen=True)
class Shape:
    """Which filters a query has (not their values): one cached statement per shape."""

    search: str = SEARCH_NONE
    status: bool = False
    stage: bool = False
    year: bool = False


def filters(
    search: str | None, status: str | None, stage: str | None, year: int | None
) -> tuple[Shape, dict[str, Any]]:
    """The query shape and the bound values for these filter arguments."""
    params: dict[str, Any] = {}
    kind = SEARCH_NONE
    # A NUL pasted with the search is invisible, and no stored value holds one.
    if search and (search := storable(search)):
        kind, params = _search(search)
    if status is not None:
        params["status"] = str(status)
    if stage is not None:
        params["stage"] = str(stage)
    if year is not None:
        params["first"], params["last"] = date(year, 1, 1), date(year, 12, 31)
    return Shape(kind, status is not None, stage is not None, year is not None), params


def _search(search: str) -> tuple[str, dict[str, Any]]:
    text = search.strip()
    day = parse_search_date(text)
    if day is not None:
        return SEARCH_DATE, {"day": day}
    digits = re.sub(r"[\s.\-]", "", text)
    if digits.isdigit():
        if len(digits) >= 11:
            return SEARCH_FNR, {"fnr": digits}
        upper = digits[:-1] + chr(ord(digits[-1]) + 1)
        return SEARCH_PREFIX, {"low": digits, "high": upper}
    return SEARCH_NOTHING, {}


def _conditions(shape: Shape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.search == SEARCH_DATE:
        day = bindparam("day", type_=Participation.birth_date.type)
        conditions.append(
            or_(
                Participation.birth_date == day,
                Participation.oppstartsdato == day,
                Participation.avslutningsdato == day,
            )
        )
    elif shape.search == SEARCH_FNR:
        conditions.append(Participation.fnr == bindparam("fnr", type_=Participation.fnr.type))
    elif shape.search == SEARCH_PREFIX:
        conditions.append(
            and_(
                Participation.fnr >= bindparam("low", type_=Participation.fnr.type),
                Participation.fnr < bindparam("high", type_=Participation.fnr.type),
            )
        )
    elif shape.search == SEARCH_NOTHING:
        conditions.append(Participation.id.is_(None))
    if shape.status:
        conditions.append(Participation.status == bindparam("status"))
    if shape.stage:
        conditions.append(Participation.stage == bindparam("stage"))
    if shape.year:
        first = bindparam("first", type_=Participation.oppstartsdato.type)
        last = bindparam("last", type_=Participation.oppstartsdato.type)
        start, end = Participation.oppstartsdato, Participation.avslutningsdato
        conditions.append(
            and_(or_(start.is_(None), start <= last), or_(end.is_(None), end >= first))
        )
    return conditions


def _order_column(order_by: str) -> Any:
    column = ORDERABLE.get(order_by)
    if column is None:
        raise ValueError(f"cannot order by {order_by!r}")
    return column


def _ordered(query: Select[Any], column: Any, descending: bool) -> Select[Any]:
    if descending:
        return query.order_by(column.desc(), Participation.id.desc())
    return query.order_by(column.asc(), Participation.id.asc())


@lru_cache(maxsize=128)
def summary_query(
    shape: Shape, order_by: str, descending: bool, keyed: bool = False
) -> Select[*tuple[Any, ...]]:
    """One page of summaries; bind the filter values plus ``offset`` and ``limit``.

    ``keyed``: each row ends with its sort value (for the page's ``PageKey``)."""
    column = _order_column(order_by)
    extra = (column.label("sort_value"),) if keyed else ()
    query = select(*SUMMARY_COLUMNS, *extra).where(*_conditions(shape))
    return _ordered(query, column, descending).limit(bindparam("limit")).offset(bindparam("offset"))


@lru_cache(maxsize=64)
def key_query(shape: Shape, order_by: str, descending: bool) -> Select[*tuple[Any, ...]]:
    """The sort key (value, id) of the row ``offset`` rows into the order: a jump reads
    the keys it skips from the sort index alone (on PostgreSQL the index also holds the
    unit row-level security checks), then the page after the key."""
    column = _order_column(order_by)
    query = select(column.label("sort_value"), Participation.id).where(*_conditions(shape))
    return _ordered(query, column, descending).limit(1).offset(bindparam("offset"))


def segments(order_by: str, descending: bool, dialect: str) -> tuple[str, ...]:
    """The segments of a sort order in the order the back end's ORDER BY gives them."""
    if not Participation.__table__.c[_order_column(order_by).key].nullable:
        return (SEGMENT_ALL,)
    nulls_first = (dialect in NULLS_SORT_HIGH) == descending
    return (SEGMENT_NULLS, SEGMENT_VALUES) if nulls_first else (SEGMENT_VALUES, SEGMENT_NULLS)


def segment_of(order_by: str, value: object) -> str:
    """The segment a row with this sort value belongs to."""
    if not Participation.__table__.c[_order_column(order_by).key].nullable:
        return SEGMENT_ALL
    return SEGMENT_NULLS if value is None else SEGMENT_VALUES


# How a keyset query starts from a key (value, id) in the key's segment: the rows of the
# same value after the key's id, then the rows past the value. Two simple index ranges,
# not one row-value comparison: SQLite seeks such a comparison by its first column
# only, and read every row of a value the key shares (50,000 of one stage) to skip them.
SEEK_NONE = ""
SEEK_TIE = "tie"
SEEK_PAST = "past"


@lru_cache(maxsize=256)
def keyset_query(
    shape: Shape, order_by: str, descending: bool, segment: str, seek: str = SEEK_NONE
) -> Select[*tuple[Any, ...]]:
    """The first ``limit`` summaries of one segment, in (column, id) order (descending:
    the last first), each row ending with its sort value. ``SEEK_TIE``: only the rows
    with the value bound as ``key_value`` (NULL in the NULL segment) and an id after
    ``key_id``; ``SEEK_PAST``: only those with a value after ``key_value``."""
    column = _order_column(order_by)
    conditions = _conditions(shape)
    if segment == SEGMENT_NULLS:
        conditions.append(column.is_(None))
    elif segment == SEGMENT_VALUES:
        conditions.append(column.is_not(None))
    value = bindparam("key_value", type_=column.type)
    if seek == SEEK_TIE:
        key_id = bindparam("key_id", type_=Participation.id.type)
        if segment != SEGMENT_NULLS:
            conditions.append(column == value)
        conditions.append(Participation.id < key_id if descending else Participation.id > key_id)
    elif seek == SEEK_PAST:
        conditions.append(column < value if descending else column > value)
    query = select(*SUMMARY_COLUMNS, column.label("sort_value")).where(*conditions)
    return _ordered(query, column, descending).limit(bindparam("limit"))


@lru_cache(maxsize=32)
def count_query(shape: Shape) -> Select[int]:
    return select(func.count(Participation.id)).where(*_conditions(shape))


def summary(
    pid: int,
    person_id: str | None,
    fnr: str | None,
    fodselsar: int | None,
    stage: str,
    status: str,
    oppstartsdato: date | None,
    avslutningsdato: date | None,
    completeness: dict[str, Any] | None,
    changed_at: datetime,
    form_version: str,
    findings: list[dict[str, Any]] | None,
) -> ParticipationSummary:
    """The overview's dataclass from one row of ``SUMMARY_COLUMNS`` (already typed)."""
    return ParticipationSummary(
        id=pid,
        person_id=person_id,
        masked_fnr=mask(fnr),
        fodselsar=fodselsar,
        stage=stage,
        status=_STATUSES[status],
        oppstartsdato=oppstartsdato,
        avslutningsdato=avslutningsdato,
        completeness={int(k): bool(v) for k, v in (completeness or {}).items()},
        changed_at=changed_at,
        form_version=form_version,
        findings=tuple(findings or ()),
    )
