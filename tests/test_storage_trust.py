"""Storage that never lies: damaged databases, failed and partial backups, file modes, locks.

SQLite only: damage, backups, modes and locks of the local file (a shared database's
signing key and its password stay on the submitter's machine, ``Database.signing_store``).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from storage_helpers import (
    FORM_VERSION,
    PASSPHRASE,
    REPO_ROOT,
    db_key,
    dump,
    new_db,
    raw_execute,
    record,
    rewind,
)

from jsdesk.cli import main
from jsdesk.errors import ExitCode, UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import KEEP_DAILY, check_file, daily_backup_path, daily_backups
from jsdesk.storage.files import backup_dir
from jsdesk.storage.models import AuditEvent

pytestmark = pytest.mark.sqlite_only


def _day(n: int) -> datetime:
    return datetime(2026, 1, 1, 12, 0, tzinfo=UTC).replace(
        day=1 + (n - 1) % 28, month=1 + (n - 1) // 28
    )


def _filled(tmp_path: Path, count: int = 30) -> Path:
    db, _ = new_db(tmp_path)
    with db:
        for n in range(count):
            db.create_participation(record(n), form_version=FORM_VERSION)
    return db.path


def _flip_byte_in_last_page(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size - 2000)
        byte = handle.read(1)
        handle.seek(size - 2000)
        handle.write(bytes([byte[0] ^ 0x5A]))


DAMAGE = {
    "siste side endret": _flip_byte_in_last_page,
    "avkortet med én byte": lambda p: os.truncate(p, p.stat().st_size - 1),
    "fremmede data på slutten": lambda p: p.write_bytes(p.read_bytes() + b"soppel" * 100),
}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)


def test_backup__database_damaged_for_15_days__good_backups_never_rotated_out(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path)
    for n in range(1, KEEP_DAILY + 1):
        with Database.open(path, PASSPHRASE, daily_backup=False) as db:
            assert db.ensure_daily_backup(_day(n)) is not None
    key = db.key
    good = daily_backups(path)
    assert len(good) == KEEP_DAILY and all(not check_file(p, key) for p in good)

    _flip_byte_in_last_page(path)
    for n in range(KEEP_DAILY + 1, KEEP_DAILY + 16):
        with (
            Database.open(path, PASSPHRASE, daily_backup=False) as db,
            pytest.raises(UserError) as caught,
        ):
            db.ensure_daily_backup(_day(n))
        assert caught.value.exit_code == 4
        assert "er skadet" in caught.value.message
        assert f"Nyeste gode sikkerhetskopi er {good[-1]}" in caught.value.message
        assert not daily_backup_path(path, _day(n).astimezone().date()).exists()
    assert daily_backups(path) == good
    assert all(not check_file(p, key) for p in good)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_records_list__damaged_file__clear_message_and_non_zero_exit(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    path = _filled(tmp_path)
    with Database.open(path, PASSPHRASE) as db:  # today's backup is made while sound
        good = daily_backups(db.path)[-1]
    DAMAGE[damage](path)
    assert main(["records", "list", "--db", str(path)]) == 4
    err = capsys.readouterr().err
    assert "er skadet" in err and str(good) in err and "Traceback" not in err
    assert main(["db", "check", "--db", str(path)]) != 0


def test_daily_backup__fails__bokmal_reason_and_exit_5_every_time_until_it_works(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _filled(tmp_path, 2)
    folder = backup_dir(path)
    folder.write_text("en fil der mappen skal ligge")  # the backup cannot be written
    for _ in range(2):
        assert main(["records", "list", "--db", str(path)]) == 5
        captured = capsys.readouterr()
        assert "2 deltakelser." in captured.out  # the command's own work is done
        assert "Dagens sikkerhetskopi ble ikke laget" in captured.err
        assert str(folder) in captured.err and "Daily backup failed" not in captured.err
    folder.unlink()
    assert main(["records", "list", "--db", str(path)]) == 0
    assert "sikkerhetskopi" not in capsys.readouterr().err
    assert daily_backups(path)


def test_open__partial_backup_left_by_a_kill__removed(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    folder = backup_dir(path)
    folder.mkdir()
    left = [
        folder / f".{path.stem}-daglig-2026-01-05.db.k3j2x9.tmp",
        folder / f".{path.stem}-daglig-2026-01-05.db.k3j2x9.tmp-journal",
        path.with_name(f".{path.name}.keys.a8d7.tmp"),
        path.with_name(path.name + ".gjenopprettes"),
    ]
    for partial in left:
        partial.write_bytes(b"\0" * 4096)
    other = folder / "notat.tmp"
    other.write_text("ikke vår")
    with Database.open(path, PASSPHRASE, daily_backup=False):
        pass
    assert [p for p in left if p.exists()] == []
    assert other.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_files__database_wal_shm_keys_backups_and_folders__owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db, _ = new_db(tmp_path)
        with db:
            db.create_participation(record(1), form_version=FORM_VERSION)
            db.ensure_daily_backup()
            wal = db.path.with_name(db.path.name + "-wal")
            shm = db.path.with_name(db.path.name + "-shm")
            assert wal.exists() and shm.exists()
            files = [db.path, wal, shm, *backup_dir(db.path).iterdir()]
            files.append(db.path.with_name(db.path.name + ".keys"))
            files.append(db.path.with_name(db.path.name + ".lock"))
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
        aside = Database.restore(db.path, daily_backups(db.path)[0], PASSPHRASE)
        assert aside is not None
        modes[aside.name] = stat.S_IMODE(aside.stat().st_mode)
        modes[db.path.name + " etter gjenoppretting"] = stat.S_IMODE(db.path.stat().st_mode)
        assert {name: oct(mode) for name, mode in modes.items() if mode != 0o600} == {}
        for folder in (db.path.parent, backup_dir(db.path)):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_lock__same_database_through_a_symlink__refused(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    link_folder = tmp_path / "lenke"
    link_folder.symlink_to(path.parent, target_is_directory=True)
    with Database.open(path, PASSPHRASE, daily_backup=False):
        with pytest.raises(UserError, match="allerede åpen") as caught:
            Database.open(link_folder / path.name, PASSPHRASE, daily_backup=False)
        assert caught.value.exit_code == 3


WRITE_AND_CRASH = """
import os, sys
from pathlib import Path
from jsdesk.storage import Database
from jsdesk.storage.models import AuditEvent
db = Database.open(Path(sys.argv[1]), sys.argv[2], daily_backup=False)
for i in range(100):
    db.create_participation({"kommunenummer": "0301", "merke": str(i)}, form_version="2023.1")
