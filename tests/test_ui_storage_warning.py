"""The main window says at once, and keeps saying, when storage cannot be trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from ui_support import PASSPHRASE, make_db

from jsdesk.storage.backup import daily_backups
from jsdesk.storage.files import backup_dir
from jsdesk.ui.app import create_main_window
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _window(qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    window = create_main_window(["jsdesk", "--db", str(db_path)])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not window.loading)
    assert window.stack.currentWidget() is window.overview
    return window


def test_daily_backup_fails__bokmal_warning_stays_until_a_backup_works(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "jsdesk.db"
    make_db(db_path)
    backup_dir(db_path).write_text("en fil der mappen skal ligge")
    window = _window(qtbot, db_path, monkeypatch)
    warning = window.storage_warning
    qtbot.waitUntil(warning.isVisible)
    assert warning.objectName() == "lagringsvarsel"
    assert "Dagens sikkerhetskopi ble ikke laget" in warning.text()
    assert str(backup_dir(db_path)) in warning.text()
    qtbot.wait(300)
    assert warning.isVisible()  # not a status message that fades
    window.close()

    backup_dir(db_path).unlink()
    window = _window(qtbot, db_path, monkeypatch)
    qtbot.waitUntil(lambda: bool(daily_backups(db_path)))
    assert not window.storage_warning.isVisible()
    window.close()


def test_damaged_database__warning_names_the_newest_good_backup(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "jsdesk.db"
    make_db(db_path)
    window = _window(qtbot, db_path, monkeypatch)
    qtbot.waitUntil(lambda: bool(daily_backups(db_path)))
    (good,) = daily_backups(db_path)
    window.close()
    db_path.write_bytes(db_path.read_bytes() + b"fremmede data")
    window = _window(qtbot, db_path, monkeypatch)
    warning = window.storage_warning
    assert warning.isVisible()
    assert "er skadet" in warning.text() and str(good) in warning.text()
    window.close()
