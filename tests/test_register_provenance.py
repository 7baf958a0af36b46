"""A registry import's provenance: a table of its own (migration 0010), not ``settings``.

Where a participation's register values came from is the participation's: on a shared
database a caseworker's import stores it (``settings`` is IT's alone), row-level
security hides it from other bydeler, and it goes with its participation. Migration
0010 moves what ``settings`` held, on both back ends.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from alembic import command
from pg_support import GAMLE_OSLO, GRUNERLOKKA, PgServer
from registry_support import FREG_HEADER, write_csv
from sqlalchemy import text
from storage_helpers import (
    FORM_VERSION,
    PASSPHRASE,
    db_key,
    fnr,
    new_db,
    raw_execute,
    raw_rows,
    record,
    rewind,
)
from test_server_postgres import _login, _plain

from jsdesk.registry import import_extract, provenance
from jsdesk.storage import Database, schema
from jsdesk.storage.backend import make_server_engine
from jsdesk.storage.server import init_server

TODAY = date.today().isoformat()


def _freg(tmp_path: Path, *numbers: str) -> Path:
    return write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2015, "") for n in numbers]
    )


def test_import__provenance_stored_read_back_and_gone_with_the_participation(
    any_db: Database, tmp_path: Path
) -> None:
    first = any_db.create_participation(record(1), form_version=FORM_VERSION)
    second = any_db.create_participation(record(2), form_version=FORM_VERSION)
    report = import_extract(any_db, _freg(tmp_path, fnr(1), fnr(2)))
    assert report.outcome is not None and report.outcome.participations == 2
    facts = {"kilde": "FREG", "fil": "freg.csv", "importert": TODAY}
    assert provenance(any_db, first) == {
        "fodeland": facts,
        "sivilstand": facts,
        "ankomstar": facts,
    }
    (entry,) = any_db.register_imports()
    assert (entry["kilde"], entry["fil"], entry["rader"]) == ("FREG", "freg.csv", 2)
    assert entry["innlogging"]  # who imported: the database login, or this computer's user
    # Nothing about the import in the installation's settings any more.
    with any_db.read() as session:
        keys = session.execute(text("SELECT key FROM settings")).scalars().all()
    assert not [k for k in keys if k.startswith("registerkilde") or k == "registerimporter"]

    any_db.delete_participation(first, reason="registrert ved en feil")
    assert provenance(any_db, first) == {}
    assert provenance(any_db, second)["fodeland"] == facts
    with any_db.read() as session:
        rows = session.execute(text("SELECT participation_id FROM register_provenance")).scalars()
        assert set(rows) == {second}


def test_import__many_participations__one_chain_each_value_audited_older_provenance_kept(
    any_db: Database, tmp_path: Path
) -> None:
    # The import writes its participations together (rows read, provenance replaced and
    # audit events appended for all at once): every value still gets its event in a
    # chain that verifies, and a variable this file does not set keeps its older source.
    pids = [any_db.create_participation(record(n), form_version=FORM_VERSION) for n in range(4)]
    first = import_extract(
        any_db, write_csv(tmp_path / "eldre.csv", FREG_HEADER, [(fnr(0), "", "", 2015, "")])
    )
    assert first.outcome is not None and first.outcome.values_set == 1
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(fnr(0), "SOM", "gift", "", ""), *[(fnr(n), "SYR", "", 2016, "") for n in (1, 2, 3)]],
    )
    report = import_extract(any_db, path)
    assert report.outcome is not None and report.outcome.participations == 4
    facts = {"kilde": "FREG", "fil": "freg.csv", "importert": TODAY}
    older = {**facts, "fil": "eldre.csv"}
    assert provenance(any_db, pids[0]) == {
        "ankomstar": older,
        "fodeland": facts,
        "sivilstand": facts,
    }
    for pid in pids[1:]:
        assert provenance(any_db, pid) == {"fodeland": facts, "ankomstar": facts}
        assert any_db.get_participation(pid).values["fodeland"] == "SYR"
    with any_db.read() as session:
        changed = session.execute(
            text(
                "SELECT participation_id, variable FROM audit_events WHERE action = 'endret' "
                "ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in changed] == [
        (pids[0], "ankomstar"),
        (pids[0], "fodeland"),
        (pids[0], "sivilstand"),
        *[(pid, name) for pid in pids[1:] for name in ("fodeland", "ankomstar")],
    ]
    assert any_db.verify_audit().ok


def test_shared__caseworker_imports__provenance_stored_and_hidden_from_another_bydel(
    pg_server: PgServer, oslo_server: str, tmp_path: Path
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GRUNERLOKKA])
    with Database.connect(anna) as db:
        pid = db.create_participation(record(1, bydel=GAMLE_OSLO), form_version=FORM_VERSION)
        report = import_extract(db, _freg(tmp_path, fnr(1)))
        assert report.outcome is not None and report.outcome.participations == 1
        assert provenance(db, pid)["sivilstand"] == {
            "kilde": "FREG",
            "fil": "freg.csv",
            "importert": TODAY,
        }
        assert [e["innlogging"] for e in db.register_imports()] == ["anna"]
    with Database.connect(bror) as db:
        assert provenance(db, pid) == {}
        assert db.register_imports() == []
    # Plain SQL as bror: neither read, count, change nor add anna's.
    with _plain(bror) as conn:
        assert conn.execute("SELECT count(*) FROM register_provenance").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM register_imports").fetchone() == (0,)
        assert conn.execute("UPDATE register_provenance SET source = 'PAD'").rowcount == 0
        assert conn.execute("DELETE FROM register_provenance").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO register_provenance VALUES (%s, 'fodeland', 'PAD', 'x.csv', "
                "current_date)",
                (pid,),
            )
    with _plain(bror) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO register_imports (imported_at, login, details) "
            "VALUES (now(), 'anna', '{}')"
        )
    with _plain(oslo_server) as conn:
        assert conn.execute("SELECT count(*) FROM register_provenance").fetchone() == (3,)


def _old_rows(pid: int) -> list[tuple[str, str]]:
    """What jsdesk up to migration 0009 stored in ``settings`` for one import (and the
    provenance of a participation deleted since)."""
    facts = {"kilde": "FREG", "fil": "freg.csv", "importert": "2026-11-30"}
    entry = {**facts, "rader": 1, "feilrader": 0}
    return [
        (f"registerkilde:{pid}", json.dumps({"fodeland": facts, "sivilstand": facts})),
        ("registerkilde:99999", json.dumps({"fodeland": facts})),
        ("registerimporter", json.dumps([entry])),
    ]


def _moved(db: Database, pid: int) -> None:
    facts = {"kilde": "FREG", "fil": "freg.csv", "importert": "2026-11-30"}
    assert provenance(db, pid) == {"fodeland": facts, "sivilstand": facts}
    with db.read() as session:
        keys = session.execute(text("SELECT key FROM settings")).scalars().all()
        orphans = session.execute(
            text("SELECT count(*) FROM register_provenance WHERE participation_id = 99999")
        ).scalar_one()
        (details,) = session.execute(text("SELECT details FROM register_imports")).scalars()
    assert not [k for k in keys if k.startswith("registerkilde") or k == "registerimporter"]
    assert orphans == 0
    details = json.loads(details) if isinstance(details, str) else details
    assert (details["fil"], details["rader"]) == ("freg.csv", 1)


def test_migration_0010__local_file__settings_rows_moved(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
    path, key = db.path, db_key(db.path)
    # Back to what jsdesk 0009 stored.
    rewind(path, key, "0009")
    for name, value in _old_rows(pid):
        raw_execute(
            path,
            key,
            "INSERT INTO settings (key, value, changed_at) VALUES (?, ?, '2026-11-30 10:00:00')",
            (name, value),
        )
    with Database.open(path, PASSPHRASE) as migrated:
        _moved(migrated, pid)
        assert migrated.check().ok
    assert raw_rows(path, key, "SELECT version_num FROM alembic_version") == [
        (schema.HEAD_REVISION,)
    ]


def test_migration_0010__shared_database__moved_down_and_up_again(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    with Database.connect(anna) as db:
        pid = db.create_participation(record(1, bydel=GAMLE_OSLO), form_version=FORM_VERSION)
    engine = make_server_engine(oslo_server, None)
    try:
        with engine.connect() as conn:
            command.downgrade(schema.alembic_config(conn), "0009")
            conn.commit()
    finally:
        engine.dispose()
    with _plain(oslo_server) as plain:
        for name, value in _old_rows(pid):
            plain.execute(
                "INSERT INTO settings (key, value, changed_at) VALUES (%s, %s, now())",
                (name, value),
            )
    # IT upgrades with ``server init`` (migrations and grants).
    init_server(oslo_server, None, kommunenummer="0301", bydeler=[GAMLE_OSLO, GRUNERLOKKA])
    with Database.connect(oslo_server) as owner:
        _moved(owner, pid)
    with Database.connect(anna) as db:
        assert provenance(db, pid)["fodeland"]["fil"] == "freg.csv"
        assert db.register_imports() == []  # the moved history names no login: IT's to read