os._exit(0)  # a crash: no close, no checkpoint, the WAL stays
"""


def test_open__committed_changes_dropped_from_a_damaged_wal__missing_count_and_exit_4(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _filled(tmp_path, 1)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run(
        [sys.executable, "-c", WRITE_AND_CRASH, str(path), PASSPHRASE], check=True, env=env
    )
    wal = path.with_name(path.name + "-wal")
    size = wal.stat().st_size
    assert size > 100_000
    with wal.open("r+b") as handle:  # one damaged byte, 40 % into the WAL
        handle.seek(int(size * 0.4))
        byte = handle.read(1)
        handle.seek(int(size * 0.4))
        handle.write(bytes([byte[0] ^ 0xFF]))

    with Database.open(path, PASSPHRASE) as db:
        left = db.count_participations()
        assert left < 101  # SQLite dropped the frames after the bad checksum
        assert db.damage is not None
        assert re.search(r"mangler de [1-9]\d* nyeste endringene", db.damage), db.damage
        assert "db restore" in db.damage
        assert daily_backups(path) == []  # no backup of the shortened database
    assert main(["records", "list", "--db", str(path)]) == 4
    assert "nyeste endringene" in capsys.readouterr().err
    assert main(["db", "check", "--db", str(path)]) == 1
    assert "mangler" in capsys.readouterr().out


def test_restore__changes_after_the_backup__counted_and_asked_before_anything_changes(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _filled(tmp_path, 2)
    copy = tmp_path / "kopi.db"
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        db.backup(copy)
        for n in range(3):
            db.set_value(1, "ankomstar", 2010 + n)
    before = path.read_bytes()

    # A script without --yes: refused as a usage error, nothing changed.
    assert main(["db", "restore", "--db", str(path), str(copy)]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert "3 endringer gjort etter sikkerhetskopien ble laget, den nyeste " in captured.out
    assert "blir forkastet" in captured.out and "--yes" in captured.err
    assert path.read_bytes() == before

    # Someone at a terminal who does not type «ja»: nothing changed.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin.isatty", lambda: True)
        patch.setattr("builtins.input", lambda _prompt: "nei")
        assert main(["db", "restore", "--db", str(path), str(copy)]) == 1
    assert "avbrutt" in capsys.readouterr().err
    assert path.read_bytes() == before

    assert main(["db", "restore", "--db", str(path), "--yes", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "3 endringer" in out and "tatt vare på som" in out
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        assert "ankomstar" not in db.get_participation(1).values
        assert db.damage is None and db.check().ok


# --- tests that catch what they claim to ----------------------------------------------------


def test_restore__after_a_crash_left_a_wal__stale_wal_not_applied_to_the_backup(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path, 1)
    copy = tmp_path / "kopi.db"
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        db.backup(copy)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run(
        [sys.executable, "-c", WRITE_AND_CRASH, str(path), PASSPHRASE], check=True, env=env
    )
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    Database.restore(path, copy, PASSPHRASE)
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        assert db.count_participations() == 1
        assert db.damage is None
        assert db.check().ok


def _restore_refused(path: Path, bad_backup: Path) -> str:
    before = path.read_bytes()
    with pytest.raises(UserError) as caught:
        Database.restore(path, bad_backup, PASSPHRASE)
    assert caught.value.exit_code == 4
    assert "Ingenting er endret" in caught.value.message
    assert path.read_bytes() == before
    return caught.value.message


def test_restore__backup_from_a_newer_program__refused(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    copy = tmp_path / "kopi.db"
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        db.backup(copy)
        key = db.key
    raw_execute(copy, key, "UPDATE alembic_version SET version_num = '9f00_fremtid'")
    assert "nyere versjon av jsdesk" in _restore_refused(path, copy)


def test_restore__backup_failing_its_integrity_check__refused(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    copy = tmp_path / "kopi.db"
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        db.backup(copy)
    _flip_byte_in_last_page(copy)
    assert "er skadet" in _restore_refused(path, copy)


def test_engine__every_connection__wal_with_synchronous_full(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        for session_of in (db.read, db.write):
            with session_of() as session:
                assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
                assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        with db.read_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_key_file_and_backups__replaced_by_rename_never_written_in_place(tmp_path: Path) -> None:
    path = _filled(tmp_path, 1)
    key_path = path.with_name(path.name + ".keys")
    target = tmp_path / "kopi.db"
    target.write_bytes(b"en eldre kopi")
    before = {p: p.stat().st_ino for p in (key_path, target)}
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        db.change_passphrase("en ny og lang passordfrase")
        db.backup(target)
    # An in-place write keeps the inode (and leaves a half-written file after a kill).
    assert {p: p.stat().st_ino for p in before} != before
    assert all(p.stat().st_ino != ino for p, ino in before.items())


# --- secrets never in the audit trail ---------------------------------------------------------


def _audit_text(path: Path) -> str:
    return "\n".join(row for row in dump(path, db_key(path)) if row.startswith("audit_events"))


def test_signing_credentials_saved__key_password_not_in_the_audit_trail(tmp_path: Path) -> None:
    from submission_support import credentials

    from jsdesk.submission.credentials import KEY_SECRET_SETTING, save_credentials

    path = _filled(tmp_path, 1)
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        save_credentials(db, credentials())
        secret = db.get_setting(KEY_SECRET_SETTING)
        assert isinstance(secret, str) and len(secret) > 20
    text_of_audit = _audit_text(path)
    assert secret not in text_of_audit
    assert KEY_SECRET_SETTING in text_of_audit and "hemmelig, endret" in text_of_audit


def test_migration__secret_logged_by_an_earlier_version__scrubbed_with_a_redaction_event(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path, 1)
    password = "Pkcs8-passord-som-aldri-skulle-logges"
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        # What earlier versions did: the value went into the event in plain text.
        db.set_setting("signing.key_secret", password)
        db.set_setting("lock_minutes", 15)
        key = db.key
    assert password in _audit_text(path)
    rewind(path, key, "0005")

    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        assert db.damage is None
        report = db.check()
        assert report.ok, report
        with db.read() as session:
            events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert password not in _audit_text(path)
    secret_events = [e for e in events if e.variable == "signing.key_secret"]
    assert [e.scrubbed for e in secret_events] == [True]
    redaction = [e for e in events if e.action == "sladdet hemmelighet"]
    assert len(redaction) == 1 and redaction[0].id > secret_events[0].id
    assert str(secret_events[0].id) in str(redaction[0].new_value)
    # Other settings keep their values: only secrets are scrubbed.
    assert [e.new_value for e in events if e.variable == "lock_minutes"] == ["15"]
