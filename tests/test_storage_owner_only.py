"""Owner-only ACLs on Windows, read back with the Windows API (pywin32, a dev dependency).

These run on Windows only: in the release workflow's test job on a Windows runner, and
in CI under Debian's Wine (scripts/windows-tests-wine.sh). On POSIX the same files are
checked for 0600/0700 by tests/test_storage_trust.py and test_submission_export.py.
Each file jsdesk makes with personal data or keys must have a protected DACL (nothing
inherited from the folder) with one entry: full control for the user running jsdesk.

Under Wine less can be seen: Wine keeps no DACL of its own (storing one is a wine-staging
patch, not in Debian's Wine). It turns the DACL set into the file's unix mode and reads
back an entry for SYSTEM and one for the owner, plus Everyone when others may read. There
the check is that nobody but the user (and SYSTEM, which Wine always names) has an entry,
and that the user has full control: a file jsdesk left as it was made (0644) fails it.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import FORM_VERSION, PASSPHRASE, new_db, record
from submission_support import PASSPHRASE as SUBMISSION_PASSPHRASE
from submission_support import make_template_db

from jsdesk.storage import Database
from jsdesk.storage.backup import backup_dir, daily_backups
from jsdesk.submission.create import create_submission, plan_submission

if sys.platform == "win32":
    import ntsecuritycon
    import win32api
    import win32security

pytestmark = pytest.mark.skipif(sys.platform != "win32", reason="Windows ACLs")

_SYSTEM = "S-1-5-18"


def _wine_version() -> str | None:
    """Wine's version when these run under Wine, else None (ntdll names it there)."""
    if sys.platform != "win32":
        return None
    get_version = getattr(ctypes.WinDLL("ntdll"), "wine_get_version", None)
    if get_version is None:
        return None
    get_version.restype = ctypes.c_char_p
    return str(get_version().decode())


def _user_sid() -> Any:
    token = win32security.OpenProcessToken(win32api.GetCurrentProcess(), win32security.TOKEN_QUERY)
    return win32security.GetTokenInformation(token, win32security.TokenUser)[0]


def _problems(path: Path, *, folder: bool = False) -> list[str]:
    """What is wrong with ``path``'s DACL for an owner-only file (empty: nothing)."""
    descriptor = win32security.GetFileSecurity(str(path), win32security.DACL_SECURITY_INFORMATION)
    control, _revision = descriptor.GetSecurityDescriptorControl()
    dacl = descriptor.GetSecurityDescriptorDacl()
    problems = []
    if _wine_version() is not None:
        return _problems_under_wine(path, dacl)
    if not control & win32security.SE_DACL_PROTECTED:
        problems.append(f"{path.name}: inherits from its folder")
    aces = [dacl.GetAce(i) for i in range(dacl.GetAceCount())]
    if len(aces) != 1:
        names = [win32security.LookupAccountSid(None, sid)[0] for _h, _m, sid in aces]
        problems.append(f"{path.name}: {len(aces)} entries {names}")
        return problems
    (ace_type, flags), mask, sid = aces[0]
    if ace_type != ntsecuritycon.ACCESS_ALLOWED_ACE_TYPE or sid != _user_sid():
        problems.append(f"{path.name}: the entry is not 'allow' for the user")
    if mask & ntsecuritycon.FILE_ALL_ACCESS != ntsecuritycon.FILE_ALL_ACCESS:
        problems.append(f"{path.name}: not full control ({mask:#x})")
    inherit = ntsecuritycon.OBJECT_INHERIT_ACE | ntsecuritycon.CONTAINER_INHERIT_ACE
    if folder and flags & inherit != inherit:
        problems.append(f"{path.name}: files made in it would not inherit the entry")
    return problems


def _problems_under_wine(path: Path, dacl: Any) -> list[str]:
    """What Wine can show (its DACL is read back from the unix mode): no entry for anyone
    but the user and SYSTEM, and full control for the user."""
    aces = [dacl.GetAce(i) for i in range(dacl.GetAceCount())]
    user = win32security.ConvertSidToStringSid(_user_sid())
    problems = []
    for (ace_type, _flags), mask, sid in aces:
        name = win32security.ConvertSidToStringSid(sid)
        if ace_type != ntsecuritycon.ACCESS_ALLOWED_ACE_TYPE:
            continue
        if name not in (user, _SYSTEM):
            account = win32security.LookupAccountSid(None, sid)[0]
            problems.append(f"{path.name}: {account} ({name}) has access {mask:#x}")
        elif name == user and mask & ntsecuritycon.FILE_ALL_ACCESS != ntsecuritycon.FILE_ALL_ACCESS:
            problems.append(f"{path.name}: not full control for the user ({mask:#x})")
    return problems


def test_acl__new_database_wal_shm_key_file_backups__owner_only(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)  # its folder "data" is made by jsdesk
    with db:
        db.create_participation(record(1), form_version=FORM_VERSION)
        db.ensure_daily_backup()
        files = [db.path, *(db.path.with_name(db.path.name + s) for s in ("-wal", "-shm"))]
        files.append(db.path.with_name(db.path.name + ".keys"))
        files += [p for p in backup_dir(db.path).iterdir() if p.is_file()]
        problems = [p for f in files for p in _problems(f)]
    problems += _problems(db.path.parent, folder=True) + _problems(backup_dir(db.path), folder=True)
    assert problems == []


def test_acl__database_in_a_folder_the_user_chose__file_and_wal_shm_owner_only(
    tmp_path: Path,
) -> None:
    chosen = tmp_path / "Dokumenter"
    chosen.mkdir()  # exists already: jsdesk leaves its ACL alone and protects its own files
    db, _ = Database.create(
        chosen / "jsdesk.db",
        PASSPHRASE,
        kommunenummer="0301",
        bydel="030101",
        test_installation=True,
    )
    db.close()
    with Database.open(chosen / "jsdesk.db", PASSPHRASE, daily_backup=False) as again:
        again.create_participation(record(2), form_version=FORM_VERSION)
        names = ("", "-wal", "-shm", ".keys")
        files = [again.path.with_name(again.path.name + s) for s in names]
        assert all(f.exists() for f in files)
        assert [p for f in files for p in _problems(f)] == []


def test_acl__restore__set_aside_copy_and_restored_database_owner_only(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        db.create_participation(record(1), form_version=FORM_VERSION)
        db.ensure_daily_backup()
    aside = Database.restore(db.path, daily_backups(db.path)[0], PASSPHRASE)
    assert aside is not None
    assert _problems(aside) + _problems(db.path) == []


def test_acl__unencrypted_test_submission__owner_only(tmp_path: Path) -> None:
    template = make_template_db(tmp_path / "mal")
    out = tmp_path / "ut"
    out.mkdir()
    with Database.open(template, SUBMISSION_PASSPHRASE, daily_backup=False) as db:
        result = create_submission(db, plan_submission(db), out)
    assert not result.encrypted
    assert _problems(result.path) == []
