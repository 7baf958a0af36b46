"""The shared PostgreSQL database, against a real server with TLS on.

``jsdesk server init`` / ``add-user`` set it up; caseworkers of different Oslo bydeler
see, change and count only their own rows (checked with plain SQL, not through jsdesk);
the audit is append-only, chained and names the database login; a save over a newer
version is refused, not lost.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import GAMLE_OSLO, GRUNERLOKKA, PgServer
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm.exc import StaleDataError
from storage_helpers import FORM_VERSION, record

from jsdesk.cli import main
from jsdesk.errors import ExitCode, UserError
from jsdesk.storage import Database, queries
from jsdesk.storage.backend import server_error_message
from jsdesk.storage.errors import classify
from jsdesk.storage.server import add_user, remove_user


def _login(server: PgServer, owner_url: str, name: str, **kw: object) -> str:
    add_user(owner_url, None, name, new_password=f"pw-{name}-123", **kw)  # type: ignore[arg-type]
    return server.url(name, f"pw-{name}-123", _db_name(owner_url))


def _db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _plain(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def test_two_bydeler__neither_reads_changes_nor_counts_the_others_rows(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GRUNERLOKKA])
    with Database.connect(anna) as db:
        a_id = db.create_participation(record(1, bydel=GAMLE_OSLO), form_version=FORM_VERSION)
    with Database.connect(bror) as db:
        b_id = db.create_participation(record(2, bydel=GRUNERLOKKA), form_version=FORM_VERSION)
        assert db.count_participations() == 1

    with _plain(anna) as conn:
        assert conn.execute("SELECT count(*) FROM participations").fetchone() == (1,)
        assert conn.execute("SELECT id FROM participations").fetchall() == [(a_id,)]
        assert conn.execute(
            "SELECT count(*) FROM participations WHERE id = %s", (b_id,)
        ).fetchone() == (0,)
        changed = conn.execute(
            "UPDATE participations SET stage = 'x' WHERE id = %s", (b_id,)
        ).rowcount
        deleted = conn.execute("DELETE FROM participations WHERE id = %s", (b_id,)).rowcount
        assert (changed, deleted) == (0, 0)
        # Nor can a row be moved into (or made in) the other bydel.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                """UPDATE participations SET "values" = jsonb_set("values"::jsonb,"""
                """ '{bydel}', '"030102"')::json WHERE id = %s""",
                (a_id,),
            )
    with _plain(bror) as conn:
        assert conn.execute("SELECT id FROM participations").fetchall() == [(b_id,)]
        # The other's audit events (which hold values) are hidden too.
        pids = {r[0] for r in conn.execute("SELECT participation_id FROM audit_events")}
        assert a_id not in pids and b_id in pids
    with _plain(oslo_server) as conn:  # the owner sees both, unchanged
        rows = conn.execute("SELECT id, stage != 'x' FROM participations ORDER BY id").fetchall()
        assert rows == [(a_id, True), (b_id, True)]


def test_municipality_login__sees_every_bydel(pg_server: PgServer, oslo_server: str) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    leder = _login(pg_server, oslo_server, "leder", bydeler=[])
    with Database.connect(anna) as db:
        db.create_participation(record(1, bydel=GAMLE_OSLO), form_version=FORM_VERSION)
    with Database.connect(leder) as db:
        db.create_participation(record(2, bydel=GRUNERLOKKA), form_version=FORM_VERSION)
        assert db.count_participations() == 2


def test_audit__names_the_login__append_only__and_db_check_verifies(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GAMLE_OSLO])
    with Database.connect(anna) as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
    with Database.connect(bror) as db:
        db.set_value(pid, "kjonn", "2")
        report = db.check()
        assert report.ok, report
    with _plain(oslo_server) as conn:
        users = [r[0] for r in conn.execute("SELECT os_user FROM audit_events ORDER BY id")]
    assert users[-2:] == ["anna", "bror"]
    with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE audit_events SET action = 'x'")
    with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM audit_events")
    with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        # An event written under another login's name is refused.
        conn.execute(
            "INSERT INTO audit_events (at, os_user, action, value_digest, scrubbed, prev_hash,"
            " hash) VALUES (now(), 'bror', 'x', 'd', false, 'p', 'h')"
        )
    # Even the owner's own DELETE of an event is refused (the trigger).
    with _plain(oslo_server) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM audit_events")
    # A change made behind jsdesk's back (by the server's superuser, triggers off) is found.
    with _plain(oslo_server) as conn:
        conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard")
        conn.execute("UPDATE audit_events SET variable = 'x' WHERE action = 'endret'")
    with Database.connect(anna) as db:
        report = db.check()
    assert not report.ok and any("endret etter" in p for p in report.chain.problems)


def test_concurrent_save_over_a_newer_version__is_refused_not_lost(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GAMLE_OSLO])
    with Database.connect(anna) as a, Database.connect(bror) as b:
        pid = a.create_participation(record(1), form_version=FORM_VERSION)
        from jsdesk.storage.models import Participation

        with a.write() as session_a:
            row = session_a.get(Participation, pid)
            assert row is not None
            b.set_value(pid, "kjonn", "2")  # committed while anna's write is open
            row.values = {**row.values, "kjonn": "1"}
            row.record_version += 1
            with pytest.raises(StaleDataError):
                session_a.flush()
        assert b.get_participation(pid).values["kjonn"] == "2"


def test_plain_connection__refused_with_a_message(pg_server: PgServer, oslo_server: str) -> None:
    url = oslo_server.replace("sslmode=verify-full", "sslmode=disable")
    with pytest.raises(UserError) as caught:
        Database.connect(url)
    assert "kryptert forbindelse" in caught.value.message
    assert "pgeier:***@" in caught.value.message and "eier-passord" not in caught.value.message
    # The server refuses it too (hostnossl … reject), whatever the client asks.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url)


def test_wrong_password__a_message_not_a_trace(pg_server: PgServer, oslo_server: str) -> None:
    _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    with pytest.raises(UserError) as caught:
        Database.connect(pg_server.url("anna", "feil", _db_name(oslo_server)))
    assert "Innloggingen" in caught.value.message


def test_failures__classified_by_sqlstate_and_libpq__not_by_text(
    pg_server: PgServer, oslo_server: str
) -> None:
    """The shared database's failures, each made for real, named by code (one classifier
    for both back ends, ``storage.errors.classify``)."""
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    with _plain(anna) as conn, pytest.raises(psycopg.Error) as denied:
        conn.execute("DELETE FROM audit_events")
    assert denied.value.sqlstate == "42501" and classify(denied.value) == "denied"
    with pytest.raises(psycopg.OperationalError) as login:
        _plain(pg_server.url("anna", "feil", _db_name(oslo_server)))
    assert classify(login.value) == "login"
    closed = pg_server.url("anna", "pw-anna-123", _db_name(oslo_server)).replace(
        f":{pg_server.port}/", f":{_closed_port()}/"
    )
    with pytest.raises(psycopg.OperationalError) as unreachable:
        _plain(closed)
    assert classify(unreachable.value) == "unreachable"


def test_deadlock_and_lock_wait__classified_as_conflict__a_message_to_retry(
    pg_server: PgServer, oslo_server: str
) -> None:
    """Two writers that wait for each other, and a lock wait that runs out, made for real:
    both are the 'conflict' of the classifier (SQLSTATE 40P01 and 55P03), so jsdesk says in
    Bokmål that nothing was changed and to try again, instead of a trace."""
    with _plain(oslo_server) as conn:
        conn.execute("CREATE TABLE laas (id int PRIMARY KEY)")
        conn.execute("INSERT INTO laas VALUES (1), (2)")
    with _plain(oslo_server) as first, _plain(oslo_server) as second:
        first.execute("UPDATE laas SET id = id WHERE id = 1")
        second.execute("UPDATE laas SET id = id WHERE id = 2")
        caught: list[BaseException] = []

        def first_waits() -> None:
            try:
                first.execute("UPDATE laas SET id = id WHERE id = 2")
            except psycopg.Error as exc:
                caught.append(exc)
            first.rollback()

        waiting = threading.Thread(target=first_waits)
        waiting.start()
        time.sleep(0.3)
        try:
            second.execute("UPDATE laas SET id = id WHERE id = 1")
        except psycopg.Error as exc:
            caught.append(exc)
        second.rollback()
        waiting.join()
    (deadlock,) = caught  # the server chose one of the two
    assert getattr(deadlock, "sqlstate", None) == "40P01" and classify(deadlock) == "conflict"
    with _plain(oslo_server) as holder, _plain(oslo_server) as waiter:
        holder.execute("UPDATE laas SET id = id WHERE id = 1")
        waiter.execute("SET lock_timeout = '50ms'")
        with pytest.raises(psycopg.Error) as timed_out:
            waiter.execute("UPDATE laas SET id = id WHERE id = 1")
    assert timed_out.value.sqlstate == "55P03" and classify(timed_out.value) == "conflict"
    message = server_error_message(classify(timed_out.value), oslo_server)
    assert message is not None and "prøv igjen" in message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def test_backups_and_damage__the_servers_job__said_by_the_back_end(
    pg_server: PgServer, oslo_server: str, tmp_path: Path
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    with Database.connect(anna) as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        assert db.ensure_daily_backup() is None
        with pytest.raises(UserError) as caught:
            db.backup(tmp_path / "kopi.db")
        assert "pg_dump" in caught.value.message and "anna:***" not in caught.value.message
        assert not (tmp_path / "kopi.db").exists()
        db.delete_participation(pid, reason="Registrert ved en feil")
        report = db.check()
        assert report.ok and "IT" in report.advice


def test_submitted__only_by_submitters(pg_server: PgServer, oslo_server: str) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    sjef = _login(pg_server, oslo_server, "sjef", bydeler=[GAMLE_OSLO], submitter=True)
    with Database.connect(anna) as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        with pytest.raises(UserError):
            db.record_submission(
                "s1", file_name="a.asice", record_count=1, test=True, records={pid: 1}
            )
    with Database.connect(sjef) as db:
        db.record_submission("s1", file_name="a.asice", record_count=1, test=True, records={pid: 1})
        assert db.get_participation(pid).submitted_version == 1


def test_one_time_password__must_be_changed(pg_server: PgServer, oslo_server: str) -> None:
    onetime = add_user(oslo_server, None, "nyansatt", bydeler=[GAMLE_OSLO])
    assert onetime
    db_name = _db_name(oslo_server)
    with Database.connect(pg_server.url("nyansatt", onetime, db_name)) as db:
        assert db.must_change_password
        db.change_login_password("mitt eget gode passord")
        assert not db.must_change_password
    with pytest.raises(UserError):
        Database.connect(pg_server.url("nyansatt", onetime, db_name))
    with Database.connect(pg_server.url("nyansatt", "mitt eget gode passord", db_name)) as db:
        assert not db.must_change_password
    remove_user(oslo_server, None, "nyansatt")
    with pytest.raises(UserError):
        Database.connect(pg_server.url("nyansatt", "mitt eget gode passord", db_name))


def test_overview_page__units_asked_once_per_query__sort_index_serves_the_order(
    pg_server: PgServer, oslo_server: str
) -> None:
    """The overview's newest-first page as a bydel's login: the row-level security policy
    asks for the login's units once (InitPlans), not once per row, and the index on
    (changed_at, id) gives the whole order, so only the page's rows are read."""
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    with Database.connect(anna) as db:
        db.import_records([record(n) for n in range(1, 40)], form_version=FORM_VERSION)
        assert len(db.query_participations(limit=10)) == 10
    shape, params = queries.filters(None, None, None, None)
    compiled = queries.summary_query(shape, "changed_at", True).compile(
        dialect=postgresql_psycopg.dialect()
    )
    values = {**compiled.params, **params, "offset": 0, "limit": 10}
    with _plain(anna) as conn:
        conn.execute("SET enable_seqscan = off")  # a test-sized table would be read whole
        plan = "\n".join(str(row[0]) for row in conn.execute(f"EXPLAIN ANALYZE {compiled}", values))
    assert "jsdesk_may_see" not in plan
    assert "InitPlan" in plan
    assert "ix_participations_changed_at_id" in plan and "Sort" not in plan
    (scan,) = [line for line in plan.splitlines() if "Index Scan" in line]
    assert "actual" in scan and "rows=10 loops=1" in scan  # it stopped at the page


def test_cli__caseworker_refused_by_row_level_security__exit_1_says_why(
    pg_server: PgServer,
    oslo_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    theirs = tmp_path / "grunerlokka.json"
    theirs.write_text(json.dumps([record(1, bydel=GRUNERLOKKA)]), encoding="utf-8")
    monkeypatch.setenv("JSDESK_DB", anna)
    monkeypatch.setenv("JSDESK_PASSPHRASE", "pw-anna-123")
    # The refusal is the request's, not the disk's: 1 ("refused"), not 5 (disk or I/O).
    assert main(["records", "import", str(theirs)]) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert "Du har ikke tilgang til dette" in err and "Ingenting er endret" in err, err
    assert "Traceback" not in err
    with Database.connect(oslo_server) as owner:
        assert owner.count_participations() == 0
