"""What reaches the disk, and what happens when the disk or the file misbehaves.

SQLite only: the local file's bytes, folder, lock and disk; a shared database at another
schema version is refused as tests/test_server_connect.py shows.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from storage_helpers import (
    FORM_VERSION,
    PASSPHRASE,
    REPO_ROOT,
    dump,
    fnr,
    new_db,
    raw_execute,
    raw_rows,
    record,
    run_python,
)

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import daily_backups
from jsdesk.storage.files import backup_dir

pytestmark = pytest.mark.sqlite_only


DISTINCTIVE = "Fjellrevsmakk-Q7781"


def _all_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _assert_no_plaintext(folder: Path, needles: list[str]) -> None:
    files = _all_files(folder)
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            for encoded in (needle.encode("utf-8"), needle.encode("utf-16-le")):
                assert encoded not in data, f"{needle!r} in plain text in {path.name}"


def test_disk__records_stored__no_fnr_or_value_in_any_file(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    people = [fnr(n) for n in range(20)]
    with db:
        for n in range(20):
            pid = db.create_participation(record(n), form_version=FORM_VERSION)
            db.set_value(pid, "merknad", f"{DISTINCTIVE}-{n}")
        db.backup(tmp_path / "data" / "manuell.db")
        db.ensure_daily_backup()
        files = {p.name for p in _all_files(tmp_path / "data")}
        assert "jsdesk.db-wal" in files  # the WAL holds recent changes: check it too
        _assert_no_plaintext(tmp_path / "data", [*people, DISTINCTIVE])
        assert daily_backups(db.path)
    _assert_no_plaintext(tmp_path / "data", [*people, DISTINCTIVE])
    # The values are there once decrypted: the check above is not vacuous.
    text = "\n".join(dump(db.path, db.key))
    assert people[3] in text and DISTINCTIVE in text


def _corrupt(path: Path, offset: int, length: int = 64) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + length] = b"\xa5" * length
    path.write_bytes(bytes(data))


def test_corrupt_file__header_overwritten__clear_message_and_restore_works(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        db.ensure_daily_backup()
    (backup,) = daily_backups(db.path)
    backup_before = dump(backup, db.key)
    _corrupt(db.path, 200)
    damaged = db.path.read_bytes()
    with pytest.raises(UserError) as caught:
        Database.open(db.path, PASSPHRASE)
    message = caught.value.message
    assert "skadet" in message and "Ingenting er endret" in message
    assert "jsdesk db restore" in message and str(backup_dir(db.path)) in message
    assert db.path.read_bytes() == damaged
    assert dump(backup, db.key) == backup_before  # the good backup was not replaced

    aside = Database.restore(db.path, backup, PASSPHRASE)
    assert aside is not None and aside.read_bytes() == damaged
    with Database.open(db.path, PASSPHRASE) as restored:
        assert restored.get_participation(pid).values["fodselsnummer"] == fnr(1)
        assert restored.check().ok


def test_corrupt_file__data_page_overwritten__check_fails_with_restore_hint(
    tmp_path: Path,
) -> None:
    db, _ = new_db(tmp_path)
    with db:
        for n in range(150):
            db.create_participation(record(n), form_version=FORM_VERSION)
    _corrupt(db.path, db.path.stat().st_size // 2)
    env = {"JSDESK_PASSPHRASE": PASSPHRASE}
    result = run_python(
        "import sys; from jsdesk.cli import main; "
        f"sys.exit(main(['db', 'check', '--db', {str(db.path)!r}]))",
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert "jsdesk db restore" in output


@pytest.mark.skipif(sys.platform == "win32", reason="simulated with RLIMIT_FSIZE (POSIX)")
def test_full_disk__write_fails__message_and_every_committed_change_kept(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(2), form_version=FORM_VERSION)
    code = f"""
import resource, signal, sys
from pathlib import Path
from jsdesk.errors import UserError
from jsdesk.storage import Database
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG like a full disk, not a signal
path = Path({str(db.path)!r})
db = Database.open(path, {PASSPHRASE!r}, daily_backup=False)
limit = path.stat().st_size + 96 * 1024
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    for i in range(100000):
        db.set_value({pid}, f"felt_{{i}}", str(i) * 2000)
        print(i, flush=True)
