"""The hash-chained audit trail: what it records and that tampering is detected.

What is recorded is checked on both back ends; tampering here edits the local file with
a SQL tool (``sqlite_only``; the shared database's grants and triggers are tested in
test_server_postgres)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3
from pg_support import CASEWORKER
from sqlalchemy import select, text
from storage_helpers import (
    FORM_VERSION,
    PASSPHRASE,
    Installation,
    db_key,
    new_db,
    raw_execute,
    record,
)

from jsdesk.cli import main
from jsdesk.storage import Database, audit
from jsdesk.storage.models import AuditEvent


def _filled(tmp_path: Path) -> Path:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        for year in (2015, 2016, 2017):
            db.set_value(pid, "ankomstar", year)
        assert db.verify_audit().ok
    return db.path


def test_audit__each_change__event_with_old_new_user_time(installation: Installation) -> None:
    with installation.create() as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        for year in (2015, 2016, 2017):
            db.set_value(pid, "ankomstar", year)
    with installation.reopen() as db, db.read() as session:
        assert db.verify_audit().ok
        rows = session.execute(
            text(
                "SELECT action, variable, old_value, new_value, os_user, at FROM audit_events "
                "WHERE variable = 'ankomstar' ORDER BY id"
            )
        ).all()
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("endret", None, "2015"),
        ("endret", "2015", "2016"),
        ("endret", "2016", "2017"),
    ]
    assert all(r[4] and r[5] for r in rows)
    if installation.backend == "postgresql":
        assert {r[4] for r in rows} == {CASEWORKER}  # the database login, not the OS user


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_events SET new_value = '1999' WHERE id = 4", "Hendelse 4: verdiene"),
        ("UPDATE audit_events SET os_user = 'noen andre' WHERE id = 3", "Hendelse 3: innholdet"),
        ("DELETE FROM audit_events WHERE id = 2", "Hendelse 2 mangler"),
        ("UPDATE audit_events SET at = '2020-01-01 00:00:00.000000' WHERE id = 5", "Hendelse 5"),
        ("DELETE FROM audit_events WHERE id >= 5", "Hendelse 5–"),
    ],
)
def test_audit__row_edited_or_deleted__chain_check_names_the_event(
    tmp_path: Path, tamper: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _filled(tmp_path)
    with Database.open(path, PASSPHRASE) as db:
        key = db.key
    # A determined editor first removes the database's own append-only guard.
    raw_execute(path, key, "DROP TRIGGER audit_events_no_delete")
    raw_execute(path, key, "DROP TRIGGER audit_events_scrub_only")
    raw_execute(path, key, tamper)
    with Database.open(path, PASSPHRASE) as db:
        report = db.verify_audit()
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
        assert main(["db", "check", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Revisjonslogg: FEIL" in out and expected in out


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_events WHERE id = 2",
        "UPDATE audit_events SET new_value = '1999' WHERE id = 4",
        "UPDATE audit_events SET hash = 'x' WHERE id = 3",
    ],
)
def test_audit__edit_with_sql_tool__refused_by_the_database(tmp_path: Path, statement: str) -> None:
    path = _filled(tmp_path)
    with Database.open(path, PASSPHRASE) as db:
        key = db.key
    with pytest.raises(sqlcipher3.IntegrityError, match="audit_events"):
        raw_execute(path, key, statement)
    with Database.open(path, PASSPHRASE) as db:
        assert db.verify_audit().ok


# --- each defence on its own: a forger who gets past the others --------------------------


def _events(path: Path) -> list[AuditEvent]:
    with Database.open(path, PASSPHRASE, daily_backup=False) as db, db.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _hash_of(event: AuditEvent, prev_hash: str, user: str, digest: str) -> str:
    return audit.event_hash(
        prev_hash,
        event.id,
        event.at,
        user,
        event.action,
        event.participation_id,
        event.variable,
        digest,
    )


def _unguarded(path: Path) -> bytes:
    key = db_key(path)
    raw_execute(path, key, "DROP TRIGGER audit_events_no_delete")
    raw_execute(path, key, "DROP TRIGGER audit_events_scrub_only")
    return key


@pytest.mark.sqlite_only
def test_audit__edited_event_with_its_own_hash_recomputed__next_event_link_breaks(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path)
    events = _events(path)
    key = _unguarded(path)
    third = events[2]
    forged = _hash_of(third, third.prev_hash, "noen andre", third.value_digest)
    raw_execute(
        path,
        key,
        "UPDATE audit_events SET os_user = ?, hash = ? WHERE id = 3",
        ("noen andre", forged),
    )
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        report = db.verify_audit()
    # Event 3 verifies on its own now; only event 4's link to it shows the edit.
    assert report.problems == ("Hendelse 4: kjeden er brutt (forrige hash stemmer ikke).",)


@pytest.mark.sqlite_only
def test_audit__value_and_its_digest_replaced__event_hash_shows_it(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    fourth = _events(path)[3]
    key = _unguarded(path)
    new_digest = audit.value_digest(fourth.salt, fourth.old_value, "1999")
    raw_execute(
        path,
        key,
        "UPDATE audit_events SET new_value = '1999', value_digest = ? WHERE id = 4",
        (new_digest,),
    )
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        report = db.verify_audit()
    assert report.problems == ("Hendelse 4: innholdet er endret etter at det ble logget.",)


@pytest.mark.sqlite_only
def test_audit__whole_history_rewritten_consistently__only_the_anchor_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path)
    events = _events(path)
    key = _unguarded(path)
    prev = audit.GENESIS
    for event in events:  # same length, different values, every hash recomputed
        new_value = '"forfalsket"' if event.variable == "ankomstar" else event.new_value
        digest = audit.value_digest(event.salt, event.old_value, new_value)
        forged = _hash_of(event, prev, event.os_user, digest)
        raw_execute(
            path,
            key,
            "UPDATE audit_events SET new_value = ?, value_digest = ?, prev_hash = ?, hash = ? "
            "WHERE id = ?",
            (new_value, digest, prev, forged, event.id),
        )
        prev = forged
    last = len(events)
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        with db.read() as session:
            assert audit.verify(session).ok  # the chain alone cannot tell
        report = db.verify_audit()
    assert report.problems == (
        f"Hendelse {last}: stemmer ikke med det jsdesk lagret da databasen sist ble lukket.",
    )
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    assert main(["db", "check", "--db", str(path)]) == 1
    assert "Revisjonslogg: FEIL" in capsys.readouterr().out


def test_audit__update_package_installed__event_names_package_version_and_date(
    installation: Installation,
) -> None:
    with installation.create() as db:
        db.record_package_installed("jobbsjansen-skjema", "2027.1", date(2027, 1, 1))
        with db.read() as session:
            rows = session.execute(
                text("SELECT action, new_value FROM audit_events ORDER BY id DESC LIMIT 1")
            ).all()
        assert db.verify_audit().ok
    [(action, new_value)] = rows
    assert action == "oppdateringspakke installert"
    assert json.loads(new_value) == {
        "pakke": "jobbsjansen-skjema",
        "versjon": "2027.1",
        "gyldig_fra": "2027-01-01",
    }
