"""The audit chain on the shared PostgreSQL database, as a caseworker's jsdesk sees it.

There a caseworker's login may not touch ``audit_events`` itself: a deletion's scrub
goes through the owner's function, and ``db check`` reads the chain without values
(ids come from a sequence and may leave gaps) and then the values the login may read.
These run in the audit package's mutation selection (``scripts/mutation.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import PgServer
from storage_helpers import FORM_VERSION, record

from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server

PASSWORD = "kari sitt passord"


@pytest.fixture
def owner(pg_url: str) -> str:
    init_server(pg_url, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
    add_user(pg_url, None, "kari", bydeler=["030101"], new_password=PASSWORD)
    return pg_url


@pytest.fixture
def kari(pg_server: PgServer, owner: str) -> Iterator[Database]:
    with Database.connect(pg_server.url("kari", PASSWORD, urlsplit(owner).path[1:])) as db:
        yield db


def _owner_sql(owner: str, statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def test_delete__values_scrubbed_by_the_owners_function__chain_still_holds(
    owner: str, kari: Database
) -> None:
    kept = kari.create_participation(record(1), form_version=FORM_VERSION)
    gone = kari.create_participation(record(2), form_version=FORM_VERSION)
    kari.set_value(gone, "kjonn", "2")
    kari.delete_participation(gone, reason="registrert ved en feil")
    report = kari.check()
    assert report.ok, report.chain.problems
    rows = _owner_sql(
        owner,
        "SELECT participation_id, action, scrubbed, old_value IS NULL AND new_value IS NULL"
        " FROM audit_events WHERE participation_id IS NOT NULL ORDER BY id",
    )
    about_gone = [row for row in rows if row[0] == gone and row[1] != "slettet"]
    assert about_gone and all(row[2] is True and row[3] is True for row in about_gone)
    assert all(row[2] is False for row in rows if row[0] == kept)
    assert report.chain.scrubbed == len(about_gone)


def test_check__a_gap_in_the_event_ids__is_no_problem_there(owner: str, kari: Database) -> None:
    kari.create_participation(record(1), form_version=FORM_VERSION)
    # What a rolled-back write leaves: a sequence number no event got.
    _owner_sql(owner, "SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))")
    kari.create_participation(record(2), form_version=FORM_VERSION)
    ids = [row[0] for row in _owner_sql(owner, "SELECT id FROM audit_events ORDER BY id")]
    assert ids[-1] - ids[-2] == 2
    report = kari.check()
    assert report.ok, report.chain.problems
    assert report.chain.events == len(ids)


def test_check__a_value_changed_behind_jsdesks_back__named(owner: str, kari: Database) -> None:
    pid = kari.create_participation(record(1), form_version=FORM_VERSION)
    kari.set_value(pid, "kjonn", "2")
    changed = _owner_sql(
        owner, "SELECT id FROM audit_events WHERE variable = 'kjonn' ORDER BY id DESC LIMIT 1"
    )[0][0]
    _owner_sql(owner, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard")
    _owner_sql(owner, f"UPDATE audit_events SET new_value = '\"1\"' WHERE id = {changed}")
    report = kari.check()
    assert report.chain.problems == (
        f"Hendelse {changed}: verdiene er endret etter at de ble logget.",
    )
