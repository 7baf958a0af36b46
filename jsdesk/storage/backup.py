"""Encrypted backups through SQLite's online backup API (SQLite/SQLCipher-specific).

A backup is a complete SQLCipher database encrypted with the same database key,
so the key file beside the database (or the copy kept in the backup folder)
opens every backup. The source is checked (SQLite's quick check and SQLCipher's
page check) before each copy and the copy after it, so a damaged database is
never copied over good backups. Daily backups rotate: the newest ``KEEP_DAILY``
are kept, and rotation never removes the newest good backup.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from jsdesk.errors import UserError, os_error_reason
from jsdesk.storage import schema
from jsdesk.storage.errors import classify, translate_errors
from jsdesk.storage.files import (
    backup_dir,
    fsync_dir,
    key_file_path,
    private_dir,
    private_file,
    write_atomic,
)
from jsdesk.storage.models import utc_now
from jsdesk.storage.sessions import DatabaseCore

KEEP_DAILY = 14
DAILY_MARK = "daglig"


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


class BackupCheckError(Exception):
    """A database or a copy failed the check; ``problems`` are SQLite's own lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def check_connection(conn: Any) -> list[str]:
    """Problems found by ``quick_check`` and SQLCipher's page check (empty when sound)."""

    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        problems = [line for line in problems if line != "ok"]
        problems += [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher3.DatabaseError as exc:
        problems = [str(exc)]
    return problems


# At every open the database's pages are checked (SQLCipher authenticates each
# page) when the file is at most this large: a few hundred participations take
# a few MB and well under 0.1 s. Larger files get the page check before each
# daily backup and in ``jsdesk db check``.
OPEN_CHECK_MAX_BYTES = 64 * 1024 * 1024


def open_check(path: Path, conn: Any) -> list[str]:
    """Damage to find before trusting the file: partial pages always, pages when small."""

    try:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        size = path.stat().st_size
        problems = []
        if size % page_size:
            problems.append(
                f"filen er {size} byte, ikke et helt antall sider på {page_size} byte "
                "(avkortet, eller med fremmede data på slutten)"
            )
        if size <= OPEN_CHECK_MAX_BYTES:
            problems += [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher3.DatabaseError as exc:
        problems = [str(exc)]
    return problems


def check_file(path: Path, key: bytes) -> list[str]:
    """``check_connection`` on the file at ``path`` (a backup or a closed database)."""

    try:
        conn = connect_raw(path, key)
    except sqlcipher3.DatabaseError as exc:
        return [str(exc)]
    try:
        return check_connection(conn)
    finally:
        conn.close()


def newest_good_backup(db_path: Path, key: bytes) -> Path | None:
    """The newest backup that passes ``check_file`` (checks newest first, stops at the first)."""
    for path in list_backups(db_path):
        if not check_file(path, key):
            return path
    return None


def partial_files(db_path: Path) -> list[Path]:
    """Temporary files a killed backup, restore or key-file write leaves behind."""
    found: list[Path] = []
    prefix = "." + glob.escape(db_path.stem)
    for folder in (db_path.parent, backup_dir(db_path)):
        if folder.is_dir():
            for pattern in (f"{prefix}*.tmp", f"{prefix}*.tmp-journal", f"{prefix}*.tmp-wal"):
                found.extend(folder.glob(pattern))
    staging = db_path.with_name(db_path.name + ".gjenopprettes")
    found.extend(p for p in (staging, staging.with_name(staging.name + "-journal")) if p.exists())
    return sorted(found)


def remove_partial_files(db_path: Path) -> list[Path]:
    """Remove what ``partial_files`` finds (call with the database lock held)."""
    removed = []
    for path in partial_files(db_path):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def connect_raw(path: Path, key: bytes) -> Any:
    """A plain sqlcipher3 connection (for backup, restore and checks)."""

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex().upper()}'\"")
    return conn


def copy_database(source_conn: Any, target: Path, key: bytes) -> None:
    """Write a consistent, encrypted copy of ``source_conn``'s database to ``target``.

    The copy is made in a temporary file beside ``target`` and renamed into place
    only when complete, so an interrupted backup never leaves a partial file.
    """
    private_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        private_file(tmp)  # before any page is written (an ACL on Windows; 0600 already on POSIX)
        dest = connect_raw(tmp, key)
        try:
            source_conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
            problems = check_connection(dest)
        finally:
            dest.close()
        if problems:
            raise BackupCheckError(problems)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def opens_with(path: Path, key: bytes) -> bool:
    """True when ``key`` decrypts the database file at ``path``."""

    try:
        conn = connect_raw(path, key)
    except sqlcipher3.DatabaseError:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def export_rekeyed(source: Path, key: bytes, target: Path, new_key: bytes) -> None:
    """Write ``source`` re-encrypted under ``new_key`` to ``target`` (fsynced, checked)."""
    target.unlink(missing_ok=True)
    conn = connect_raw(source, key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        literal = str(target).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{literal}' AS rekeyed KEY \"x'{new_key.hex().upper()}'\"")
        try:
            conn.execute("SELECT sqlcipher_export('rekeyed')")
        finally:
            conn.execute("DETACH DATABASE rekeyed")
    finally:
        conn.close()
    private_file(target)
    problems = check_file(target, new_key)
    if problems:
        target.unlink(missing_ok=True)
        raise BackupCheckError(problems)
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())


OLD_KEY_MARK = "gammel-nokkel"


def rekey_backups(db_path: Path, old_key: bytes, new_key: bytes) -> list[Path]:
    """Re-encrypt every backup under ``new_key``; ones that fail are renamed ``….gammel-nokkel``.

    Returns the renamed files (they open only with a key file from before).
    """

    failed: list[Path] = []
    for path in list_backups(db_path):
        staging = path.with_name(f".{path.name}.omkrypteres.tmp")
        try:
            export_rekeyed(path, old_key, staging, new_key)
            os.replace(staging, path)
        except (sqlcipher3.DatabaseError, BackupCheckError, OSError):
            staging.unlink(missing_ok=True)
            marked = path.with_name(f"{path.stem}.{OLD_KEY_MARK}")
            try:
                path.rename(marked)
            except OSError:
                marked = path
            failed.append(marked)
    if failed or list_backups(db_path):
        fsync_dir(backup_dir(db_path))
    return failed


def keep_key_copy(db_path: Path, folder: Path) -> None:
    """Keep a copy of the key file beside backups (it holds only wrapped keys)."""
    source = key_file_path(db_path)
    if source.exists():
        target = folder / source.name

        write_atomic(target, source.read_bytes())


def rotate(db_path: Path, good: Path, keep: int = KEEP_DAILY) -> list[Path]:
    """Delete the oldest daily backups beyond ``keep``; returns the removed files.

    ``good`` is a backup that has just passed its check: it is never removed, so
    rotation can never leave the folder without a good backup.
    """
    backups = daily_backups(db_path)
    removed = [p for p in backups[: max(0, len(backups) - keep)] if p != good]
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
    private_dir(target.parent)
    shutil.copy2(db_path, target)
    private_file(target)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + "-wal"))
        private_file(target.with_name(target.name + "-wal"))
    return target


