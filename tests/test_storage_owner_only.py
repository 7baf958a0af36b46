"""Owner-only ACLs on Windows, read back with the Windows API (pywin32, a dev dependency).

These run on Windows only (the release workflow's test job); on POSIX the same files
are checked for 0600/0700 by tests/test_storage_trust.py and test_submission_export.py.
Each file jsdesk makes with personal data or keys must have a protected DACL (nothing
inherited from the folder) with one entry: full control for the user running jsdesk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import FORM_VERSION, PASSPHRASE, new_db, record

from jsdesk.storage import Database
from jsdesk.storage.backup import backup_dir, daily_backups

pytestmark = pytest.mark.skipif(os.name != "nt", reason="Windows ACLs")


def _user_sid() -> Any:
    import win32api
    import win32security

    token = win32security.OpenProcessToken(win32api.GetCurrentProcess(), win32security.TOKEN_QUERY)
    return win32security.GetTokenInformation(token, win32security.TokenUser)[0]


def _problems(path: Path, *, folder: bool = False) -> list[str]:
    """What is wrong with ``path``'s DACL for an owner-only file (empty: nothing)."""
    import ntsecuritycon
    import win32security

    descriptor = win32security.GetFileSecurity(str(path), win32security.DACL_SECURITY_INFORMATION)
    control, _revision = descriptor.GetSecurityDescriptorControl()
    dacl = descriptor.GetSecurityDescriptorDacl()
    problems = []
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
    from submission_support import PASSPHRASE as SUBMISSION_PASSPHRASE
    from submission_support import make_template_db

    from jsdesk.submission.create import create_submission, plan_submission

    template = make_template_db(tmp_path / "mal")
    out = tmp_path / "ut"
    out.mkdir()
    with Database.open(template, SUBMISSION_PASSPHRASE, daily_backup=False) as db:
        result = create_submission(db, plan_submission(db), out)
    assert not result.encrypted
    assert _problems(result.path) == []
