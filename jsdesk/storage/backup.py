"""Encrypted backups through SQLite's online backup API.

A backup is a complete SQLCipher database encrypted with the same database key,
so the key file beside the database (or the copy kept in the backup folder)
opens every backup. Daily backups rotate: the newest ``KEEP_DAILY`` are kept.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jsdesk.errors import UserError
from jsdesk.storage import schema
from jsdesk.storage.errors import translate_errors
from jsdesk.storage.keys import fsync_dir, key_file_path
from jsdesk.storage.models import utc_now
from jsdesk.storage.sessions import DatabaseCore

KEEP_DAILY = 14
DAILY_MARK = "daglig"


def backup_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "-sikkerhetskopier")


def daily_backup_path(db_path: Path, day: date) -> Path:
    return backup_dir(db_path) / f"{db_path.stem}-{DAILY_MARK}-{day.isoformat()}.db"


def daily_backups(db_path: Path) -> list[Path]:
    """Existing daily backups, oldest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{db_path.stem}-{DAILY_MARK}-*.db"))


def list_backups(db_path: Path) -> list[Path]:
    """Every backup file in the backup folder, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.db"), key=lambda p: p.stat().st_mtime, reverse=True)


def connect_raw(path: Path, key: bytes) -> Any:
    """A plain sqlcipher3 connection (for backup, restore and checks)."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex().upper()}'\"")
    return conn


def copy_database(source_conn: Any, target: Path, key: bytes) -> None:
    """Write a consistent, encrypted copy of ``source_conn``'s database to ``target``.

    The copy is made in a temporary file beside ``target`` and renamed into place
    only when complete, so an interrupted backup never leaves a partial file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        dest = connect_raw(tmp, key)
        try:
            source_conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def keep_key_copy(db_path: Path, folder: Path) -> None:
    """Keep a copy of the key file beside backups (it holds only wrapped keys)."""
    source = key_file_path(db_path)
    if source.exists():
        target = folder / source.name
        from jsdesk.storage.keys import write_atomic

        write_atomic(target, source.read_bytes())


def rotate(db_path: Path, keep: int = KEEP_DAILY) -> list[Path]:
    """Delete the oldest daily backups beyond ``keep``; returns the removed files."""
    backups = daily_backups(db_path)
    removed = backups[: max(0, len(backups) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def timestamped_backup_path(db_path: Path, label: str, now: datetime) -> Path:
    stamp = now.strftime("%Y-%m-%d-%H%M%S")
    return backup_dir(db_path) / f"{db_path.stem}-{label}-{stamp}.db"


def copy_files_aside(db_path: Path, label: str, now: datetime) -> Path | None:
    """Raw copy of the database and its WAL (for restoring over a damaged file)."""
    if not db_path.exists():
        return None
    target = timestamped_backup_path(db_path, label, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(db_path, target)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + "-wal"))
    return target


def scrub_backups(db_path: Path, key: bytes, participation_id: int) -> list[Path]:
    """Remove a deleted participation from every backup; returns files that failed."""
    import sqlcipher3

    failed: list[Path] = []
    for path in list_backups(db_path):
        try:
            conn = connect_raw(path, key)
            try:
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "DELETE FROM accepted_warnings WHERE participation_id = ?", (participation_id,)
                )
                conn.execute("DELETE FROM participations WHERE id = ?", (participation_id,))
                conn.execute(
                    "UPDATE audit_events SET old_value = NULL, new_value = NULL, salt = NULL, "
                    "scrubbed = 1 WHERE participation_id = ?",
                    (participation_id,),
                )
                conn.execute("COMMIT")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlcipher3.DatabaseError:
            failed.append(path)
    return failed


def check_backup_file(backup_path: Path, db_key: bytes) -> None:
    """Refuse a backup that this key cannot open, that is damaged, or that is too new."""
    import sqlcipher3

    problem = (
        f"Sikkerhetskopien {backup_path} kan ikke brukes: den er skadet eller ikke kryptert "
        "med nøkkelen til denne databasen. Ingenting er endret. Velg en annen sikkerhetskopi."
    )
    try:
        conn = connect_raw(backup_path, db_key)
    except sqlcipher3.DatabaseError:
        raise UserError(problem, 4) from None
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlcipher3.DatabaseError:
        raise UserError(problem, 4) from None
    finally:
        conn.close()
    if integrity != ["ok"] or len(revisions) != 1:
        raise UserError(problem, 4)
    if revisions[0] not in schema.known_revisions():
        raise UserError(
            f"Sikkerhetskopien {backup_path} er laget av en nyere versjon av jsdesk "
            f"(skjemaversjon {revisions[0]}). Ingenting er endret. Installer den nyeste jsdesk.",
            4,
        )


class BackupsMixin(DatabaseCore):
    """Backups of ``Database``: copies, the daily backup, scrubbing a deleted participation."""

    def backup(self, target: Path) -> Path:
        """Write an encrypted copy of the database to ``target`` (atomic)."""
        target = Path(target)
        with translate_errors(target), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            copy_database(raw, target, self._key)
            conn.rollback()
            keep_key_copy(self.path, target.parent)
        return target

    def ensure_daily_backup(self, now: datetime | None = None) -> Path | None:
        """Today's backup if there is none yet; older daily backups beyond 14 removed."""
        day = (now or utc_now()).astimezone().date()
        target = daily_backup_path(self.path, day)
        if target.exists():
            return None
        self.backup(target)
        rotate(self.path)
        return target

    def _after_delete(self, pid: int) -> None:
        """Push deleted pages out of the WAL and scrub the participation from backups."""
        with translate_errors(self.path), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        failed = scrub_backups(self.path, self._key, pid)
        if failed:
            names = ", ".join(p.name for p in failed)
            raise UserError(
                f"Deltakelsen er slettet fra databasen, men kunne ikke fjernes fra disse "
                f"sikkerhetskopiene: {names}. Slett dem for hånd i {backup_dir(self.path)}.",
                1,
            )