def scrub_backups(db_path: Path, key: bytes, participation_id: int) -> list[Path]:
    """Remove a deleted participation from every backup; returns files that failed."""

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
                _delete_provenance(conn, participation_id)
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


def _delete_provenance(conn: sqlcipher3.Connection, participation_id: int) -> None:
    """A registry import's provenance of the participation: its own table since migration
    0010, a ``settings`` row in a backup made before."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "register_provenance" in tables:
        conn.execute(
            "DELETE FROM register_provenance WHERE participation_id = ?", (participation_id,)
        )
    conn.execute("DELETE FROM settings WHERE key = ?", (f"registerkilde:{participation_id}",))


def first_problem(problems: list[str]) -> str:
    more = f" og {len(problems) - 1} feil til" if len(problems) > 1 else ""
    return f"{problems[0]}{more}"


@dataclass(frozen=True)
class RestorePreview:
    """What a restore would discard: changes in the current database after the backup.

    ``lost`` is None when the current database cannot be read (damaged, or
    another key); ``newest`` is the time of the newest change that would be lost.
    """

    backup_path: Path
    lost: int | None
    newest: datetime | None


def restore_preview(path: Path, backup_path: Path, db_key: bytes) -> RestorePreview:
    """Count the current database's audit events after the backup's newest one."""

    def newest_event(target: Path) -> int:
        conn = connect_raw(target, db_key)
        try:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()[0])
        finally:
            conn.close()

    try:
        since = newest_event(backup_path)
        conn = connect_raw(path, db_key)
        try:
            lost, newest = conn.execute(
                "SELECT count(*), max(at) FROM audit_events WHERE id > ?", (since,)
            ).fetchone()
        finally:
            conn.close()
    except sqlcipher3.DatabaseError:
        return RestorePreview(backup_path, None, None)
    # Stored as naive UTC text (models.UtcDateTime).
    when = None if newest is None else datetime.fromisoformat(str(newest)).replace(tzinfo=UTC)
    return RestorePreview(backup_path, int(lost), when)


def check_backup_file(backup_path: Path, db_key: bytes) -> None:
    """Refuse a backup that this key cannot open, that is damaged, or that is too new."""

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

    def backup(self, target: Path | None = None) -> Path:
        """Write a copy of the database to ``target`` (default: a time-stamped file in the
        backup folder): on the local file an encrypted copy (atomic, checked); a shared
        database's backups are the server's (``UserError`` naming the ``pg_dump`` command)."""
        if target is None:
            target = timestamped_backup_path(self.path, "manuell", datetime.now())
        return self.backend.backup(self, Path(target))

    def _copy_file(self, target: Path) -> Path:
        """An encrypted copy of the local file at ``target`` (atomic, checked).

        The database is checked first (a damaged one is never copied over good
        backups) and the copy after it; either failing raises ``UserError``.
        """
        with translate_errors(target), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            problems = check_connection(raw)
            if problems:
                conn.rollback()
                error = self._damaged_error(problems)
                self.damage = error.message
                raise error
            try:
                copy_database(raw, target, self._key)
            except OSError as exc:
                if classify(exc) is not None:
                    raise
                raise UserError(
                    f"Sikkerhetskopien {target} kunne ikke skrives ({os_error_reason(exc)}). "
                    "Databasen er ikke endret.",
                    5,
                ) from None
            except BackupCheckError as exc:
                raise UserError(
                    f"Kopien i {target} besto ikke kontrollen ({first_problem(exc.problems)}) "
                    "og er fjernet. Databasen er ikke endret. Sjekk disken og prøv igjen.",
                    5,
                ) from None
            finally:
                conn.rollback()
            keep_key_copy(self.path, target.parent)
        return target

    def _damaged_error(self, problems: list[str]) -> UserError:
        good = newest_good_backup(self.path, self._key)
        where = (
            f"Nyeste gode sikkerhetskopi er {good}; gjenopprett den med «jsdesk db restore {good}»."
            if good is not None
            else f"Fant ingen god sikkerhetskopi i {backup_dir(self.path)}."
        )
        return UserError(
            f"Databasen {self.path} er skadet ({first_problem(problems)}). Det er ikke laget "
            f"noen ny sikkerhetskopi, og de gamle er beholdt. {where}",
            4,
        )

    def ensure_daily_backup(self, now: datetime | None = None) -> Path | None:
        """Today's backup if there is none yet (None on a shared database: the server's)."""
        return self.backend.daily_backup(self, now)

    def _daily_file_backup(self, now: datetime | None) -> Path | None:
        """Today's copy of the local file; older daily backups beyond 14 removed."""
        day = (now or utc_now()).astimezone().date()
        target = daily_backup_path(self.path, day)
        if target.exists():
            return None
        self.backup(target)
        rotate(self.path, good=target)
        return target

    def _scrub_files(self, pid: int) -> None:
        """Push deleted pages out of the WAL and scrub the participation from backups."""
        if self.backend.shared:
            return  # the server's pages and backups are the server's (docs/server.md)
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
