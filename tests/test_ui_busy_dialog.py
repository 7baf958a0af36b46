"""A dialog whose background job runs does not close on Esc or the close button, and
says why; once the job is done it closes as any dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout
from pytestqt.qtbot import QtBot

from jsdesk.ui.busy_dialog import BusyGuardedDialog
from jsdesk.ui.export_dialog import ExportDialog
from jsdesk.ui.import_dialog import ImportDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen's own


class _Working(BusyGuardedDialog):
    def __init__(self) -> None:
        super().__init__()
        self.working = True
        self.status = QLabel(self)
        QVBoxLayout(self).addWidget(self.status)

    def busy_message(self) -> str | None:
        return "Vent til jobben er ferdig …" if self.working else None

    def show_busy_message(self, message: str) -> None:
        self.status.setText(message)


@pytest.mark.parametrize("how", ["Esc", "close"])
def test_busy_dialog__closing_while_working__stays_open_and_says_why(
    qtbot: QtBot, how: str
) -> None:
    dialog = _Working()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    def close() -> None:
        if how == "Esc":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        else:
            dialog.close()

    close()
    assert dialog.isVisible()
    assert dialog.status.text() == "Vent til jobben er ferdig …"

    dialog.working = False
    close()
    assert not dialog.isVisible()


def test_busy_dialog__the_export_and_import_dialogs_are_guarded() -> None:
    assert issubclass(ExportDialog, BusyGuardedDialog)
    assert issubclass(ImportDialog, BusyGuardedDialog)
