"""Fil → "Installer oppdatering …" and the watched folder: preview, confirm, refuse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from test_packages import IN_2027, NEW_NR, municipality_source, write_package
from ui_support import make_installation, open_installation_window

from jsdesk import installed
from jsdesk.domain.code_domains import MUNICIPALITIES
from jsdesk.packages.archive import build_package
from jsdesk.packages.install import install_log, reload_installed
from jsdesk.packages.publishers import create_test_publisher, trust_test_publisher
from jsdesk.submission.credentials import SigningCredentials
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.update_actions import FOLDER_SETTING, UpdateDialog
from jsdesk.ui.window_state import settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(scope="module")
def publisher() -> SigningCredentials:
    return create_test_publisher("Skjemaeier test")


@pytest.fixture
def share(tmp_path: Path, publisher: SigningCredentials) -> Path:
    """A network share with one genuine package and one from a stranger."""
    trust_test_publisher(publisher.certificate)
    folder = tmp_path / "delt"
    folder.mkdir()
    write_package(folder, build_package(municipality_source(tmp_path), publisher), "a.jspkg")
    stranger = create_test_publisher("Ukjent")
    source = municipality_source(tmp_path, version="2027.5")
    write_package(folder, build_package(source, stranger), "b-ukjent.jspkg")
    return folder


def open_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    """The overview on each back end: updates are the program's, whatever holds the data."""
    make_installation(installation)
    return open_installation_window(qtbot, installation, monkeypatch)


@pytest.fixture
def after_2027(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(installed, "today", lambda: dt.date(2027, 1, 2))
    reload_installed()
    yield


def test_update_folder__checked_at_start__preview_then_install_on_confirm(
    qtbot: QtBot,
    installation: Installation,
    share: Path,
    monkeypatch: pytest.MonkeyPatch,
    after_2027: None,
) -> None:
    settings().setValue(FOLDER_SETTING, str(share))
    window = open_window(qtbot, installation, monkeypatch)
    actions = window.update_actions
    qtbot.waitUntil(lambda: actions.dialog is not None, timeout=20000)
    dialog = actions.dialog
    assert isinstance(dialog, UpdateDialog) and dialog.isVisible()
    text = dialog.preview.toPlainText()
    assert "Pakke «kommuner» versjon 2027.1" in text
    assert "kommunelisten for 2027" in text and f"{NEW_NR} Nyheim" in text
    problems = window.findChild(QMessageBox, "oppdateringsmappe_problemer")
    assert problems is not None and "b-ukjent.jspkg" in problems.informativeText()
    assert "ikke signert av en klarert utgiver" in problems.informativeText()
    assert install_log() == []  # nothing before the user confirms
    assert MUNICIPALITIES.name_of(NEW_NR, IN_2027) is None

    qtbot.mouseClick(dialog.install_button, qtbot_left())
    qtbot.waitUntil(lambda: actions.dialog is None)
    assert [entry["version"] for entry in install_log()] == ["2027.1"]
    assert MUNICIPALITIES.name_of(NEW_NR, IN_2027) == "Nyheim"
    assert "er installert" in window.statusBar().currentMessage()
    window.close()


def test_update_file__cancel__nothing_installed_and_refusal_shown(
    qtbot: QtBot, installation: Installation, share: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, installation, monkeypatch)
    actions = window.update_actions
    assert actions.action_install.text() == "Installer &oppdatering …"
    actions.offer(share / "a.jspkg")
    qtbot.waitUntil(lambda: actions.dialog is not None, timeout=20000)
    dialog = actions.dialog
    assert dialog is not None
    qtbot.mouseClick(dialog.cancel_button, qtbot_left())
    qtbot.waitUntil(lambda: actions.dialog is None)
    assert install_log() == [] and installed.installed_packages() == ()

    actions.offer(share / "b-ukjent.jspkg")
    qtbot.waitUntil(
        lambda: window.findChild(QMessageBox, "oppdatering_avvist") is not None, timeout=20000
    )
    box = window.findChild(QMessageBox, "oppdatering_avvist")
    assert box is not None and "ikke signert av en klarert utgiver" in box.informativeText()
    assert install_log() == []
    box.accept()
    window.close()


def qtbot_left() -> object:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
