"""The encrypted local database: create, open, restore, close, check.

``Database.create`` makes a new database and returns it with the recovery key
(shown to the user once); ``Database.open`` unlocks an existing one with the
passphrase or the recovery key, takes the single-process lock, makes the daily
backup, and runs pending migrations after a backup.

``Database`` is put together from one module per responsibility, each a reader
can find by name: ``sessions`` (engine, transactions), ``lock``, ``keys``,
``settings``, ``backup``, ``audit``, ``participations``, ``submissions``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from platformdirs import user_data_dir
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from jsdesk.errors import UserError
from jsdesk.storage import audit, backup, schema
from jsdesk.storage.audit import AuditMixin
from jsdesk.storage.backend import (
    Backend,
    PostgresBackend,
    SqliteBackend,
    database_target,
    make_server_engine,
    set_login_password,
    translate_server_errors,
)
from jsdesk.storage.backup import BackupsMixin, RestorePreview, check_backup_file
from jsdesk.storage.connect_check import explain_failed_connection, password_needed
from jsdesk.storage.connection import make_engine, recover_sidecar_modes, sqlite_sidecars
from jsdesk.storage.errors import (
    classify,
    corrupt_error,
    environment_error,
    password_missing,
    restore_hint,
    translate_errors,
)
from jsdesk.storage.files import create_private_file, fsync_dir, key_file_path, write_atomic
from jsdesk.storage.keys import (
    MIN_PASSPHRASE_LENGTH,
    RECOVERY_UNCONFIRMED,
    KeyFile,
    KeysMixin,
    unlock_key,
)
from jsdesk.storage.local_store import LocalSettings
from jsdesk.storage.models import utc_now
from jsdesk.storage.owner_only import restrict_existing
from jsdesk.storage.participations import (
    ASSESSMENT_BASIS,
    ASSESSMENT_BASIS_SETTING,
    ParticipationsMixin,
)
from jsdesk.storage.reporting import ReportingMixin
from jsdesk.storage.settings import (
    SETTING_BYDEL,
    SETTING_CREATED_AT,
    SETTING_KOMMUNENUMMER,
    SETTING_TEST_INSTALLATION,
    Settings,
    SettingsMixin,
)
from jsdesk.storage.submissions import SubmissionsMixin
from jsdesk.storage.types import PasswordNeeded

log = logging.getLogger("jsdesk.storage")

__all__ = [
    "CheckReport",
    "Database",
    "RestorePreview",
    "Settings",
    "default_db_path",
    "default_target",
]


def default_db_path() -> Path:
    """``JSDESK_DB`` when set, else ``jsdesk.db`` in the user's data folder."""
    env = os.environ.get("JSDESK_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("jsdesk", appauthor=False)) / "jsdesk.db"


def default_target() -> Backend:
    """The database ``JSDESK_DB`` names (a path, or a shared database's URL), else the
    local file in the user's data folder."""
    env = os.environ.get("JSDESK_DB")
    return database_target(env) if env else SqliteBackend(default_db_path())


@dataclass(frozen=True)
class CheckReport:
    """Result of ``Database.check``: integrity, audit chain, migration state."""

    integrity: tuple[str, ...]
    chain: audit.ChainReport
    revision: str | None
    head: str
    advice: str  # what to do when it is not ok (restore a backup, or ask IT)
    checked: str  # what ``integrity`` checked (SQLite's integrity, or the shared database)

    @property
    def ok(self) -> bool:
        return self.integrity == ("ok",) and self.chain.ok and self.revision == self.head


class Database(
    ParticipationsMixin,
    ReportingMixin,
    SubmissionsMixin,
    SettingsMixin,
    KeysMixin,
    BackupsMixin,
    AuditMixin,
):
    """An open, unlocked jsdesk database. Use as a context manager or call ``close``."""

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
        recovery_confirmed: bool = True,
    ) -> tuple[Database, str]:
        """A new encrypted database and the recovery key (show it to the user once).

        With ``recovery_confirmed=False`` the key file notes that the key still has to be
        confirmed (``confirm_recovery_key``); until then ``recovery_key_confirmed`` is
        False and the GUI shows a new key (``new_recovery_key``) on every start."""
        path = Path(path)
        if path.exists():
            raise UserError(
                f"Databasen {path} finnes allerede. Åpne den, eller velg et annet filnavn.", 2
            )
        key_file, db_key, recovery_key = KeyFile.create(passphrase)
        if not recovery_confirmed:
            key_file.extra[RECOVERY_UNCONFIRMED] = True
        lock = SqliteBackend(path).lock(create_folder=True)
        try:
            with translate_errors(path):
                key_file.write(key_file_path(path))
                create_private_file(path)  # SQLite gives -wal/-shm the same mode
                engine = make_engine(path, db_key)
                with engine.connect() as conn:
                    schema.upgrade(conn)
                    conn.commit()
                # POSIX: SQLite gives -wal/-shm the file's mode; Windows: they need the ACL
                restrict_existing(sqlite_sidecars(path))
            db = cls(path, db_key, engine, lock)
            now = utc_now()
            with db.write() as session:
                for key, value in (
                    (SETTING_KOMMUNENUMMER, kommunenummer),
                    (SETTING_BYDEL, bydel),
                    (SETTING_TEST_INSTALLATION, test_installation),
                    (SETTING_CREATED_AT, now.isoformat()),
                    (ASSESSMENT_BASIS_SETTING, ASSESSMENT_BASIS),
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
        lock = SqliteBackend(path).lock()
        try:
            backup.remove_partial_files(path)  # left by a backup or restore that was killed
            stuck = recover_sidecar_modes(path)
            if stuck:
                raise UserError(
                    f"Databasen {path} kan ikke åpnes for skriving fordi disse filene ved siden "
                    f"av den er skrivebeskyttet: {', '.join(str(p) for p in stuck)}. Be IT gi "
                    "deg skrivetilgang til dem (de tilhører en annen bruker). Ingenting er endret.",
                    5,
                )
            db_key = unlock_key(path, secret)
            engine = make_engine(path, db_key)
            try:
                db = cls(path, db_key, engine, lock)
                db._prepare(daily_backup=daily_backup)
                restrict_existing(sqlite_sidecars(path))  # made anew by this open (Windows)
            except BaseException:
                engine.dispose()
                raise
        except BaseException:
            lock.release()
            raise
        return db

    @classmethod
    def connect(cls, url: str, password: str | None = None) -> Database:
        """Log in to a shared PostgreSQL database as the user the URL names.

        No lock, key file, daily backup or migration here: many caseworkers share the
        database, the server keeps it safe, and IT upgrades it (``jsdesk server init``).
        """
        backend = PostgresBackend(url)
        engine = make_server_engine(url, password)
        try:
            try:
                with translate_server_errors(url), engine.connect() as conn:
                    revision = schema.current_revision(conn)
                    conn.rollback()
            except UserError as exc:
                cause = exc.__cause__
                kind = classify(cause) if cause is not None else None
                if cause is not None and password_missing(cause):
                    raise PasswordNeeded(password_needed(url), exc.exit_code) from cause
                better = explain_failed_connection(url, password, kind)
                if better is None:
                    raise
                raise UserError(better, exc.exit_code) from cause
            if revision is None:
                raise UserError(
                    f"Den felles databasen {backend.label} er ikke satt opp for jsdesk. IT i "
                    "kommunen setter den opp med «jsdesk server init URL --kommunenummer NNNN».",
                    2,
                )
            if revision != schema.HEAD_REVISION:
                newer = revision not in schema.known_revisions()
                raise UserError(
                    f"Den felles databasen {backend.label} har skjemaversjon {revision}, denne "
                    f"jsdesk bruker {schema.HEAD_REVISION}. "
                    + (
                        "Installer den nyeste versjonen av jsdesk."
                        if newer
                        else "IT oppgraderer den med «jsdesk server init» fra denne versjonen."
                    ),
                    4,
                )
            db = cls(Path(backend.label), b"", engine, None, backend)
            db._settings = db._load_settings()
        except BaseException:
            engine.dispose()
            raise
        return db

    @classmethod
    def open_target(
        cls, target: Backend, secret: str | None, *, daily_backup: bool = True
    ) -> Database:
        """Open the database ``target`` names (``database_target``, ``default_target``):
        the local file with its passphrase or recovery key, or a shared database with the
        login's password (None: the URL's, ``PGPASSWORD`` or libpq's password file)."""
        if isinstance(target, PostgresBackend):
            return cls.connect(target.url, secret)
        assert isinstance(target, SqliteBackend)
        return cls.open(target.path, secret or "", daily_backup=daily_backup)

    @property
    def local_folder(self) -> Path:
        """This machine's folder for what never goes into a shared database (trust
        anchors, revocation lists): beside the local file, or the shared database's own
        folder in the user's data folder."""
        return self.backend.local_folder

    @property
    def signing_store(self) -> Database | LocalSettings:
        """Where the signing certificate and key are kept: inside the encrypted local
        file, or for a shared database in an owner-only file on this machine (the
        submitter's; never in the shared database)."""
        if isinstance(self.backend, PostgresBackend):
            return LocalSettings(self.local_folder)
        return self

    @property
    def must_change_password(self) -> bool:
        """True while a shared database's login still has its one-time password."""
        if not self.backend.shared:
            return False
        with self.read() as session:
            return bool(session.execute(text("SELECT jsdesk_must_change_password()")).scalar())

    def change_login_password(self, new_password: str) -> None:
        """Set a new password on one's own login to the shared database.

        The password is hashed here (SCRAM-SHA-256, by libpq) and only the hash is
        sent, so it never stands in the server's statement log."""
        if not self.backend.shared:
            raise ValueError("only a shared database has logins")
        if len(new_password) < MIN_PASSPHRASE_LENGTH:
            raise UserError(
                f"Passordet må ha minst {MIN_PASSPHRASE_LENGTH} tegn. Ingenting er endret.", 1
            )
        with self.write() as session:
            user = str(session.execute(text("SELECT session_user")).scalar_one())
            set_login_password(session.connection(), "CURRENT_USER", user, new_password)
            session.execute(text("SELECT jsdesk_password_changed()"))
            audit.append(session, at=utc_now(), action="byttet passord", variable=user)
        # New connections must log in with the new password: the engine would open them
        # with the old (one-time) one.
        assert isinstance(self.backend, PostgresBackend)
        with self._query_lock:
            self._close_query_connection()
        old = self._engine
        self._bind(self._key, make_server_engine(self.backend.url, new_password))
        old.dispose()

    def _prepare(self, *, daily_backup: bool) -> None:
        """Read the schema state, refuse newer databases, backup, migrate."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                revision = schema.current_revision(conn)
                conn.rollback()
                damage = backup.open_check(self.path, conn.connection.driver_connection)
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
        if damage:
            # Reported, not refused: the data can still be read; no backup is made
            # from a damaged file, so the good backups stay.
            self.damage = self._damaged_error(damage).message
        else:
            self.damage = self._behind_anchor()
        if self.damage is not None:
            self._settings = self._load_settings()
            return
        if revision != head:
            self.backup(backup.timestamped_backup_path(self.path, "for-oppgradering", now))
            with translate_errors(self.path), self._engine.connect() as conn:
                schema.upgrade(conn)
                conn.commit()
            self._record_event("oppgradert", old=revision, new=head)
        self._settings = self._load_settings()
        self.refresh_assessments()  # once, when the stored findings are of an older basis
        if daily_backup:
            # A failed daily backup must not lock the user out of the data: the
            # problem is kept for the UI and the log, and tried again next open.
            try:
                self.ensure_daily_backup(now)
            except UserError as exc:
                self.backup_problem = f"Dagens sikkerhetskopi ble ikke laget. {exc.message}"
                log.warning("Daily backup failed")

    @classmethod
    def restore(
        cls,
        path: Path,
        backup_path: Path,
        secret: str,
        confirm: Callable[[RestorePreview], bool] | None = None,
    ) -> Path | None:
        """Replace the database at ``path`` with ``backup_path``.

        The backup is checked first (key, integrity, schema version); then
        ``confirm`` (when given) is shown what will be lost and may say no;
        only then is the current database (with its WAL) copied aside and
        replaced. Returns the copy of the replaced database, or None when there
        was none.
        """
        path, backup_path = Path(path), Path(backup_path)
        if not backup_path.is_file():
            raise UserError(f"Fant ikke sikkerhetskopien {backup_path}.", 2)
        lock = SqliteBackend(path).lock(create_folder=True)
        try:
            key_path = key_file_path(path)
            if not key_path.exists():
                kept = backup_path.parent / key_path.name
                if kept.exists():
                    write_atomic(key_path, kept.read_bytes())
            db_key = unlock_key(path, secret)
            check_backup_file(backup_path, db_key)
            if (
                confirm is not None
                and path.exists()
                and not confirm(backup.restore_preview(path, backup_path, db_key))
            ):
                raise UserError("Gjenopprettingen er avbrutt. Ingenting er endret.", 1)
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
                db._record_event("gjenopprettet", new={"fra": backup_path.name})
                db._save_audit_anchor(force=True)  # the restored chain is the new truth
                restrict_existing(sqlite_sidecars(path))
            finally:
                db.close()
        finally:
            lock.release()
        return aside

    def close(self) -> None:
        """Record the audit anchor, close every connection, release the lock (idempotent)."""
        if not self._closed:
            self._closed = True
            self._anchor_quietly()
        with self._query_lock:
            self._close_query_connection()
        self._engine.dispose()
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- checks -----------------------------------------------------------------

    def check(self) -> CheckReport:
        """Full SQLite integrity check, audit chain verification, migration state."""
        with self.read() as session:
            integrity = self.backend.integrity(session)
            chain = audit.verify(session, self._audit_anchor())
            revision = schema.current_revision(session.connection())
        return CheckReport(
            integrity=integrity,
            chain=chain,
            revision=revision,
            head=schema.HEAD_REVISION,
            advice=self.backend.damage_advice(),
            checked=self.backend.integrity_label,
        )

    @property
    def key(self) -> bytes:
        """The raw database key (for backups of this database; never log it)."""
        return self._key
