"""Owner-only access to the files and folders jsdesk creates: 0600/0700 on POSIX, an ACL on Windows.

On Windows ``chmod`` sets only the read-only flag; who may read a file is its ACL,
inherited from the folder. A database in a folder the user chose (Documents, a
shared drive) would let everyone the folder lets in read the file and its
``-wal``/``-shm``. So jsdesk gives the file an ACL of its own: inheritance removed
and one entry, full control for the current user (by SID). That is how an SSH key
is protected on Windows, and what ``os.mkdir(mode=0o700)`` does from Python 3.13.

The ACL is set with ``icacls``, which every Windows since Vista has: no package to
ship, lock, bundle or license (pywin32 would be all four), and the calls are rare
(creating a database, a backup, a key file, a test submission; once per open for
the ``-wal``/``-shm``). The user's SID comes from ``whoami /user`` once per process.
Administrators and backup software keep their way in through their privileges
(take ownership, SeBackupPrivilege), as root does on POSIX.

Where Windows cannot keep an ACL (FAT/exFAT memory sticks) or refuses (some network
shares) the file stays as the folder gives it; the log says so, once per folder.
"""

from __future__ import annotations

import csv
import functools
import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger("jsdesk.storage")

_TIMEOUT = 30
_FULL_FILE = "F"
_FULL_TREE = "(OI)(CI)F"  # a folder's entry is inherited by what is created in it
_warned: set[str] = set()


def restrict_file(path: Path) -> None:
    """``path`` readable and writable by its owner only (0600; owner-only ACL on Windows)."""
    if os.name == "nt":
        _owner_only_acl(path, _FULL_FILE)
    else:
        os.chmod(path, 0o600)


def restrict_dir(path: Path) -> None:
    """The folder ``path`` for its owner only (0700; owner-only, inherited ACL on Windows)."""
    if os.name == "nt":
        _owner_only_acl(path, _FULL_TREE)
    else:
        os.chmod(path, 0o700)


def restrict_existing(paths: list[Path]) -> None:
    """``restrict_file`` for each of ``paths`` that exists (e.g. a database's ``-wal``/``-shm``).

    On POSIX SQLite already gives those the database file's mode, so only Windows
    needs this.
    """
    if os.name != "nt":
        return
    for path in paths:
        if path.exists():
            _owner_only_acl(path, _FULL_FILE)


@functools.lru_cache(maxsize=1)
def current_user_sid() -> str | None:
    """The SID of the user running jsdesk ("S-1-5-21-…"), from ``whoami /user``; None if unknown."""
    try:
        done = subprocess.run(
            ["whoami", "/user", "/fo", "csv", "/nh"],
            capture_output=True,
            timeout=_TIMEOUT,
            check=True,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.decode("utf-8", errors="replace")
    for row in csv.reader(text.splitlines()):
        for field in row:
            if field.startswith("S-1-"):
                return field
    return None


def _owner_only_acl(path: Path, grant: str) -> bool:
    sid = current_user_sid()
    if sid is None:
        _warn(path, "fant ikke brukerens SID")
        return False
    try:
        done = subprocess.run(
            ["icacls", str(path), "/inheritance:r", "/grant:r", f"*{sid}:{grant}", "/q"],
            capture_output=True,
            timeout=_TIMEOUT,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        _warn(path, type(exc).__name__)
        return False
    if done.returncode != 0:
        _warn(path, f"icacls avsluttet med {done.returncode}")
        return False
    return True


def _warn(path: Path, reason: str) -> None:
    folder = str(path.parent)
    if folder not in _warned:
        _warned.add(folder)
        log.warning("Kunne ikke gi filene i en mappe tilgang bare for eieren (%s)", reason)
