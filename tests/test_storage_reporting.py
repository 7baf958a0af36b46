"""Storage's report queries read the report indexes (the speed of `benchmarks/report.py`).

The query plans are SQLite's (``sqlite_only``); what the queries return is checked on
both back ends, and the shared database's speed by `benchmarks/report.py --db URL`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Integer, select
from sqlalchemy.dialects import sqlite
from storage_helpers import new_db, record

from jsdesk.reports.results import CODED, INTRO_ENDED
from jsdesk.storage import Database
from jsdesk.storage.models import REPORT_INDEX_VALUES, Participation
from jsdesk.storage.reporting import _in_period, _value


def test_report_index__holds_every_value_the_results_read() -> None:
    assert set(CODED) | {INTRO_ENDED, "bydel"} <= set(REPORT_INDEX_VALUES)


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_report_rows__query_plan__covering_index_only(tmp_path: Path) -> None:
    db, _key = new_db(tmp_path)
    with db:
        db.create_participation(record(1, hovedarsak_avslutning=1), form_version="2023.1")
        query = select(
            Participation.id,
            Participation.oppstartsdato,
            *(_value(name, Integer) for name in CODED),
        ).where(*_in_period(date(2025, 1, 1), date(2025, 12, 31), "030101"))
        compiled = query.compile(dialect=sqlite.dialect())
        params = tuple(
            value.isoformat() if isinstance(value, date) else value
            for value in (compiled.params[name] for name in compiled.positiontup or ())
        )
        with db.read_connection() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
        assert "COVERING INDEX ix_participations_report" in str(plan)
        rows = db.report_rows(
            first=date(2024, 1, 1), last=date(2024, 12, 31), integers=["hovedarsak_avslutning"]
        )
        assert [row.values for row in rows] == [{"hovedarsak_avslutning": 1}]


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_findings_rows__query_plan__partial_index(tmp_path: Path) -> None:
    db, _key = new_db(tmp_path)
    with db:
        db.create_participation(record(1), form_version="2023.1")
        with db.read_connection() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM participations "
                "WHERE participations.findings != '[]'"
            ).all()
        assert "ix_participations_with_findings" in str(plan)
        assert len(db.findings_rows()) == 1  # the record misses required values


def test_report_and_findings_rows__values_and_problems_read_back(any_db: Database) -> None:
    ended = any_db.create_participation(
        record(1, hovedarsak_avslutning=1, bydel="030101"), form_version="2023.1"
    )
    rows = any_db.report_rows(
        first=date(2024, 1, 1), last=date(2024, 12, 31), integers=["hovedarsak_avslutning"]
    )
    assert [(row.values, row.oppstartsdato) for row in rows] == [
        ({"hovedarsak_avslutning": 1}, date(2024, 3, 1))
    ]
    assert not any_db.report_rows(
        first=date(2023, 1, 1), last=date(2023, 12, 31), integers=["hovedarsak_avslutning"]
    )
    (problems,) = any_db.findings_rows()  # the record misses required values
    assert (problems.id, problems.stage) == (ended, "avsluttet")
    assert {f["code"] for f in problems.findings} == {"REQUIRED"}
