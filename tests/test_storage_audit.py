"""The hash-chained audit trail: what it records and that tampering is detected."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3
from storage_helpers import FORM_VERSION, PASSPHRASE, new_db, raw_execute, raw_rows, record

from jsdesk.cli import main
from jsdesk.storage import Database


def _filled(tmp_path: Path) -> Path:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        for year in (2015, 2016, 2017):
            db.set_value(pid, "ankomstar", year)
        assert db.verify_audit().ok
    return db.path


def test_audit__each_change__event_with_old_new_user_time(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    with Database.open(path, PASSPHRASE) as db:
        rows = raw_rows(
            path,
            db.key,
            "SELECT action, variable, old_value, new_value, os_user, at FROM audit_events "
            "WHERE variable = 'ankomstar' ORDER BY id",
        )
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("endret", None, "2015"),
        ("endret", "2015", "2016"),
        ("endret", "2016", "2017"),
    ]
    assert all(r[4] and r[5] for r in rows)


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
