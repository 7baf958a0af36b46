"""The main window: first-start setup, unlock, idle lock and the participation overview."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QPushButton,
)
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    FORM_VERSION,
    PASSPHRASE,
    make_installation,
    open_installation_window,
    person,
    start_window,
    synthetic,
)

from jsdesk.storage import Database
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.participations_model import PAGE_SIZE

# The offscreen platform cannot raise windows, grab the keyboard or size hints.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def type_into(qtbot: QtBot, widget: object, text: str) -> None:
    qtbot.keyClicks(widget, text)


def asking_for_secret(installation: Installation) -> str:
    """What ``--db`` names so that the window asks for the secret: the local file's path,
    a shared database's URL without the login's password."""
    target = installation.target
    assert target is not None
    if isinstance(target, Path):
        return str(target)
    parts = urlsplit(target)
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}@{host}").geturl()


def unlock_with(qtbot: QtBot, window: MainWindow, secret: str) -> None:
    """Type ``secret`` on the unlock panel and wait for the answer (a shared database's
    server is asked off the UI thread)."""
    qtbot.keyClicks(window.unlock_panel.secret, secret)
    qtbot.keyClick(window.unlock_panel.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.waiting_for_server, timeout=20000)


@pytest.mark.sqlite_only  # the local file's passphrase and recovery key (shared: ui_shared_start)
def test_first_start__keyboard_setup__recovery_key_shown_once_then_overview(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    db_path = tmp_path / "ny" / "jsdesk.db"
    window = start_window(qtbot, db_path)
    setup = window.setup_panel
    assert window.stack.currentWidget() is setup
    type_into(qtbot, setup.passphrase, "for kort")
    qtbot.keyClick(setup.passphrase, Qt.Key.Key_Return)
    type_into(qtbot, setup.repeat, "for kort")
    qtbot.keyClick(setup.repeat, Qt.Key.Key_Return)
    assert "minst 12 tegn" in setup.error.text()
    setup.passphrase.clear()
    setup.repeat.clear()
    type_into(qtbot, setup.passphrase, PASSPHRASE)
    type_into(qtbot, setup.repeat, PASSPHRASE)
    setup.kommune.setFocus()
    type_into(qtbot, setup.kommune.lineEdit(), "0301 Oslo")
    assert setup.bydel.isEnabled()
    qtbot.keyClick(setup.repeat, Qt.Key.Key_Return)
    assert "bydel" in setup.error.text()
    setup.bydel.setFocus()
    qtbot.keyClick(setup.bydel, Qt.Key.Key_Down)
    qtbot.keyClick(setup.repeat, Qt.Key.Key_Return)
    recovery = window.recovery_panel
    assert window.stack.currentWidget() is recovery
    key = recovery.key.text()
    assert len(key) >= 16
    assert not recovery.continue_button.isEnabled()
    qtbot.keyClick(recovery.confirm, Qt.Key.Key_Space)
    qtbot.keyClick(recovery.continue_button, Qt.Key.Key_Space)
    assert window.stack.currentWidget() is window.overview
    assert recovery.key.text() == ""
    settings = window.context.require_db().settings
    assert (settings.kommunenummer, settings.bydel) == ("0301", "030101")
    window.close()
    with Database.open(db_path, key) as reopened:
        assert reopened.settings.kommunenummer == "0301"


def test_unlock__wrong_then_right_passphrase__message_then_overview(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local file's passphrase; a shared database's login password (not in the URL)."""
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    make_installation(installation, [person(date(1990, 5, 17), 123, "2024-02-01")])
    window = start_window(qtbot, asking_for_secret(installation))
    unlock = window.unlock_panel
    assert window.stack.currentWidget() is unlock
    assert not window.action_new.isEnabled()
    unlock_with(qtbot, window, "feil passordfrase!")
    assert window.stack.currentWidget() is unlock
    assert unlock.error.text()
    unlock_with(qtbot, window, installation.secret)
    assert window.stack.currentWidget() is window.overview
    assert window.model.rowCount() == 1
    assert window.action_new.isEnabled()


