"""Owner-only access to the files and folders jsdesk creates: 0600/0700 on POSIX, an ACL on Windows.

On Windows ``chmod`` sets only the read-only flag; who may read a file is its ACL,
inherited from the folder. A database in a folder the user chose (Documents, a
shared drive) would let everyone the folder lets in read the file and its
``-wal``/``-shm``. So jsdesk gives the file an ACL of its own: inheritance removed
and one entry, full control for the current user (by SID). That is how an SSH key
is protected on Windows, and what ``os.mkdir(mode=0o700)`` does from Python 3.13.

The ACL is set through the Windows security API itself, called with ctypes from the
standard library: no package to ship, lock, bundle or license (pywin32 would be all
four), no child process per file, and nothing parsed from a program's translated output
(``icacls`` and ``whoami`` print in the user's language). The user's SID is read from the
process token once per process. The descriptor is written as it is with
``SetFileSecurityW`` (protected flag included); jsdesk restricts only files it has just
made and folders it has just created, so nothing below needs the inheritance walk of
``SetNamedSecurityInfoW``, which Wine 8 also gets wrong (it adds the folder's inheritable
entries to a protected DACL), and the Windows tests run under Wine too
(scripts/windows-tests-wine.sh).
Administrators and backup software keep their way in through their privileges
(take ownership, SeBackupPrivilege), as root does on POSIX.

Where Windows cannot keep an ACL (FAT/exFAT memory sticks) or refuses (some network
shares) the file stays as the folder gives it; the log says so, once per folder.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
from ctypes import wintypes
from pathlib import Path
from typing import Any

log = logging.getLogger("jsdesk.storage")

# SDDL, the Windows notation for a security descriptor: a protected DACL ("P": nothing
# inherited from the folder) with one entry allowing ("A") full file access ("FA") to
# one SID. A folder's entry is inherited by the files ("OI") and folders ("CI") made in it.
_FILE_SDDL = "D:P(A;;FA;;;{sid})"
_FOLDER_SDDL = "D:P(A;OICI;FA;;;{sid})"

_DACL_SECURITY_INFORMATION = 0x00000004
_SDDL_REVISION_1 = 1
_TOKEN_QUERY = 0x0008
_TOKEN_USER = 1  # TOKEN_INFORMATION_CLASS TokenUser: a SID_AND_ATTRIBUTES, the SID first

_warned: set[str] = set()


def restrict_file(path: Path) -> None:
    """``path`` readable and writable by its owner only (0600; owner-only ACL on Windows)."""
    if sys.platform == "win32":
        _owner_only_acl(path, _FILE_SDDL)
    else:
        os.chmod(path, 0o600)


def restrict_dir(path: Path) -> None:
    """The folder ``path`` for its owner only (0700; owner-only, inherited ACL on Windows)."""
    if sys.platform == "win32":
        _owner_only_acl(path, _FOLDER_SDDL)
    else:
        os.chmod(path, 0o700)


def restrict_existing(paths: list[Path]) -> None:
    """``restrict_file`` for each of ``paths`` that exists (e.g. a database's ``-wal``/``-shm``).

    On POSIX SQLite already gives those the database file's mode, so only Windows
    needs this.
    """
    if sys.platform == "win32":
        for path in [path for path in paths if path.exists()]:
            _owner_only_acl(path, _FILE_SDDL)


if sys.platform == "win32":

    @functools.lru_cache(maxsize=1)
    def current_user_sid() -> str | None:
        """The SID of the user running jsdesk ("S-1-5-21-…"), from its token; None if unknown."""
        advapi32, kernel32 = _windows_api()
        token = wintypes.HANDLE()
        if not advapi32.OpenProcessToken(
            kernel32.GetCurrentProcess(), _TOKEN_QUERY, ctypes.byref(token)
        ):
            return None
        try:
            size = wintypes.DWORD()
            advapi32.GetTokenInformation(token, _TOKEN_USER, None, 0, ctypes.byref(size))
            token_user = ctypes.create_string_buffer(size.value)
            if not advapi32.GetTokenInformation(
                token, _TOKEN_USER, token_user, size, ctypes.byref(size)
            ):
                return None
        finally:
            kernel32.CloseHandle(token)
        sid = ctypes.c_void_p.from_buffer(token_user)
        text = wintypes.LPWSTR()
        if not advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)):
            return None
        try:
            return text.value
        finally:
            kernel32.LocalFree(ctypes.cast(text, ctypes.c_void_p))

    def _owner_only_acl(path: Path, sddl: str) -> bool:
        sid = current_user_sid()
        if sid is None:
            _warn(path, "fant ikke brukerens SID")
            return False
        advapi32, kernel32 = _windows_api()
        descriptor = ctypes.c_void_p()
        if not advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.format(sid=sid), _SDDL_REVISION_1, ctypes.byref(descriptor), None
        ):
            _warn(path, ctypes.FormatError(ctypes.get_last_error()))
            return False
        try:
            done = advapi32.SetFileSecurityW(str(path), _DACL_SECURITY_INFORMATION, descriptor)
            error = 0 if done else ctypes.get_last_error()
        finally:
            kernel32.LocalFree(descriptor)
        if error:
            _warn(path, ctypes.FormatError(error))
            return False
        return True

    @functools.lru_cache(maxsize=1)
    def _windows_api() -> tuple[ctypes.WinDLL, ctypes.WinDLL]:
        """advapi32 and kernel32 with the signatures used here (64-bit handles and pointers)."""
        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        pointer, handle = ctypes.c_void_p, wintypes.HANDLE
        dword, bool_ = wintypes.DWORD, wintypes.BOOL
        out = ctypes.POINTER
        signatures: list[tuple[Any, Any, list[Any]]] = [
            (kernel32.GetCurrentProcess, handle, []),
            (kernel32.CloseHandle, bool_, [handle]),
            (kernel32.LocalFree, pointer, [pointer]),
            (advapi32.OpenProcessToken, bool_, [handle, dword, out(handle)]),
            (
                advapi32.GetTokenInformation,
                bool_,
                [handle, ctypes.c_int, pointer, dword, out(dword)],
            ),
            (advapi32.ConvertSidToStringSidW, bool_, [pointer, out(wintypes.LPWSTR)]),
            (
                advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW,
                bool_,
                [wintypes.LPCWSTR, dword, out(pointer), out(wintypes.ULONG)],
            ),
            (advapi32.SetFileSecurityW, bool_, [wintypes.LPCWSTR, dword, pointer]),
        ]
        for function, restype, argtypes in signatures:
            function.restype = restype
            function.argtypes = argtypes
        return advapi32, kernel32


else:

    def current_user_sid() -> str | None:
        """The SID of the user running jsdesk: only Windows has one."""
        return None

    def _owner_only_acl(path: Path, sddl: str) -> bool:
        return False


def _warn(path: Path, reason: str) -> None:
    folder = str(path.parent)
    if folder not in _warned:
        _warned.add(folder)
        log.warning("Kunne ikke gi filene i en mappe tilgang bare for eieren (%s)", reason)
