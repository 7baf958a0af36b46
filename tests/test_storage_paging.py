"""The overview's keyset paging: page after page by the last row's key gives every
participation once, in the order of the one query over the whole list (ties on the sort
value, missing values, filters), and a participation saved while paging neither repeats
nor hides another. On both back ends (the ``installation`` fixture); the query plans
on the local file (SQLite's plans are the same whatever the data)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from storage_helpers import FORM_VERSION, Installation, new_db, record

from jsdesk.storage import Database, PageKey, SummaryPage, queries

# Every sort key the overview offers (its sortable columns).
ORDERS = ("changed_at", "fnr", "fodselsar", "oppstartsdato", "avslutningsdato", "stage", "status")
FILTERS: tuple[dict[str, Any], ...] = ({}, {"year": 2024}, {"search": "01"})
STEP = 4


@pytest.fixture
def filled(installation: Installation) -> Any:
    """40 participations: 24 from one import (the same ``changed_at``), some without a
    fødselsnummer (no fødselsnummer, no fødselsår) or a start date, some ended, two
    stages, several statuses."""
    with installation.create() as db:
        batch = []
        for n in range(24):
            extra: dict[str, object] = {"oppstartsdato": f"202{3 + n % 3}-0{1 + n % 4}-1{n % 3}"}
            if n % 5 == 0:
                extra["avslutningsdato"] = "2025-06-30"
            values = record(n, **extra)
            if n % 7 == 3:
                values.pop("oppstartsdato")
            if n % 6 == 1:
                values.pop("fodselsnummer")
            batch.append(values)
        db.import_records(batch, form_version=FORM_VERSION)
        for n in range(24, 40):
            pid = db.create_participation(
                record(n, oppstartsdato=f"2024-0{1 + n % 3}-01"), form_version=FORM_VERSION
            )
            if n % 4 == 0:
                db.set_value(pid, "avslutningsdato", "2024-12-31")
        yield db


def walk_forward(db: Database, **query: Any) -> list[int]:
    page = db.overview_page(limit=STEP, **query)
    seen = [s.id for s in page.rows]
    while page.last is not None:
        page = db.overview_page(after=page.last, limit=STEP, **query)
        seen += [s.id for s in page.rows]
    return seen


def walk_backward(db: Database, **query: Any) -> list[int]:
    page = db.overview_page(from_end=True, limit=STEP, **query)
    seen = [s.id for s in page.rows]
    while page.first is not None:
        page = db.overview_page(before=page.first, limit=STEP, **query)
        seen = [s.id for s in page.rows] + seen
    return seen


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("order_by", ORDERS)
def test_keyset_pages__every_order_and_filter__same_rows_as_one_query(
    filled: Database, order_by: str, descending: bool
) -> None:
    everyone = filled.query_participations(order_by=order_by, descending=descending, limit=1000)
    column = {"changed_at": "changed_at", "stage": "stage", "status": "status"}.get(order_by)
    if column is not None:  # the ties the key's id must order
        assert len({getattr(s, column) for s in everyone}) < len(everyone)
    for filters in FILTERS:
        query = {"order_by": order_by, "descending": descending, **filters}
        expected = [s.id for s in filled.query_participations(limit=1000, **query)]
        assert expected, filters
        assert walk_forward(filled, **query) == expected, filters
        assert walk_backward(filled, **query) == expected, filters
    # A jump (no page beside it read): from the start and from the end.
    expected = [s.id for s in everyone]
    for skip in (1, 5, len(expected) - 3, len(expected)):
        query = {"order_by": order_by, "descending": descending, "limit": STEP}
        jumped = filled.overview_page(offset=skip, **query)
        assert [s.id for s in jumped.rows] == expected[skip : skip + STEP], skip
        from_end = filled.overview_page(offset=skip, from_end=True, **query)
        end = len(expected) - skip
        assert [s.id for s in from_end.rows] == expected[max(end - STEP, 0) : end], skip
    # The pages are the same summaries as the one query's, not only the same ids.
    first = filled.overview_page(order_by=order_by, descending=descending, limit=STEP)
    following = filled.overview_page(
        order_by=order_by, descending=descending, after=first.last, limit=STEP
    )
    assert list(first.rows + following.rows) == everyone[: 2 * STEP]


def test_keyset_pages__missing_values__placed_as_the_one_query_places_them(
    filled: Database,
) -> None:
    rows = filled.query_participations(order_by="oppstartsdato", descending=False, limit=1000)
    missing = [s.id for s in rows if s.oppstartsdato is None]
    assert 0 < len(missing) < len(rows)
    for descending in (False, True):
        query = {"order_by": "oppstartsdato", "descending": descending}
        expected = [s.id for s in filled.query_participations(limit=1000, **query)]
        # A page that starts among the missing values and one that crosses into them.
        for start in range(len(expected) - STEP):
            key_row = filled.overview_page(offset=start, limit=1, **query)
            assert key_row.last is not None
            page = filled.overview_page(after=key_row.last, limit=STEP, **query)
            assert [s.id for s in page.rows] == expected[start + 1 : start + 1 + STEP]


def test_keyset_pages__saved_while_paging__nothing_repeated_or_hidden(
    filled: Database,
) -> None:
    before = [s.id for s in filled.query_participations(limit=1000)]
    page = filled.overview_page(limit=STEP)
    seen = [s.id for s in page.rows]
    page = filled.overview_page(after=page.last, limit=STEP)
    seen += [s.id for s in page.rows]
    # Meanwhile another caseworker adds a participation and edits one further down:
    # both move to the top, ahead of the pages already read.
    edited = before[-3]
    filled.set_value(edited, "ankomstar", 2016)
    added = filled.create_participation(record(77), form_version=FORM_VERSION)
    assert [s.id for s in filled.overview_page(limit=2).rows] == [added, edited]
    while page.last is not None:
        page = filled.overview_page(after=page.last, limit=STEP)
        seen += [s.id for s in page.rows]
    assert len(seen) == len(set(seen))
    assert seen == [pid for pid in before if pid != edited]
    # OFFSET, as the overview read before, repeats a row when one moves ahead of it.
    old_way = [s.id for s in filled.query_participations(offset=2 * STEP, limit=1)]
    assert old_way == [before[2 * STEP - 2]]


def test_keyset_pages__empty_and_one_key__no_rows_no_keys(filled: Database) -> None:
    empty = filled.overview_page(search="ingen slik person")
    assert empty == SummaryPage((), None, None)
    last = filled.overview_page(from_end=True, limit=1)
    assert last.first == last.last and last.last is not None
    assert filled.overview_page(after=last.last).rows == ()
    assert "12345678901" not in repr(PageKey("12345678901", 1))


@pytest.mark.sqlite_only
def test_keyset_queries__query_plan__seek_in_the_sort_index_no_sorting(tmp_path: Path) -> None:
    """Each step of a keyset page reads its sort order's (column, id) index from the key on,
    and nothing is sorted: a deep page costs what the first does (benchmarks/storage.py)."""
    db, _key = new_db(tmp_path)
    with db, db.read_connection() as conn:
        for order_by in ORDERS:
            for descending in (False, True):
                for segment in queries.segments(order_by, descending, "sqlite"):
                    for seek in (queries.SEEK_TIE, queries.SEEK_PAST, queries.SEEK_NONE):
                        query = queries.keyset_query(
                            queries.Shape(), order_by, descending, segment, seek
                        )
                        compiled = query.compile(dialect=sqlite.dialect())
                        params = tuple(1 for _name in compiled.positiontup or ())
                        plan = str(
                            conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
                        )
                        where = (order_by, descending, segment, seek)
                        index = re.search(r"USING INDEX (\w+)", plan)
                        assert index and index[1] == f"ix_participations_{order_by}_id", where
                        assert "TEMP B-TREE" not in plan, where
                        if seek != queries.SEEK_NONE or segment == queries.SEGMENT_NULLS:
                            assert "SEARCH" in plan, where
