"""Turning SQLite's environment failures into messages for the user.

Only failures of the environment (full disk, read-only folder, damaged file) are
translated; anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy.exc import DatabaseError

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


def classify(exc: BaseException) -> str | None:
    """'full', 'readonly', 'corrupt', 'io' or None (not an environment failure)."""
    if isinstance(exc, OSError) and not isinstance(exc, DatabaseError):
        return ERRNO_KINDS.get(exc.errno or 0)
    text = str(getattr(exc, "orig", exc)).lower()
    if "database or disk is full" in text or "file too large" in text:
        return "full"
    if "readonly" in text or "read-only" in text or "unable to open database" in text:
        return "readonly"
    if "file is not a database" in text or "malformed" in text or "not a database" in text:
        return "corrupt"
    if "disk i/o error" in text:
        return "io"
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
