"""The submission history ("Innsendinger"): every file made, newest first.

Columns: time (local), file name, reporting period, number of records, test data,
encrypted. Read from ``db.list_submissions()`` when the dialog opens (``refresh``).

Signals: none.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jsdesk.storage import SubmissionInfo
from jsdesk.ui.bokmal import format_date, translate_button_box
from jsdesk.ui.context import AppContext
from jsdesk.ui.window_state import place

HEADERS = ("Tidspunkt", "Fil", "Periode", "Poster", "Test", "Kryptert")


def period_text(period: str | None) -> str:
    """``2025-01-01/2025-12-31`` as ``01.01.2025–31.12.2025``."""
    if not period or "/" not in period:
        return period or "–"
    start, _slash, end = period.partition("/")
    try:
        return f"{format_date(date.fromisoformat(start))}–{format_date(date.fromisoformat(end))}"
    except ValueError:
        return period


def row_texts(info: SubmissionInfo) -> tuple[str, ...]:
    moment = info.created_at.astimezone() if info.created_at.tzinfo else info.created_at
    encrypted = info.details.get("encrypted")
    return (
        moment.strftime("%d.%m.%Y %H:%M"),
        info.file_name,
        period_text(info.period),
        str(info.record_count),
        "ja" if info.test else "nei",
        "–" if encrypted is None else ("ja" if encrypted else "nei"),
    )


class SubmissionsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("submissions")
        self.setWindowTitle("Innsendinger")
        place(self, "innsendinger", QSize(900, 420))
        layout = QVBoxLayout(self)
        self.label = QLabel("&Innsendinger:", self)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("innsendinger_tabell")
        self.table.setAccessibleName("Innsendinger, nyeste først")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.label.setBuddy(self.table)
        layout.addWidget(self.label)
        layout.addWidget(self.table, 1)
        self.empty = QLabel("Ingen innsendinger ennå.", self)
        self.empty.setObjectName("ingen_innsendinger")
        layout.addWidget(self.empty)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        translate_button_box(buttons)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        submissions = self.context.require_db().list_submissions()
        self.table.setRowCount(len(submissions))
        for row, info in enumerate(submissions):
            for column, text in enumerate(row_texts(info)):
                item = QTableWidgetItem(text)
                if column == 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.empty.setVisible(not submissions)
        if submissions:
            self.table.setCurrentCell(0, 0)
