"""The encrypted local database: opening, locking, migrating, settings, checks.

``Database.create`` makes a new database and returns it with the recovery key
(shown to the user once); ``Database.open`` unlocks an existing one with the
passphrase or the recovery key, takes the single-process lock, makes the daily
backup, and runs pending migrations after a backup. Record operations live in
``jsdesk.storage.participations`` (mixed in here).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from jsdesk.errors import UserError
from jsdesk.storage import audit, backup, schema
from jsdesk.storage.connection import make_engine
from jsdesk.storage.errors import (
    classify,
    corrupt_error,
    environment_error,
    restore_hint,
    translate_errors,
)
from jsdesk.storage.keys import KeyFile, failure_delay, fsync_dir, key_file_path, write_atomic
from jsdesk.storage.models import AuditEvent, Setting, utc_now
from jsdesk.storage.participations import ParticipationsMixin

log = logging.getLogger("jsdesk.storage")

SETTING_KOMMUNENUMMER = "kommunenummer"
SETTING_BYDEL = "bydel"
SETTING_TEST_INSTALLATION = "test_installation"
SETTING_CREATED_AT = "created_at"
AUDIT_ANCHOR = "audit_head"  # key-file entry: newest audit event at the last close


def default_db_path() -> Path:
    """``JSDESK_DB`` when set, else ``jsdesk.db`` in the user's data folder."""
    env = os.environ.get("JSDESK_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("jsdesk", appauthor=False)) / "jsdesk.db"


def lock_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@dataclass(frozen=True)
class Settings:
    """Installation settings every part needs."""

    kommunenummer: str
    bydel: str | None
    test_installation: bool
    created_at: str | None = None


@dataclass(frozen=True)
class CheckReport:
    """Result of ``Database.check``: integrity, audit chain, migration state."""

    integrity: tuple[str, ...]
    chain: audit.ChainReport
    revision: str | None
    head: str

    @property
    def ok(self) -> bool:
        return self.integrity == ("ok",) and self.chain.ok and self.revision == self.head


def _acquire_lock(db_path: Path, *, create_folder: bool = False) -> Any:
    """Lock ``db_path`` for this process; with ``create_folder``, make its folder first."""
    from filelock import FileLock, Timeout

    if create_folder:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise environment_error("readonly", db_path) from None

    lock = FileLock(str(lock_file_path(db_path)), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(
            f"Databasen {db_path} er allerede åpen i et annet jsdesk-vindu eller -program. "
            "Lukk det andre programmet først (bare ett program kan bruke databasen om gangen).",
            3,
        ) from None
    except OSError:
        raise environment_error("readonly", db_path) from None
    return lock


def _check_backup_file(backup_path: Path, db_key: bytes) -> None:
    """Refuse a backup that this key cannot open, that is damaged, or that is too new."""
    import sqlcipher3

    problem = (
        f"Sikkerhetskopien {backup_path} kan ikke brukes: den er skadet eller ikke kryptert "
        "med nøkkelen til denne databasen. Ingenting er endret. Velg en annen sikkerhetskopi."
    )
    try:
        conn = backup.connect_raw(backup_path, db_key)
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


def _unlock_key(db_path: Path, secret: str) -> bytes:
    """The database key for ``secret``, with a growing delay after failed attempts."""
    key_path = key_file_path(db_path)
    key_file = KeyFile.read(key_path)
    # Wait before trying, so killing the process does not skip the delay.
    delay = failure_delay(key_file.failed_attempts)
    if delay:
        time.sleep(delay)
    db_key = key_file.unlock(secret)
    if db_key is None:
        key_file.failed_attempts += 1
        try:
            key_file.write(key_path)
        except OSError:
            log.warning("Could not record a failed unlock attempt (read-only key file)")
        raise UserError(
            f"Feil passordfrase eller gjenopprettingsnøkkel for databasen {db_path} "
            f"({key_file.failed_attempts} mislykket forsøk på rad). Neste forsøk venter "
            f"{failure_delay(key_file.failed_attempts):g} sekunder. Har du glemt passordfrasen, "
            "kan du bruke gjenopprettingsnøkkelen du fikk da databasen ble laget.",
            2,
        )
    if key_file.failed_attempts:
        key_file.failed_attempts = 0
        try:
            key_file.write(key_path)
        except OSError:
            log.warning("Could not reset the failed unlock counter (read-only key file)")
    return db_key


class Database(ParticipationsMixin):
    """An open, unlocked jsdesk database. Use as a context manager or call ``close``."""

    def __init__(self, path: Path, key: bytes, engine: Engine, lock: Any) -> None:
        self.path = path
        self._key = key
        self._engine = engine
        self._lock = lock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(jsdesk_read=True)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self._query_conn: Connection | None = None
        self._query_lock = threading.Lock()
        self._query_engine = engine.execution_options(
            jsdesk_read=True, jsdesk_single_statement=True
        )
        self._settings: Settings | None = None
        self.backup_problem: str | None = None  # set when today's backup failed on open
        self._closed = False

    # --- life cycle -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        kommunenummer: str,
        bydel: str | None = None,
        test_installation: bool = False,
    ) -> tuple[Database, str]:
        """A new encrypted database and the recovery key (show it to the user once)."""
        path = Path(path)
        if path.exists():
            raise UserError(
                f"Databasen {path} finnes allerede. Åpne den, eller velg et annet filnavn.", 2
            )
        key_file, db_key, recovery_key = KeyFile.create(passphrase)
        lock = _acquire_lock(path, create_folder=True)
        try:
            with translate_errors(path):
                key_file.write(key_file_path(path))
                engine = make_engine(path, db_key)
                with engine.connect() as conn:
                    schema.upgrade(conn)
                    conn.commit()
            db = cls(path, db_key, engine, lock)
            now = utc_now()
            with db.write() as session:
                for key, value in (
                    (SETTING_KOMMUNENUMMER, kommunenummer),
                    (SETTING_BYDEL, bydel),
                    (SETTING_TEST_INSTALLATION, test_installation),
                    (SETTING_CREATED_AT, now.isoformat()),
                ):
                    db._put_setting(session, key, value, now)
                audit.append(
                    session,
                    at=now,
                    action="opprettet database",
                    new={"kommunenummer": kommunenummer, "bydel": bydel, "test": test_installation},
                )
        except BaseException:
            lock.release()
            raise
        db._settings = db._load_settings()
        return db, recovery_key

    @classmethod
    def open(cls, path: Path, secret: str, *, daily_backup: bool = True) -> Database:
        """Unlock ``path`` with the passphrase or recovery key; backup and migrate."""
        path = Path(path)
        if not path.exists():
            raise UserError(
                f"Fant ingen database i {path}. Lag en ny med «jsdesk db init», eller "
                f"gjenopprett en sikkerhetskopi med «jsdesk db restore FIL».",
                2,
            )
        lock = _acquire_lock(path)
        try:
            db_key = _unlock_key(path, secret)
            engine = make_engine(path, db_key)
            try:
                db = cls(path, db_key, engine, lock)
                db._prepare(daily_backup=daily_backup)
            except BaseException:
                engine.dispose()
                raise
        except BaseException:
            lock.release()
            raise
        return db

    @staticmethod
    def unlock_delay(path: Path) -> float:
        """Seconds the next unlock attempt will wait (for a countdown in the UI)."""
        return failure_delay(KeyFile.read(key_file_path(Path(path))).failed_attempts)

    def _prepare(self, *, daily_backup: bool) -> None:
        """Read the schema state, refuse newer databases, backup, migrate."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                revision = schema.current_revision(conn)
                conn.rollback()
        except DatabaseError as exc:
            kind = classify(exc) or "corrupt"
            raise environment_error(kind, self.path) from exc
        if revision is None:
            raise corrupt_error(self.path)
        head = schema.HEAD_REVISION
        if revision != head and revision not in schema.known_revisions():
            raise UserError(
                f"Databasen {self.path} er laget av en nyere versjon av jsdesk "
                f"(skjemaversjon {revision}). Ingenting er endret. Installer den nyeste "
                f"versjonen av jsdesk, eller {restore_hint(self.path)[3:]}",
                4,
            )
        now = utc_now()
        if revision != head:
            self.backup(backup.timestamped_backup_path(self.path, "for-oppgradering", now))
            with translate_errors(self.path), self._engine.connect() as conn:
                schema.upgrade(conn)
                conn.commit()
            with self.write() as session:
                audit.append(session, at=utc_now(), action="oppgradert", old=revision, new=head)
        self._settings = self._load_settings()
        if daily_backup:
            # A failed daily backup must not lock the user out of the data: the
            # problem is kept for the UI and the log, and tried again next open.
            try:
                self.ensure_daily_backup(now)
            except UserError as exc:
                self.backup_problem = f"Dagens sikkerhetskopi ble ikke laget: {exc.message}"
                log.warning("Daily backup failed")

    def _after_delete(self, pid: int) -> None:
        """Push deleted pages out of the WAL and scrub the participation from backups."""
        with translate_errors(self.path), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        failed = backup.scrub_backups(self.path, self._key, pid)
        if failed:
            names = ", ".join(p.name for p in failed)
            raise UserError(
                f"Deltakelsen er slettet fra databasen, men kunne ikke fjernes fra disse "
                f"sikkerhetskopiene: {names}. Slett dem for hånd i {backup.backup_dir(self.path)}.",
                1,
            )

    def close(self) -> None:
        """Record the audit anchor, close every connection, release the lock (idempotent)."""
        if not self._closed:
            self._closed = True
            try:
                self._save_audit_anchor()
            except (UserError, OSError):
                log.warning("Could not record the audit anchor in the key file")
        with self._query_lock:
            self._close_query_connection()
        self._engine.dispose()
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()

    def _save_audit_anchor(self, *, force: bool = False) -> None:
        """Move the anchor to the newest event, unless the chain no longer reaches it."""
        old = None if force else self._audit_anchor()
        with self.read() as session:
            newest = audit.head(session)
            if old is not None:
                at_old = session.get(AuditEvent, old[0])
                if at_old is None or at_old.hash != old[1]:
                    return  # the chain was cut or changed: keep the evidence for db check
        if newest is None:
            return
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        key_file.extra[AUDIT_ANCHOR] = {"id": newest[0], "hash": newest[1]}
        key_file.write(key_path)

    def _audit_anchor(self) -> tuple[int, str] | None:
        try:
            raw = KeyFile.read(key_file_path(self.path)).extra.get(AUDIT_ANCHOR)
        except UserError:
            return None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("id"), int)
            and isinstance(raw.get("hash"), str)
        ):
            return raw["id"], raw["hash"]
        return None

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sessions ---------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translate_errors(self.path), self._read_sessions() as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for one read-only statement (no ORM session, no BEGIN).

        Each statement is its own snapshot: run several statements that must
        agree with each other in ``read()`` instead. The overview asks often,
        so one connection stays open for it (its page cache stays warm and no
        pool checkout is paid); a second thread asking at the same time gets a
        pooled connection instead of waiting.
        """
        if not self._query_lock.acquire(blocking=False):
            with translate_errors(self.path), self._query_engine.connect() as conn:
                yield conn
            return
        try:
            with translate_errors(self.path):
                if self._query_conn is None:
                    self._query_conn = self._query_engine.connect()
                try:
                    # No BEGIN was issued (see engine.py), so SQLite holds no
                    # transaction open between calls; no rollback is needed.
                    yield self._query_conn
                except BaseException:
                    self._close_query_connection()
                    raise
        finally:
            self._query_lock.release()

    def _close_query_connection(self) -> None:
        conn, self._query_conn = self._query_conn, None
        if conn is not None:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction, committed (on disk: WAL + synchronous=FULL) on exit."""
        with translate_errors(self.path), self._sessions() as session, session.begin():
            yield session

    # --- settings ---------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._load_settings()
        return self._settings

    def _load_settings(self) -> Settings:
        return Settings(
            kommunenummer=str(self.get_setting(SETTING_KOMMUNENUMMER) or ""),
            bydel=_opt_str(self.get_setting(SETTING_BYDEL)),
            test_installation=bool(self.get_setting(SETTING_TEST_INSTALLATION)),
            created_at=_opt_str(self.get_setting(SETTING_CREATED_AT)),
        )

    def get_setting(self, key: str, default: object = None) -> Any:
        """A setting's value: JSON value, or ``bytes`` for binary settings."""
        with self.read() as session:
            row = session.get(Setting, key)
            if row is None:
                return default
            if row.blob is not None:
                return row.blob
            return None if row.value is None else json.loads(row.value)

    def set_setting(self, key: str, value: object) -> None:
        """Store a JSON-compatible value or ``bytes`` (committed at once, audited)."""
        now = utc_now()
        with self.write() as session:
            old = session.get(Setting, key)
            old_value: object = None
            if old is not None:
                old_value = "<binær>" if old.blob is not None else old.value
            self._put_setting(session, key, value, now)
            shown = "<binær>" if isinstance(value, bytes) else value
            audit.append(
                session, at=now, action="innstilling", variable=key, old=old_value, new=shown
            )
        self._settings = self._load_settings()

    @staticmethod
    def _put_setting(session: Session, key: str, value: object, now: datetime) -> None:
        row = session.get(Setting, key)
        if row is None:
            row = Setting(key=key, changed_at=now)
            session.add(row)
        if isinstance(value, bytes):
            row.blob, row.value = value, None
        else:
            row.blob, row.value = None, json.dumps(value, ensure_ascii=False)
        row.changed_at = now

    # --- keys -------------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap the database key under a new passphrase; the recovery key still works."""
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        key_file.rewrap_passphrase(self._key, new_passphrase)
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        with self.write() as session:
            audit.append(session, at=utc_now(), action="passordfrase endret")

    # --- backups and checks -----------------------------------------------------

    @classmethod
    def restore(cls, path: Path, backup_path: Path, secret: str) -> Path | None:
        """Replace the database at ``path`` with ``backup_path``.

        The backup is checked first (key, integrity, schema version); only then
        is the current database (with its WAL) copied aside and replaced. Returns
        the copy of the replaced database, or None when there was none.
        """
        path, backup_path = Path(path), Path(backup_path)
        if not backup_path.is_file():
            raise UserError(f"Fant ikke sikkerhetskopien {backup_path}.", 2)
        lock = _acquire_lock(path, create_folder=True)
        try:
            key_path = key_file_path(path)
            if not key_path.exists():
                kept = backup_path.parent / key_path.name
                if kept.exists():
                    write_atomic(key_path, kept.read_bytes())
            db_key = _unlock_key(path, secret)
            _check_backup_file(backup_path, db_key)
            with translate_errors(path):
                aside = backup.copy_files_aside(path, "for-gjenoppretting", utc_now())
                staging = path.with_name(path.name + ".gjenopprettes")
                source = backup.connect_raw(backup_path, db_key)
                try:
                    backup.copy_database(source, staging, db_key)
                finally:
                    source.close()
                # A WAL left from the replaced database must never be applied to the backup.
                for suffix in ("-wal", "-shm", "-journal"):
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
                os.replace(staging, path)
                fsync_dir(path.parent)
            db = cls(path, db_key, make_engine(path, db_key), None)
            try:
                with db.write() as session:
                    audit.append(
                        session,
                        at=utc_now(),
                        action="gjenopprettet",
                        new={"fra": backup_path.name},
                    )
                db._save_audit_anchor(force=True)  # the restored chain is the new truth
            finally:
                db.close()
        finally:
            lock.release()
        return aside

    def backup(self, target: Path) -> Path:
        """Write an encrypted copy of the database to ``target`` (atomic)."""
        target = Path(target)
        with translate_errors(target), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            backup.copy_database(raw, target, self._key)
            conn.rollback()
            backup.keep_key_copy(self.path, target.parent)
        return target

    def ensure_daily_backup(self, now: datetime | None = None) -> Path | None:
        """Today's backup if there is none yet; older daily backups beyond 14 removed."""
        day = (now or utc_now()).astimezone().date()
        target = backup.daily_backup_path(self.path, day)
        if target.exists():
            return None
        self.backup(target)
        backup.rotate(self.path)
        return target

    def check(self) -> CheckReport:
        """Full SQLite integrity check, audit chain verification, migration state."""
        with self.read() as session:
            integrity = tuple(
                str(row[0]) for row in session.execute(text("PRAGMA integrity_check"))
            )
            cipher = [str(row[0]) for row in session.execute(text("PRAGMA cipher_integrity_check"))]
            chain = audit.verify(session, self._audit_anchor())
            revision = schema.current_revision(session.connection())
        if cipher:
            integrity = (*[i for i in integrity if i != "ok"], *cipher)
        return CheckReport(
            integrity=integrity, chain=chain, revision=revision, head=schema.HEAD_REVISION
        )

    def verify_audit(self) -> audit.ChainReport:
        anchor = self._audit_anchor()
        with self.read() as session:
            return audit.verify(session, anchor)

    @property
    def key(self) -> bytes:
        """The raw database key (for backups of this database; never log it)."""
        return self._key


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
