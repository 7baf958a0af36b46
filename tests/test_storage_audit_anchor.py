"""The audit anchor (``<database>.anker``): the newest event jsdesk saw, kept outside the
database, so that a database that comes back shorter or changed is reported at the next open.

SQLite only: the anchor guards a file that can be swapped for an older copy; the shared
database's chain is kept by the server (tests/test_storage_audit_shared.py).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from storage_helpers import FORM_VERSION, PASSPHRASE, db_key, new_db, raw_execute, record

from jsdesk.storage import Database, audit
from jsdesk.storage.errors import restore_hint
from jsdesk.storage.keys import KeyFile, key_file_path
from jsdesk.storage.models import AuditEvent

pytestmark = pytest.mark.sqlite_only


def _open(path: Path) -> Database:
    return Database.open(path, PASSPHRASE, daily_backup=False)


def _newest(db: Database) -> tuple[int, str]:
    with db.read() as session:
        newest = audit.head(session)
    assert newest is not None
    return newest


def _anchor_file(path: Path) -> dict[str, object]:
    data = json.loads(audit.anchor_file_path(path).read_text(encoding="ascii"))
    assert isinstance(data, dict)
    return data


def _with_events(tmp_path: Path) -> Path:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        db.set_value(pid, "ankomstar", 2015)
    return db.path


def _copy_aside(path: Path, folder: Path) -> None:
    folder.mkdir()
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        if (path.parent / name).exists():
            shutil.copy2(path.parent / name, folder / name)


def _put_back(folder: Path, path: Path) -> None:
    """An older copy of the database put in place by hand (not ``jsdesk db restore``)."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    for copy in folder.iterdir():
        shutil.copy2(copy, path.parent / copy.name)


