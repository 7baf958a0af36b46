"""The main window says at once, and keeps saying, when storage cannot be trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from ui_support import make_db, open_main_window

from jsdesk.storage.backup import daily_backups
from jsdesk.storage.files import backup_dir

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


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
