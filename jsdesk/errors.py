"""Error types and exit codes: environment failures the user can act on, as opposed to bugs.

A ``UserError`` carries a Bokmål message meant for the caseworker and an exit
code for the command line. Anything else that escapes is a bug: it is logged
(without personal data, see ``jsdesk.logs``) and the user gets a short, generic
message with the log file's path.
"""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    """The command line's exit codes (listed in README.md, "Exit codes")."""

    OK = 0
    FAILED = 1  # the check found problems, or the request was refused
    UNREADABLE = 2  # wrong passphrase or login password, missing or unreadable file
    LOCKED = 3  # the database is open in another jsdesk
    DAMAGED = 4  # the database or backup is damaged or from a newer jsdesk
    DISK = 5  # disk full, read-only folder, I/O error
    NO_DISPLAY = 6  # the window cannot open: no display
    USAGE = 64  # wrong options or arguments (BSD sysexits EX_USAGE)
    UNEXPECTED = 70  # a bug: details in the log file (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl+C


class UserError(Exception):
    """A failure with a message for the user (wrong passphrase, locked file, bad input file)."""

    def __init__(self, message: str, exit_code: int = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


_OS_REASONS = {
    errno.ENOSPC: "disken er full",
    errno.EDQUOT: "diskkvoten er brukt opp",
    errno.EFBIG: "filen blir for stor for disken",
    errno.EROFS: "disken er skrivebeskyttet",
    errno.EACCES: "du har ikke tilgang",
    errno.EPERM: "du har ikke tilgang",
    errno.ENOENT: "mappen eller filen finnes ikke",
    errno.EIO: "lese- eller skrivefeil på disken",
}


def os_error_reason(exc: OSError) -> str:
    """Why a file operation failed, in Bokmål (the system's own text only when unknown)."""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


_exit_at_least = 0


def exit_at_least(code: int) -> None:
    """Make the running command end with at least ``code`` although it finished its work.

    For problems beside the command's own work that must not pass unnoticed
    (a failed daily backup): the message is printed at once, the exit code says
    it at the end.
    """
    global _exit_at_least
    _exit_at_least = max(_exit_at_least, code)


def take_exit_at_least() -> int:
    """The code set by ``exit_at_least`` since the last call (and reset it)."""
    global _exit_at_least
    code, _exit_at_least = _exit_at_least, 0
    return code