def test_anchor__every_committed_write__newest_event_on_disk_before_close(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        assert audit.anchor_file_path(db.path) == db.path.with_name("jsdesk.db.anker")
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        db.set_value(pid, "ankomstar", 2016)
        newest = _newest(db)
        # Still open: a crash now must not lose the anchor of the last write.
        assert _anchor_file(db.path) == {"id": newest[0], "hash": newest[1]}


def test_open__older_copy_put_in_place__missing_events_counted_until_restored(
    tmp_path: Path,
) -> None:
    path = _with_events(tmp_path)
    with _open(path) as db:
        old_newest = _newest(db)[0]
    _copy_aside(path, tmp_path / "eldre")
    with _open(path) as db:
        assert db.damage is None
        pid = db.create_participation(record(2), form_version=FORM_VERSION)
        db.set_value(pid, "ankomstar", 2017)
        seen = _newest(db)[0]
    _put_back(tmp_path / "eldre", path)

    expected = (
        f"Databasen {path} mangler de {seen - old_newest} nyeste endringene (revisjonsloggen "
        f"slutter ved hendelse {old_newest}, men jsdesk har sett hendelse {seen}). De kan ha "
        "gått tapt ved et krasj med skade på disken, eller en eldre kopi er lagt på plass uten "
        "«jsdesk db restore». Det lages ingen ny sikkerhetskopi før dette er ordnet, så de "
        f"eldre er beholdt. {restore_hint(path)}"
    )
    with _open(path) as db:
        assert db.damage == expected
    # Closing the shortened database does not move the anchor back: the warning stays.
    assert _anchor_file(path)["id"] == seen
    with _open(path) as db:
        assert db.damage == expected
        assert not db.verify_audit().ok


def test_open__event_at_the_anchor_changed__reported_as_replaced(tmp_path: Path) -> None:
    path = _with_events(tmp_path)
    anchored = int(_anchor_file(path)["id"])  # type: ignore[call-overload]
    key = db_key(path)
    raw_execute(path, key, "DROP TRIGGER audit_events_scrub_only")
    raw_execute(path, key, "UPDATE audit_events SET hash = ? WHERE id = ?", ("f" * 64, anchored))
    with _open(path) as db:
        assert db.damage == (
            f"Revisjonsloggen i {path} stemmer ikke med det jsdesk sist så (hendelse "
            f"{anchored}): databasen er byttet ut eller endret utenfor jsdesk. Det lages ingen "
            f"ny sikkerhetskopi før dette er ordnet. {restore_hint(path)}"
        )


def test_close__chain_changed_behind_jsdesks_back_while_open__still_reported_next_open(
    tmp_path: Path,
) -> None:
    path = _with_events(tmp_path)
    with _open(path) as db:
        newest = _newest(db)
        key = db_key(path)
        raw_execute(path, key, "DROP TRIGGER audit_events_scrub_only")
        changed = ("e" * 64, newest[0])
        raw_execute(path, key, "UPDATE audit_events SET hash = ? WHERE id = ?", changed)
    # The anchor was not moved onto the changed chain at close.
    assert _anchor_file(path) == {"id": newest[0], "hash": newest[1]}
    with _open(path) as db:
        assert db.damage is not None and f"(hendelse {newest[0]})" in db.damage


def test_anchor__file_unreadable__earlier_versions_anchor_in_the_key_file_used(
    tmp_path: Path,
) -> None:
    path = _with_events(tmp_path)
    with _open(path) as db:
        newest = _newest(db)[0]
    audit.anchor_file_path(path).write_bytes(b"\xff ikke json")
    key_file = KeyFile.read(key_file_path(path))
    key_file.extra[audit.AUDIT_ANCHOR] = {"id": newest + 3, "hash": "0" * 64}
    key_file.write(key_file_path(path))
    with _open(path) as db:
        assert db.damage is not None and "mangler de 3 nyeste endringene" in db.damage


def test_anchor__none_anywhere__database_opens_without_warning(tmp_path: Path) -> None:
    path = _with_events(tmp_path)
    audit.anchor_file_path(path).unlink()
    with _open(path) as db:
        assert db.damage is None
        newest = _newest(db)
    # The next close writes a new anchor.
    assert _anchor_file(path) == {"id": newest[0], "hash": newest[1]}


@pytest.mark.parametrize(
    "content",
    [
        {"id": "99", "hash": "0" * 64},
        {"id": 99},
        {"hash": "0" * 64},
        {"id": 99, "hash": 0},
        [99, "0" * 64],
    ],
)
def test_anchor__not_jsdesks_format__ignored_and_replaced(tmp_path: Path, content: object) -> None:
    path = _with_events(tmp_path)
    audit.anchor_file_path(path).write_text(json.dumps(content), encoding="ascii")
    with _open(path) as db:
        assert db.damage is None
        newest = _newest(db)
    assert _anchor_file(path) == {"id": newest[0], "hash": newest[1]}


def test_change_passphrase__event_recorded_with_time_and_user_chain_sound(tmp_path: Path) -> None:
    path = _with_events(tmp_path)
    before = datetime.now(UTC) - timedelta(seconds=5)
    with _open(path) as db:
        db.change_passphrase("en helt annen lang passordfrase")
        with db.read() as session:
            event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.action == "passordfrase endret"
        assert event.at.replace(tzinfo=UTC) >= before and event.os_user == audit.os_user()
        assert db.verify_audit().ok
        assert _anchor_file(path)["id"] == event.id


def test_anchor__cannot_be_written__work_goes_on_and_the_log_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _with_events(tmp_path)
    audit.anchor_file_path(path).unlink()
    audit.anchor_file_path(path).mkdir()  # a folder in the anchor's place: every write fails
    with caplog.at_level("WARNING", logger="jsdesk.storage"), _open(path) as db:
        pid = db.create_participation(record(2), form_version=FORM_VERSION)
        db.set_value(pid, "ankomstar", 2018)
        assert db.values_of([pid])[pid]["ankomstar"] == 2018
    assert "Could not record the audit anchor" in [r.getMessage() for r in caplog.records]


def test_anchor__file_unreadable_but_key_file_anchor_sound__file_written_again_at_close(
    tmp_path: Path,
) -> None:
    path = _with_events(tmp_path)
    with _open(path) as db:
        newest = _newest(db)
    audit.anchor_file_path(path).write_bytes(b"\xff ikke json")
    key_file = KeyFile.read(key_file_path(path))
    key_file.extra[audit.AUDIT_ANCHOR] = {"id": newest[0], "hash": newest[1]}
    key_file.write(key_file_path(path))
    with _open(path) as db:
        assert db.damage is None
    # Nothing was written, yet the close puts the anchor back in its own file.
    assert _anchor_file(path) == {"id": newest[0], "hash": newest[1]}
