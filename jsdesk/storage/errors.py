"""Telling failures of the environment apart by their codes, and messages for the user.

Only failures of the environment (full disk, read-only folder, damaged file) are
translated; anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy.exc import DatabaseError, OperationalError

from jsdesk.errors import UserError
from jsdesk.storage.files import backup_dir

RESTORE_HINT = (
    "Du kan gjenopprette en sikkerhetskopi med «jsdesk db restore FIL»; "
    "sikkerhetskopiene ligger i {backups}."
)


def restore_hint(db_path: Path) -> str:
    return RESTORE_HINT.format(backups=backup_dir(db_path))


def corrupt_error(db_path: Path) -> UserError:
    return UserError(
        f"Databasefilen {db_path} er skadet eller er ikke en jsdesk-database. "
        f"Ingenting er endret. {restore_hint(db_path)}",
        4,
    )


# What an OSError's errno means for the database, shared by both back ends' classification.
ERRNO_KINDS = {
    errno.ENOSPC: "full",
    errno.EFBIG: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "readonly",
    errno.EACCES: "readonly",
    errno.EPERM: "readonly",
    errno.EIO: "io",
}


# SQLite's primary result codes: sqlcipher3 sets ``sqlite_errorcode`` on every error SQLite
# reports (an extended code, such as SQLITE_IOERR_WRITE, keeps its primary code in the low
# byte). SQLCipher reports a wrong key, a damaged first page or a file that is no database
# at all as SQLITE_NOTADB, and a page that fails authentication as SQLITE_CORRUPT.
_SQLITE_KINDS = {
    sqlcipher3.SQLITE_FULL: "full",
    sqlcipher3.SQLITE_READONLY: "readonly",
    sqlcipher3.SQLITE_CANTOPEN: "readonly",
    sqlcipher3.SQLITE_PERM: "readonly",
    sqlcipher3.SQLITE_CORRUPT: "corrupt",
    sqlcipher3.SQLITE_NOTADB: "corrupt",
    sqlcipher3.SQLITE_IOERR: "io",
}

# PostgreSQL's SQLSTATE classes and codes.
_PG_KINDS = {
    "08": "unreachable",  # connection exception
    "28": "login",  # invalid authorization
    "53": "full",  # insufficient resources (disk full: 53100)
    "57": "unreachable",  # operator intervention (server shut down)
    "58": "io",  # system error
    "XX": "corrupt",  # internal error (data corrupted: XX001)
}
_PG_CODES = {
    "42501": "denied",  # insufficient privilege (grants, row-level security, triggers)
    "40001": "conflict",  # serialization failure
    "40P01": "conflict",  # deadlock detected
    "55P03": "conflict",  # lock not available (the connection's lock_timeout ran out)
    "25006": "readonly",  # read-only transaction
}


def password_missing(exc: BaseException) -> bool:
    """A refused connection where the server asked for a password and libpq had none
    (not typed, not in the URL, ``PGPASSWORD`` or the password file): from libpq's own
    flags (PQconnectionNeedsPassword), never the message."""
    pgconn = getattr(getattr(exc, "orig", exc), "pgconn", None)
    return bool(pgconn is not None and pgconn.needs_password)


def classify(exc: BaseException) -> str | None:
    """What failed in the environment, from the exception's type and code, never its text:
    'full', 'readonly', 'corrupt', 'io' (either back end), 'unreachable', 'login',
    'denied', 'conflict' (the shared database), or None (not a failure of the
    environment: a bug, which propagates unchanged).

    Both back ends' errors are read: an OSError's errno, SQLite's result code
    (``sqlite_errorcode``) and PostgreSQL's SQLSTATE, whether raised by the driver or
    wrapped by SQLAlchemy (``exc.orig``)."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, OSError):
        return ERRNO_KINDS.get(orig.errno or 0)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return _PG_CODES.get(sqlstate) or _PG_KINDS.get(sqlstate[:2])
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_KINDS.get(code & 0xFF)
    pgconn = getattr(orig, "pgconn", None)
    if pgconn is not None and type(orig).__module__.startswith("psycopg"):
        # A failed connection has no SQLSTATE; libpq tells whether a login was tried.
        # psycopg 3.2.2 (our floor) does not tell whether GSSAPI was used; there only
        # a password counts as a login that was tried.
        tried = (
            pgconn.used_password or pgconn.needs_password or getattr(pgconn, "used_gssapi", False)
        )
        return "login" if tried else "unreachable"
    if isinstance(exc, OperationalError) and type(orig).__module__.startswith("psycopg"):
        # No connection at all and no SQLSTATE: psycopg gave up waiting for the server
        # (libpq's connect_timeout; psycopg.errors.ConnectionTimeout from 3.2 on).
        return "unreachable"
    return None


def environment_error(kind: str, db_path: Path) -> UserError:
    if kind == "full":
        return UserError(
            f"Disken er full, så endringen ble ikke lagret i {db_path}. Alt som var lagret "
            "før er uendret. Frigjør plass på disken og prøv igjen. Skulle databasen likevel "
            f"være skadet: {restore_hint(db_path)}",
            5,
        )
    if kind == "readonly":
        return UserError(
            f"jsdesk kan ikke skrive til {db_path} eller mappen den ligger i (skrivebeskyttet). "
            "Ingenting er endret. Flytt databasen til en mappe du kan skrive i, eller be IT om "
            f"skrivetilgang. {restore_hint(db_path)}",
            5,
        )
    if kind == "corrupt":
        return corrupt_error(db_path)
    return UserError(
        f"Lese- eller skrivefeil på disken for {db_path}. Endringen ble ikke lagret. "
        f"Sjekk disken og prøv igjen. {restore_hint(db_path)}",
        5,
    )


@contextmanager
def translate_errors(db_path: Path) -> Iterator[None]:
    """Re-raise environment failures from SQLite as ``UserError``."""
    try:
        yield
    except (DatabaseError, sqlcipher3.DatabaseError, OSError) as exc:
        kind = classify(exc)
        if kind is None:
            raise
        raise environment_error(kind, db_path) from exc