def test_start__passphrase_in_environment__opens_straight_to_overview(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local file's passphrase in JSDESK_PASSPHRASE; a shared database's login
    password in the URL."""
    make_installation(installation, [person(date(1990, 5, 17), 123, "2024-02-01")])
    window = open_installation_window(qtbot, installation, monkeypatch)
    assert window.objectName() == "main_window"
    assert window.stack.currentWidget() is window.overview
    table = window.table
    assert table.objectName() == "participants"
    masked = table.model().index(0, 0).data()
    assert masked.endswith("*****")
    assert table.model().index(0, 2).data() == "01.02.2024"
    assert "TEST" in window.banner.text()


@pytest.fixture
def overview(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    """The overview of a few pages of participations, on each back end (stored in one
    transaction, as a file import stores them: one per participation costs seconds)."""
    records = [
        person(date(1980 + i % 20, 1 + i % 12, 1 + i % 27), 100 + i % 300, f"2024-0{1 + i % 9}-15")
        for i in range(PAGE_SIZE * 2 + 50)
    ]
    records.append(person(date(1991, 3, 9), 455, "2023-06-30", avslutningsdato="2024-01-31"))
    with installation.create() as db:
        db.import_records(records, form_version=FORM_VERSION)
    return open_installation_window(qtbot, installation, monkeypatch)


def test_overview__many_rows__fetches_only_the_pages_shown(overview: MainWindow) -> None:
    model = overview.model
    assert model.rowCount() == PAGE_SIZE * 2 + 51
    assert overview.count_label.text() == f"{PAGE_SIZE * 2 + 51} deltakelser"
    assert model.fetches <= 1
    overview.table.scrollToBottom()
    assert model.index(model.rowCount() - 1, 0).data()
    assert model.fetches <= 3


def test_overview__search_by_fnr_prefix_and_date__filters_rows(
    qtbot: QtBot, overview: MainWindow
) -> None:
    number = synthetic(date(1991, 3, 9), 455)
    overview.search.setFocus()
    qtbot.keyClicks(overview.search, number[:6])
    qtbot.keyClick(overview.search, Qt.Key.Key_Return)
    assert overview.model.rowCount() == 1
    overview.search.clear()
    qtbot.keyClicks(overview.search, "30.06.2023")
    qtbot.keyClick(overview.search, Qt.Key.Key_Return)
    assert overview.model.rowCount() == 1
    assert overview.model.index(0, 3).data() == "31.01.2024"


def test_overview__sort_by_start_date_from_menu__oldest_first_then_newest(
    overview: MainWindow,
) -> None:
    action = overview.findChild(QAction, "sorter_oppstartsdato")
    assert action is not None and action.text() == "Etter oppstartsdato"
    action.trigger()
    assert overview.model.index(0, 2).data() == "30.06.2023"
    action.trigger()
    assert overview.model.index(0, 2).data() == "15.09.2024"


def test_overview__reveal_on_demand__full_number_then_masked_again(
    qtbot: QtBot, overview: MainWindow
) -> None:
    overview.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    overview.table.setFocus()
    overview.table.setCurrentIndex(overview.model.index(0, 0))
    overview.action_reveal.trigger()
    assert overview.model.index(0, 0).data() == synthetic(date(1991, 3, 9), 455)
    overview.action_reveal.trigger()
    assert overview.model.index(0, 0).data().endswith("*****")


def test_overview__delete_with_reason__row_gone(qtbot: QtBot, overview: MainWindow) -> None:
    before = overview.model.rowCount()
    overview.table.setFocus()
    overview.table.setCurrentIndex(overview.model.index(0, 0))
    qtbot.keyClick(overview.table, Qt.Key.Key_Delete)
    dialog = overview.findChild(QDialog, "slett_dialog")
    assert dialog is not None and dialog.isVisible()
    delete = dialog.findChild(QPushButton, "slett")
    assert not delete.isEnabled()
    box = dialog.findChild(QDialogButtonBox)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Avbryt"
    qtbot.keyClicks(dialog.findChild(QLineEdit, "begrunnelse"), "Registrert på feil person")
    assert not delete.isEnabled()
    qtbot.keyClick(dialog.findChild(QCheckBox, "bekreft_sletting"), Qt.Key.Key_Space)
    assert delete.isEnabled()
    qtbot.keyClick(delete, Qt.Key.Key_Space)
    assert overview.model.rowCount() == before - 1


def test_idle_lock__no_input__locks_and_unlock_restores_overview(
    qtbot: QtBot, overview: MainWindow, installation: Installation
) -> None:
    overview.idle.set_interval_ms(50)
    overview.idle.start()
    qtbot.waitUntil(lambda: overview.stack.currentWidget() is overview.unlock_panel, timeout=2000)
    assert not overview.context.is_open
    assert "uten aktivitet" in overview.unlock_panel.title.text()
    assert overview.model.rowCount() == 0
    unlock_with(qtbot, overview, installation.secret)
    assert overview.stack.currentWidget() is overview.overview
    assert overview.model.rowCount() == PAGE_SIZE * 2 + 51
    QApplication.processEvents()


def test_run_gui__existing_application__reused_and_exit_code_returned(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer

    from jsdesk.ui.app import run_gui

    make_installation(installation, [person(date(1990, 5, 17), 123, "2024-02-01")])
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    seen: list[int] = []

    def close_when_ready() -> None:
        # run_gui's own window: earlier tests' closed main windows may not be deleted yet.
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if w.objectName() == "main_window" and w.isVisible()
        ]
        if len(windows) != 1 or not isinstance(windows[0], MainWindow):
            QApplication.quit()  # the test fails on ``seen`` instead of waiting forever
            return
        window = windows[0]
        if window.stack.currentWidget() is window.loading or window.waiting_for_server:
            QTimer.singleShot(20, close_when_ready)
            return
        seen.append(window.model.rowCount())
        window.close()

    app_before = QApplication.instance()
    QTimer.singleShot(0, close_when_ready)
    assert run_gui(["jsdesk", "--db", str(installation.target)]) == 0
    assert QApplication.instance() is app_before
    assert seen == [1]


def test_settings__idle_minutes_changed__stored_and_used(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QSpinBox

    from jsdesk.ui.context import IDLE_SETTING

    make_installation(installation)
    window = open_installation_window(qtbot, installation, monkeypatch)
    assert window.idle.timer.interval() == 15 * 60_000
    window.action_settings.trigger()
    dialog = window.findChild(QDialog, "innstillinger_dialog")
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow)
    spin = dialog.findChild(QSpinBox, "lasetid")
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, "5")
    box = dialog.findChild(QDialogButtonBox)
    assert box.button(QDialogButtonBox.StandardButton.Ok).text() == "OK"
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Avbryt"
    assert spin.value() == 5, spin.text()
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert window.idle.timer.interval() == 5 * 60_000
    assert str(window.context.require_db().get_own_setting(IDLE_SETTING)) == "5"


def test_overview__enter_on_a_row__opens_that_participation(
    qtbot: QtBot, overview: MainWindow
) -> None:
    overview.table.setFocus()
    overview.table.setCurrentIndex(overview.model.index(3, 0))
    expected = overview.model.summary(3)
    assert expected is not None
    qtbot.waitUntil(overview.table.hasFocus)
    qtbot.keyClick(overview.table, Qt.Key.Key_Return)
    assert [w.participation_id for w in overview.wizards] == [expected.id]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_start__first_window__shown_before_storage_and_rules_are_imported(
    tmp_path: Path, backend: str
) -> None:
    """The window is up before anything is connected to (no server is needed for that)."""
    target = (
        str(tmp_path / "jsdesk.db")
        if backend == "sqlite"
        else "postgresql://kari@localhost:1/jsdesk?sslmode=verify-full"
    )
    code = (
        "import sys\n"
        "from jsdesk.ui.app import create_main_window\n"
        "window = create_main_window(['jsdesk', '--db', sys.argv[1]])\n"
        "assert window.isVisible()\n"
        "heavy = ('sqlalchemy', 'sqlcipher3', 'psycopg', 'jsdesk.storage', 'jsdesk.rules',\n"
        "         'yaml')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, target],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.stdout.strip() == "[]"


def test_overview__refresh_after_a_change__keeps_selected_row(overview: MainWindow) -> None:
    overview.table.setCurrentIndex(overview.model.index(5, 0))
    overview.refresh()
    assert overview.table.currentIndex().row() == 5