except UserError as exc:
    print("MELDING:" + exc.message, flush=True)
finally:
    db.close()
"""
    result = run_python(code)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    message = lines[-1]
    assert message.startswith("MELDING:"), result.stdout[-500:]
    assert "ikke lagret" in message and "jsdesk db restore" in message
    committed = [int(line) for line in lines[:-1]]
    assert len(committed) > 3
    with Database.open(db.path, PASSPHRASE) as again:
        values = again.get_participation(pid).values
        assert all(values[f"felt_{i}"] == str(i) * 2000 for i in committed)
        report = again.check()
        assert report.ok, report


def _make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        if path.is_dir():
            mode |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        path.chmod(mode)


def _without_root_override() -> list[str]:
    """A command prefix that makes root obey file modes (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "root needs util-linux setpriv to simulate a read-only folder"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def _jsdesk_obeying_file_modes(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``jsdesk ARGS`` on ``db_path`` in a new process, as a user whom file modes bind."""
    return subprocess.run(
        [*_without_root_override(), sys.executable, "-m", "jsdesk", *args],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "JSDESK_PASSPHRASE": PASSPHRASE,
            "JSDESK_DB": str(db_path),
        },
        check=False,
        timeout=60,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_read_only_folder__open__clear_message_nothing_changed(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        db.create_participation(record(3), form_version=FORM_VERSION)
    before = dump(db.path, db.key)
    _make_read_only(db.path.parent)
    try:
        result = _jsdesk_obeying_file_modes(db.path, "db", "check")
    finally:
        for path in [db.path.parent, *db.path.parent.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert "skrivebeskyttet" in result.stderr and "Ingenting er endret" in result.stderr
    assert "jsdesk db restore" in result.stderr
    assert dump(db.path, db.key) == before


def test_newer_database__unknown_revision__refused_nothing_changed(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        db.create_participation(record(4), form_version=FORM_VERSION)
    raw_execute(db.path, db.key, "UPDATE alembic_version SET version_num = '9f00_fremtid'")
    before = dump(db.path, db.key)
    files_before = sorted(p.name for p in _all_files(db.path.parent))
    with pytest.raises(UserError) as caught:
        Database.open(db.path, PASSPHRASE)
    message = caught.value.message
    assert "nyere versjon av jsdesk" in message and "9f00_fremtid" in message
    assert "Ingenting er endret" in message and "jsdesk db restore" in message
    assert dump(db.path, db.key) == before
    assert sorted(p.name for p in _all_files(db.path.parent)) == files_before  # no backup made


def test_lock__second_process__clear_message_first_keeps_working(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        result = run_python(
            "import sys; from jsdesk.cli import main; "
            f"sys.exit(main(['records', 'list', '--db', {str(db.path)!r}]))",
            env={"JSDESK_PASSPHRASE": PASSPHRASE},
        )
        assert result.returncode == 3
        assert "allerede åpen" in result.stderr and "Traceback" not in result.stderr
        with pytest.raises(UserError, match="allerede åpen"):
            Database.open(db.path, PASSPHRASE)
        pid = db.create_participation(record(5), form_version=FORM_VERSION)
    rows = raw_rows(db.path, db.key, "SELECT id FROM participations")
    assert rows == [(pid,)]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_read_only_sidecars_left_by_an_earlier_open__recovered_and_opened(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        db.create_participation(record(4), form_version=FORM_VERSION)
    crash = f"""
import os
from pathlib import Path
from jsdesk.storage import Database
db = Database.open(Path({str(db.path)!r}), {PASSPHRASE!r}, daily_backup=False)
db.create_participation({{"kommunenummer": "0301"}}, form_version="2023.1")
os._exit(0)
"""
    assert run_python(crash).returncode == 0
    sidecars = [db.path.with_name(db.path.name + s) for s in ("-wal", "-shm")]
    for sidecar in sidecars:  # as SQLite leaves them after an open of a 0444 database
        sidecar.chmod(0o444)
    result = _jsdesk_obeying_file_modes(db.path, "records", "list")
    assert result.returncode == 0, result.stderr
    assert "2 deltakelser." in result.stdout
