"""The dialog for an unexpected error, and Qt's own messages routed into the log.

``install_crash_reporting`` is called once the QApplication exists when ``main()``
set up logging (``jsdesk.logs``): unexpected errors then open ``CrashDialog``
instead of printing to a stderr that the windowed Windows build does not have.
The details it shows and copies were scrubbed by ``jsdesk.logs`` already.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk import logs

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_qt_log = logging.getLogger("jsdesk.qt")


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    _qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s (%s)", message, context.category)


class CrashDialog(QDialog):
    """What happened, what the user can do, the log file, and "Kopier detaljer"."""

    def __init__(self, report: logs.CrashReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setObjectName("krasj_dialog")
        self.setWindowTitle("Uventet feil i jsdesk")
        layout = QVBoxLayout(self)
        where = (
            f"Loggfilen (uten personopplysninger): {report.log_path}"
            if report.log_path is not None
            else "Loggfilen kunne ikke skrives."
        )
        text = QLabel(
            "Det oppstod en uventet feil i jsdesk. Det du har lagret, er i behold.\n\n"
            "Du kan fortsette å arbeide. Skjer feilen igjen: lukk jsdesk og start det på nytt. "
            "Meld fra til IT eller brukerstøtte med «Kopier detaljer» og loggfilen.\n\n" + where,
            self,
        )
        text.setObjectName("krasj_tekst")
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(text)
        self.details = QPlainTextEdit(report.details, self)
        self.details.setObjectName("krasj_detaljer")
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Tekniske detaljer uten personopplysninger")
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(self)
        self.copy_button = QPushButton("&Kopier detaljer", self)
        self.copy_button.setObjectName("kopier_detaljer")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = QPushButton("&Lukk", self)
        close.setObjectName("lukk")
        close.setDefault(True)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def copy_details(self) -> None:
        where = str(self.report.log_path) if self.report.log_path else "ingen"
        QGuiApplication.clipboard().setText(f"{self.report.details}\n\nLoggfil: {where}")
        self.copy_button.setText("Kopiert")


def show_crash_dialog(report: logs.CrashReport) -> None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        logs.print_report(report)
        return
    dialog = CrashDialog(report, app.activeWindow())
    dialog.exec()


def install_crash_reporting() -> None:
    """GUI crash dialog and Qt's messages into the log, when ``main()`` set up logging."""
    if logs.active() is None:
        return  # embedded (tests): leave Qt's message handler to the host
    logs.set_reporter(show_crash_dialog)
    qInstallMessageHandler(_qt_message)
