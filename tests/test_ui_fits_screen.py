"""Fits a laptop: every window and dialog lies within the available geometry of
a 1366×768 screen with a 40 px taskbar (1366×728), with every button on screen; window
sizes and positions are remembered; the installation's municipality is in the title."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot
from registry_support import FREG_HEADER, write_csv
from storage_helpers import Installation
from ui_support import make_installation, open_installation_window, person

from jsdesk.submission.create import SubmissionResult
from jsdesk.ui.dialogs import DeleteDialog, SettingsDialog
from jsdesk.ui.import_dialog import ImportController, ImportDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.print_record import PrintParticipationDialog
from jsdesk.ui.receipt import ReceiptDialog
from jsdesk.ui.warnings_dialog import AcceptWarningsDialog

# Offscreen cannot propagate size hints; closed table-cell editors report a late commitData
# (Qt-internal, as in test_ui_wizard).
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support", "commitData called with an editor that does not belong"
)

RECORD = person(date(1985, 4, 12), 212, "2024-02-01", antall_barn=20, omsorgsansvar_barn=1)
TASKBAR = 40


@pytest.fixture
def app_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """Drammen's overview with one participation, on each back end."""
    make_installation(installation, [RECORD], kommunenummer="3301", bydel=None)
    window = open_installation_window(qtbot, installation, monkeypatch)
    yield window
    window.close()


def laptop_area() -> QRect:
    """The available geometry of a 1366×768 laptop with a taskbar (see conftest.py)."""
    available = QApplication.primaryScreen().availableGeometry()
    assert available == QRect(0, 0, 1366, 768 - TASKBAR)
    return available


