"""The recovery key: the database is not used before the key is confirmed; a
window closed on the key screen gets a new key next start (the old one stops working);
"Kopier", "Skriv ut" and "Lagre som fil …"; no clashing mnemonics on the start screens.

The recovery key is a key slot of the local file (SQLite only by nature); a shared
database has none: the caseworker's login opens it, and a forgotten password is IT's."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    PASSPHRASE,
    make_installation,
    mnemonic_letters,
    open_installation_window,
    start_window,
)

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def set_up(qtbot: QtBot, window: MainWindow) -> str:
    setup = window.setup_panel
    assert window.stack.currentWidget() is setup
    letters = mnemonic_letters(window)
    assert len(letters) == len(set(letters)), sorted(letters)
    setup.passphrase.setText(PASSPHRASE)
    setup.repeat.setText(PASSPHRASE)
    setup.kommune.setCurrentIndex(setup.kommune.findData("3301"))
    setup.submit()
    assert window.stack.currentWidget() is window.recovery_panel
    return window.recovery_panel.key.text()


def file_dialog(window: MainWindow, name: str) -> QFileDialog:
    dialog = window.findChild(QFileDialog, name)
    assert dialog is not None and dialog.isVisible(), name
    return dialog


@pytest.mark.sqlite_only  # the recovery key is a key slot of the local file
def test_window_closed_on_the_key__new_key_next_start__old_key_invalid(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    db_path = tmp_path / "jsdesk.db"
    window = start_window(qtbot, db_path)
    first_key = set_up(qtbot, window)
    # Not usable yet: no overview, no actions, the context holds no database.
    assert not window.context.is_open
    assert not window.action_new.isEnabled()
    letters = mnemonic_letters(window)
    assert len(letters) == len(set(letters)), sorted(letters)
    window.close()

    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    window = start_window(qtbot, db_path)
    recovery = window.recovery_panel
    assert window.stack.currentWidget() is recovery
    second_key = recovery.key.text()
    assert second_key and second_key != first_key
    assert "byttet ut" in recovery.intro.text()
    assert not window.context.is_open
    recovery.confirm.setChecked(True)
    recovery.continue_button.click()
    assert window.stack.currentWidget() is window.overview
    window.close()

    with pytest.raises(UserError):
        Database.open(db_path, first_key)
    with Database.open(db_path, second_key) as db:
        assert db.recovery_key_confirmed
    window = start_window(qtbot, db_path)
    assert window.stack.currentWidget() is window.overview
    window.close()


@pytest.mark.sqlite_only  # the recovery key is a key slot of the local file
def test_recovery_key__kopier_lagre_som_fil_skriv_ut(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    window = start_window(qtbot, tmp_path / "jsdesk.db")
    key = set_up(qtbot, window)
    recovery = window.recovery_panel

    recovery.copy_button.click()
    assert QApplication.clipboard().text() == key

    recovery.save_button.click()
    dialog = file_dialog(window, "lagre_nokkel_dialog")
    target = tmp_path / "nøkkel.txt"
    dialog.selectFile(str(target))
    dialog.accept()
    assert key in target.read_text(encoding="utf-8")
    assert str(target) in recovery.status.text()

    recovery.print_button.click()  # no printer here: saved as PDF
    dialog = file_dialog(window, "lagre_pdf_dialog")
    dialog.selectFile(str(tmp_path / "nøkkel"))
    dialog.accept()
    assert (tmp_path / "nøkkel.pdf").read_bytes().startswith(b"%PDF")
    window.close()


@pytest.mark.parametrize("installation", ["postgresql"], indirect=True)
def test_shared_database__no_recovery_key__overview_at_once_and_a_new_key_refused_in_bokmal(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_installation(installation)
    window = open_installation_window(qtbot, installation, monkeypatch)
    assert window.context.is_open and window.action_new.isEnabled()
    assert not window.recovery_panel.key.text()  # never shown one
    window.close()
    with installation.reopen() as db:
        assert db.recovery_key_confirmed  # nothing awaits confirmation at the next start
        with pytest.raises(UserError, match="Den felles databasen har ingen gjenopprettingsnøkkel"):
            db.new_recovery_key()
