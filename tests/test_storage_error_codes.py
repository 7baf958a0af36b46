"""Failures of the environment are told apart by SQLite's result codes, never by text.

Each case makes the failure happen for real on a SQLCipher file (a damaged header or
page, a wrong key, a file that is no database, a read-only file or folder, a full disk,
a file size limit, a lock held by another connection) and checks that the code-based
``classify`` names it as the message text did before: ``_text_kind`` is that former
text match, kept here only as the reference the codes are checked against.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from small_disk import small_filesystem
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from storage_helpers import FORM_VERSION, REPO_ROOT, new_db, record

from jsdesk.storage.backup import connect_raw
from jsdesk.storage.connection import make_engine
from jsdesk.storage.errors import classify

# SQLite-only by nature: these are failures of a local SQLCipher file.
pytestmark = pytest.mark.sqlite_only


def _text_kind(exc: BaseException) -> str | None:
    """The former classification by SQLite's message text (the reference, not in use)."""
    message = str(getattr(exc, "orig", exc)).lower()
    if "database or disk is full" in message or "file too large" in message:
        return "full"
    if "readonly" in message or "read-only" in message or "unable to open database" in message:
        return "readonly"
    if "file is not a database" in message or "malformed" in message or "not a database" in message:
        return "corrupt"
    if "disk i/o error" in message:
        return "io"
    return None


def _failure(action: Callable[[], object]) -> BaseException:
    with pytest.raises((sqlcipher3.DatabaseError, DatabaseError)) as caught:
        action()
    return caught.value


def _code_name(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", exc), "sqlite_errorname", None))


def _assert_kind(exc: BaseException, kind: str | None, code_name: str) -> None:
    assert _code_name(exc) == code_name, repr(exc)
    assert classify(exc) == kind, repr(exc)
    assert _text_kind(exc) == kind, repr(exc)  # the codes say what the text said


def _database(tmp_path: Path, participations: int = 1) -> tuple[Path, bytes]:
    db, _ = new_db(tmp_path)
    with db:
        for n in range(participations):
            db.create_participation(record(n), form_version=FORM_VERSION)
    return db.path, db.key


def _overwrite(path: Path, offset: int, length: int = 64) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + length] = b"\xa5" * length
    path.write_bytes(bytes(data))


def _read_everything(path: Path, key: bytes) -> None:
    engine = make_engine(path, key)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            for (name,) in tables.all():
                conn.execute(text(f'SELECT * FROM "{name}"')).all()
    finally:
        engine.dispose()


def test_wrong_key__not_a_database__corrupt(tmp_path: Path) -> None:
    path, key = _database(tmp_path)
    wrong = bytes(b ^ 0xFF for b in key)
    _assert_kind(_failure(lambda: _read_everything(path, wrong)), "corrupt", "SQLITE_NOTADB")


def test_header_overwritten__not_a_database__corrupt(tmp_path: Path) -> None:
    path, key = _database(tmp_path)
    _overwrite(path, 200)
    _assert_kind(_failure(lambda: _read_everything(path, key)), "corrupt", "SQLITE_NOTADB")


def test_data_page_overwritten__corrupt(tmp_path: Path) -> None:
    path, key = _database(tmp_path, participations=150)
    _overwrite(path, path.stat().st_size // 2)
    _assert_kind(_failure(lambda: _read_everything(path, key)), "corrupt", "SQLITE_CORRUPT")


@pytest.mark.parametrize(
    "content",
    [b"Dette er et brev, ikke en database.\n" * 200, b""],
    ids=["text-file", "plain-sqlite"],
)
def test_other_file__not_a_database__corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "annet.db"
    if content:
        path.write_bytes(content)
    else:  # an unencrypted SQLite database opened with a key
        plain = sqlite3.connect(path)
        plain.execute("CREATE TABLE t (x)")
        plain.commit()
        plain.close()
    key = bytes(range(32))
    _assert_kind(_failure(lambda: _read_everything(path, key)), "corrupt", "SQLITE_NOTADB")


def test_opened_read_only__write__readonly(tmp_path: Path) -> None:
    path, key = _database(tmp_path)
    conn = sqlcipher3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex().upper()}'\"")
        exc = _failure(lambda: conn.execute("DELETE FROM settings"))
    finally:
        conn.close()
    _assert_kind(exc, "readonly", "SQLITE_READONLY")