def in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    """Inside scrolling content (it may be scrolled out of view, by design)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def assert_fits(qtbot: QtBot, top: QWidget) -> None:
    qtbot.waitUntil(top.isVisible)
    QApplication.processEvents()
    area = laptop_area()
    frame = top.frameGeometry()
    assert area.contains(frame), (top.objectName(), frame, area)
    buttons = [
        b
        for b in top.findChildren(QAbstractButton)
        if isinstance(b, QPushButton | QToolButton)
        and b.isVisibleTo(top)
        and not in_scroll_area(b, top)
    ]
    assert buttons, top.objectName()
    for button in buttons:
        assert button.isVisible(), (top.objectName(), button.text())
        corner = button.mapToGlobal(QPoint(0, 0))
        rect = QRect(corner, button.size())
        assert area.contains(rect), (top.objectName(), button.text(), rect)


def test_every_window_and_dialog__within_1366x728__buttons_visible(
    qtbot: QtBot, app_window: MainWindow, tmp_path: Path
) -> None:
    app_window.showNormal()
    assert_fits(qtbot, app_window)

    wizard = app_window.open_participation(app_window.selected_id())
    assert wizard is not None
    assert_fits(qtbot, wizard)
    for number in wizard.pages:
        wizard.go_to_page(number)
        assert_fits(qtbot, wizard)
    wizard.restore_button.setEnabled(True)
    assert wizard.evaluation is not None and wizard.evaluation.warnings
    for open_dialog, name in (
        (wizard.accept_warnings, "godta_advarsler_dialog"),
        (wizard.print_participation, "skriv_ut_deltakelse_dialog"),
    ):
        open_dialog()
        dialog = wizard.findChild(QWidget, name)
        assert isinstance(dialog, AcceptWarningsDialog | PrintParticipationDialog)
        assert_fits(qtbot, dialog)
        dialog.close()
    wizard.record["deltatt_intro"] = 1  # a change to undo
    wizard.confirm_restore_opened()
    box = wizard.findChild(QMessageBox, "angre_siden_apning_dialog")
    assert box is not None
    assert_fits(qtbot, box)
    box.button(QMessageBox.StandardButton.No).click()
    wizard.close()

    export = app_window.submission_actions.open_export()
    assert export is not None
    assert_fits(qtbot, export)
    out = tmp_path / "ut"
    out.mkdir()
    result = SubmissionResult(
        path=out / "TEST-jobbsjanse-3301-20260101T120000Z-abcdef12.asice",
        submission_id="abcdef12-0000",
        record_count=123,
        encrypted=False,
        warnings=("Testinstallasjon: filen er merket TEST.",),
        dropped=(),
        sha256="0" * 64,
        period_from=date(2026, 1, 1),
        period_to=date(2026, 6, 30),
    )
    receipt = ReceiptDialog(result, "", export)
    receipt.show()
    assert_fits(qtbot, receipt)
    receipt.close()
    export.close()

    history = app_window.submission_actions.open_submissions()
    assert history is not None
    assert_fits(qtbot, history)
    history.close()

    app_window.show_settings()
    settings = app_window.findChild(SettingsDialog, "innstillinger_dialog")
    assert settings is not None
    assert_fits(qtbot, settings)
    settings.close()

    app_window.show_about()
    about = app_window.findChild(QDialog, "om_dialog")
    assert about is not None
    assert_fits(qtbot, about)
    about.close()

    app_window.delete_selected()
    delete = app_window.findChild(DeleteDialog, "slett_dialog")
    assert delete is not None
    assert_fits(qtbot, delete)
    delete.close()

    for report in (app_window.report_actions.open_results, app_window.report_actions.open_quality):
        view = report()
        assert view is not None
        assert_fits(qtbot, view)
        view.close()

    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(RECORD["fodselsnummer"], "SOM")])
    controller = app_window.findChild(ImportController, "import_controller")
    assert controller is not None
    imported = controller.start(extract)
    assert isinstance(imported, ImportDialog)
    qtbot.waitUntil(lambda: not imported.busy, timeout=30_000)
    assert_fits(qtbot, imported)
    imported.close()


def test_window_size_and_position__remembered_for_the_next_time(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    wizard = app_window.open_participation(app_window.selected_id())
    assert wizard is not None
    qtbot.waitUntil(wizard.isVisible)
    wizard.setGeometry(QRect(30, 20, 900, 600))
    wizard.close()
    qtbot.waitUntil(lambda: not app_window.wizards)
    again = app_window.open_participation(app_window.selected_id())
    assert again is not None
    qtbot.waitUntil(again.isVisible)
    assert (again.width(), again.height()) == (900, 600)
    moved = again.geometry().topLeft() - QPoint(30, 20)
    assert moved.manhattanLength() <= 10, again.geometry()  # (a frame offset at most)


def test_municipality_of_the_installation__in_title_and_status_bar(
    app_window: MainWindow,
) -> None:
    assert "Drammen (3301)" in app_window.windowTitle()
    assert "Drammen (3301)" in app_window.installation_label.text()
    assert app_window.installation_label.isVisible()


def test_test_results_table__whole_type_name_and_headers_readable(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    from ui_support import fill_table_row

    wizard = app_window.open_participation(app_window.selected_id())
    assert wizard is not None
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    wizard.go_to_page(2)
    field = wizard.fields["proveresultater"]
    table = field.editor
    assert isinstance(table, QTableWidget)
    field.add_button.click()
    fill_table_row(qtbot, table, 0, ["10.10.2024", "", "6"])
    longest = max(
        (c for c in field.variable.fields[1].codes), key=lambda c: len(f"{c.code} {c.text}")
    )
    table.setCurrentCell(0, 1)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QComboBox)
    editor.setCurrentIndex(editor.findData(longest.code))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()
    text = table.item(0, 1).text()
    assert text.startswith(f"{longest.code} {longest.text}")
    metrics = table.fontMetrics()
    header = table.horizontalHeader()
    for column in range(table.columnCount()):
        title = table.horizontalHeaderItem(column).text()
        assert header.sectionSize(column) >= metrics.horizontalAdvance(title), title
    assert header.sectionSize(1) >= metrics.horizontalAdvance(text), text
    wizard.close()
