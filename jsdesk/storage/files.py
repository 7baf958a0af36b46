"""Where a database's files live and how jsdesk writes them: beside the database
its key file and its backup folder; files written atomically and privately.

The lowest module of ``jsdesk.storage``: it imports only ``owner_only`` (which
imports nothing from jsdesk), so the key file, the backups and the error messages can
all use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jsdesk.storage.owner_only import restrict_dir, restrict_file


def key_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".keys")


def backup_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "-sikkerhetskopier")


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary owner-only file, fsync and rename.

    With ``durable=False`` nothing is fsynced: a reader sees the old or the new
    content, but after a power loss the old content may come back.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        private_file(Path(tmp_name))  # mkstemp made it 0600; on Windows the ACL (file closed)
        os.replace(tmp_name, path)  # the rename keeps the file's mode and ACL
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def private_file(path: Path) -> None:
    """Make ``path`` readable and writable by its owner only (0600 on POSIX, an
    owner-only ACL on Windows; see ``jsdesk.storage.owner_only``)."""
    restrict_file(path)


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if needed; a folder jsdesk creates is its owner's only
    (0700, or an owner-only ACL that what is made in it inherits). A folder that exists
    (one the user chose) is left as it is."""
    if path.is_dir():
        return
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    restrict_dir(path)  # mkdir's mode is reduced by the umask, and ignored on Windows


def create_private_file(path: Path) -> None:
    """Create an empty file with mode 0600 (fails if it exists).

    SQLite gives a database's ``-wal``/``-shm``/``-journal`` the mode of the
    database file, so creating the database file this way keeps them private too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    private_file(path)
