"""The main window says at once, and keeps saying, when storage cannot be trusted.

The daily backup and the damage check are the local file's (SQLite only by nature: a
copy of the file beside it, the file's own bytes); a shared database's backups are the
server's, and the window neither makes one nor warns about one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import make_db, make_installation, open_installation_window, open_main_window

from jsdesk.storage.backup import daily_backups
from jsdesk.storage.files import backup_dir

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.mark.sqlite_only  # the daily backup copies the local file into the folder beside it
def test_daily_backup_fails__bokmal_warning_stays_until_a_backup_works(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "jsdesk.db"
    make_db(db_path)
    backup_dir(db_path).write_text("en fil der mappen skal ligge")
    window = open_main_window(qtbot, db_path, monkeypatch)
    warning = window.storage_warning
    qtbot.waitUntil(warning.isVisible)
    assert warning.objectName() == "lagringsvarsel"
    assert "Dagens sikkerhetskopi ble ikke laget" in warning.text()
    assert str(backup_dir(db_path)) in warning.text()
    qtbot.wait(300)
    assert warning.isVisible()  # not a status message that fades
    window.close()

    backup_dir(db_path).unlink()
    window = open_main_window(qtbot, db_path, monkeypatch)
    qtbot.waitUntil(lambda: bool(daily_backups(db_path)))
    assert not window.storage_warning.isVisible()
    window.close()


@pytest.mark.sqlite_only  # the damage is written into the local file's own bytes
def test_damaged_database__warning_names_the_newest_good_backup(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "jsdesk.db"
    make_db(db_path)
    window = open_main_window(qtbot, db_path, monkeypatch)
    qtbot.waitUntil(lambda: bool(daily_backups(db_path)))
    (good,) = daily_backups(db_path)
    window.close()
    db_path.write_bytes(db_path.read_bytes() + b"fremmede data")
    window = open_main_window(qtbot, db_path, monkeypatch)
    warning = window.storage_warning
    assert warning.isVisible()
    assert "er skadet" in warning.text() and str(good) in warning.text()
    window.close()


@pytest.mark.parametrize("installation", ["postgresql"], indirect=True)
def test_shared_database__no_daily_backup_and_no_storage_warning(
    qtbot: QtBot, installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_installation(installation)
    window = open_installation_window(qtbot, installation, monkeypatch)
    qtbot.wait(1000)  # twice the time after which a local file's daily backup is made
    assert not window.storage_warning.isVisible()
    assert "sikkerhetskopi" not in window.statusBar().currentMessage()
    assert not list(tmp_path.rglob("*.db*"))  # no local copy of the shared data
    window.close()
