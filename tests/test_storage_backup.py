"""Daily rotating backups and restoring from any of them.

SQLite only: these are copies of the local file; a shared database's backups are the
server's (``pg_dump``, docs/server.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from storage_helpers import FORM_VERSION, PASSPHRASE, new_db, raw_rows, record

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import KEEP_DAILY, daily_backups

pytestmark = pytest.mark.sqlite_only


def _day(n: int) -> datetime:
    return datetime(2026, 1, n, 12, 0, tzinfo=UTC)


def test_backup__sixteen_days__fourteen_newest_kept_one_per_day(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        for n in range(1, 17):
            db.set_value(pid, "ankomstar", 2000 + n)
            assert db.ensure_daily_backup(_day(n)) is not None
        assert db.ensure_daily_backup(_day(16).replace(hour=13)) is None
    names = [p.name for p in daily_backups(db.path)]
    assert len(names) == KEEP_DAILY == 14
    assert names[0].endswith("2026-01-03.db") and names[-1].endswith("2026-01-16.db")


def test_restore__from_any_backup__values_of_that_day_and_audit_sound(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(2), form_version=FORM_VERSION)
        for n in range(1, 6):
            db.set_value(pid, "ankomstar", 2000 + n)
            db.ensure_daily_backup(_day(n))
        db.set_value(pid, "ankomstar", 2099)
    backups = daily_backups(db.path)
    for n in (2, 5, 1):
        with pytest.raises(UserError, match="allerede åpen"), Database.open(db.path, PASSPHRASE):
            Database.restore(db.path, backups[n - 1], PASSPHRASE)
        aside = Database.restore(db.path, backups[n - 1], PASSPHRASE)
        assert aside is not None and aside.exists()
        with Database.open(db.path, PASSPHRASE, daily_backup=False) as restored:
            assert restored.get_participation(pid).values["ankomstar"] == 2000 + n
            assert restored.check().ok
    actions = raw_rows(db.path, db.key, "SELECT action FROM audit_events ORDER BY id")
    assert actions[-1] == ("gjenopprettet",)


def test_restore__file_from_another_database__refused_nothing_changed(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    other, _ = new_db(tmp_path, name="annen.db")
    with other:
        other_backup = other.backup(tmp_path / "annen-kopi.db")
    with db:
        pid = db.create_participation(record(3), form_version=FORM_VERSION)
    before = db.path.read_bytes()
    with pytest.raises(UserError, match="ikke kryptert med nøkkelen") as caught:
        Database.restore(db.path, other_backup, PASSPHRASE)
    assert "Ingenting er endret" in caught.value.message
    assert db.path.read_bytes() == before
    with Database.open(db.path, PASSPHRASE) as again:
        assert again.get_participation(pid).values["fodselsnummer"] == record(3)["fodselsnummer"]