def test_folder_missing__cannot_open__readonly(tmp_path: Path) -> None:
    key = bytes(range(32))
    exc = _failure(lambda: _read_everything(tmp_path / "finnes-ikke" / "jsdesk.db", key))
    _assert_kind(exc, "readonly", "SQLITE_CANTOPEN")


_IN_CHILD = """
import json, os, resource, signal, sys
from pathlib import Path
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from jsdesk.storage.connection import make_engine
from jsdesk.storage.errors import classify
engine = make_engine(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))
if os.environ.get("FSIZE"):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a signal
    limit = int(os.environ["FSIZE"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    with engine.begin() as conn:
        conn.execute(text(sys.argv[3]))
except Exception as exc:
    orig = getattr(exc, "orig", exc)
    print(json.dumps([str(orig), getattr(orig, "sqlite_errorname", None), classify(exc)]))
"""


class _Failed(Exception):
    """A failure reported by a child process: its message, code name and classification."""

    def __init__(self, reported: list[Any]) -> None:
        super().__init__(reported[0])
        self.sqlite_errorname = reported[1]
        self.kind = reported[2]


def _child_failure(prefix: list[str], path: Path, key: bytes, sql: str, **env: str) -> _Failed:
    result = subprocess.run(
        [*prefix, sys.executable, "-c", _IN_CHILD, str(path), key.hex(), sql],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return _Failed(json.loads(result.stdout.strip().splitlines()[-1]))


def _assert_child_kind(failed: _Failed, kind: str, code_name: str) -> None:
    assert failed.sqlite_errorname == code_name, failed
    assert failed.kind == kind, failed
    assert _text_kind(failed) == kind, failed


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_read_only_folder_and_file__open__readonly(tmp_path: Path) -> None:
    path, key = _database(tmp_path)
    folder = path.parent
    for item in [*folder.iterdir(), folder]:
        item.chmod(item.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        failed = _child_failure(_unprivileged(), path, key, "DELETE FROM settings")
    finally:
        for item in [folder, *folder.iterdir()]:
            item.chmod(item.stat().st_mode | stat.S_IWUSR)
    _assert_child_kind(failed, "readonly", failed.sqlite_errorname)
    assert failed.sqlite_errorname in {"SQLITE_READONLY", "SQLITE_CANTOPEN"}


@pytest.mark.full_disk
def test_disk_full__write__full(tmp_path: Path) -> None:
    key = bytes(range(32))
    with small_filesystem(tmp_path / "liten", 256) as small:
        conn = connect_raw(small / "jsdesk.db", key)
        try:
            conn.execute("CREATE TABLE t (x BLOB)")

            def fill() -> None:
                for _ in range(1000):
                    conn.execute("INSERT INTO t VALUES (randomblob(16000))")

            exc = _failure(fill)
        finally:
            conn.close()
    _assert_kind(exc, "full", "SQLITE_FULL")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_file_size_limit__write__io(tmp_path: Path) -> None:
    """A file size limit (EFBIG): SQLite reports SQLITE_IOERR, "disk I/O error"."""
    path, key = _database(tmp_path)
    failed = _child_failure(
        [],
        path,
        key,
        "CREATE TABLE fyll AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
        "FROM n WHERE i < 50) SELECT randomblob(10000) AS x FROM n",
        FSIZE=str(path.stat().st_size + 8 * 1024),
    )
    _assert_child_kind(failed, "io", "SQLITE_IOERR")


def test_locked_by_another_connection__busy__not_an_environment_failure(tmp_path: Path) -> None:
    """A write lock held elsewhere is no failure of the disk: both say None (it propagates)."""
    path, key = _database(tmp_path)
    holder = connect_raw(path, key)
    other = sqlcipher3.connect(str(path), isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        other.execute(f"PRAGMA key = \"x'{key.hex().upper()}'\"")
        exc = _failure(lambda: other.execute("BEGIN IMMEDIATE"))
    finally:
        other.close()
        holder.execute("ROLLBACK")
        holder.close()
    _assert_kind(exc, None, "SQLITE_BUSY")


def test_os_error__errno__kind() -> None:
    assert classify(OSError(28, "No space left on device")) == "full"
    assert classify(PermissionError(13, "Permission denied")) == "readonly"
    assert classify(OSError(5, "Input/output error")) == "io"
    assert classify(FileNotFoundError(2, "No such file")) is None


def _unprivileged() -> list[str]:
    """A command prefix that makes root obey file modes (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
