"""The single-process lock beside the database file (``<database>.lock``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from jsdesk.errors import UserError
from jsdesk.storage.errors import environment_error
from jsdesk.storage.files import private_dir


def lock_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def acquire_lock(db_path: Path, *, create_folder: bool = False) -> Any:
    """Lock ``db_path`` for this process; with ``create_folder``, make its folder first (0700).

    The lock file sits beside the resolved path, so opening the same database
    through a symlink (or another spelling of the path) meets the same lock.
    """
    if create_folder:
        try:
            private_dir(db_path.parent)
        except OSError:
            raise environment_error("readonly", db_path) from None

    real = db_path.resolve()
    lock = FileLock(str(lock_file_path(real)), timeout=0, thread_local=False, mode=0o600)
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
