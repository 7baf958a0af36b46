"""«Om jsdesk» (Hjelp-menyen): versions, where the log is, and the licence notices.

The versions are ``jsdesk.about``'s (the same lines as ``jsdesk --version``, with
the Qt version that is actually loaded); the notices are ``jsdesk.notices``'s.
"""

from __future__ import annotations

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from jsdesk import __version__, logs
from jsdesk.about import version_lines
from jsdesk.notices import notices_text
from jsdesk.ui.bokmal import translate_button_box


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("om_dialog")
        self.setWindowTitle("Om jsdesk")
        layout = QVBoxLayout(self)
        setup = logs.active()
        log_path = setup.log_path if setup is not None else None
        heading = QLabel(
            f"<b>jsdesk {__version__}</b><br>Rapportering til Jobbsjanseregisteret.<br>"
            f"Loggfil (uten personopplysninger): {log_path or 'ikke i bruk'}",
            self,
        )
        heading.setObjectName("om_overskrift")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        tabs = QTabWidget(self)
        tabs.setObjectName("om_faner")
        lines = version_lines(qt_runtime=qVersion())
        self.versions = QTableWidget(len(lines), 2, self)
        self.versions.setObjectName("om_versjoner")
        self.versions.setAccessibleName("Versjoner")
        self.versions.setHorizontalHeaderLabels(["Del", "Versjon"])
        self.versions.verticalHeader().setVisible(False)
        self.versions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (label, value) in enumerate(lines):
            self.versions.setItem(row, 0, QTableWidgetItem(label))
            self.versions.setItem(row, 1, QTableWidgetItem(value))
        self.versions.resizeColumnsToContents()
        self.versions.horizontalHeader().setStretchLastSection(True)
        tabs.addTab(self.versions, "&Versjoner")
        self.notices = QPlainTextEdit(notices_text(), self)
        self.notices.setObjectName("om_lisenser")
        self.notices.setAccessibleName("Lisenser for tredjepartskomponenter")
        self.notices.setReadOnly(True)
        tabs.addTab(self.notices, "&Lisenser")
        layout.addWidget(tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        translate_button_box(buttons)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 520)
