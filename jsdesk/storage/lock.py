"""The single-process lock beside the database file (``<database>.lock``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from jsdesk.errors import UserError
from jsdesk.storage.errors import environment_error


def lock_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def acquire_lock(db_path: Path, *, create_folder: bool = False) -> Any:
    """Lock ``db_path`` for this process; with ``create_folder``, make its folder first."""
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
