"""What the report windows («Resultater», «Mangler og feil») share.

A modeless window of the same size and focus style; a choice of year, from the one the
register opened; a status line that a background job's failure or an export's outcome
is written to; a progress bar that follows the job's phases; and read-only tables of
figures (numbers right, the label column left and wide). The background work itself
runs through ``jsdesk.ui.report_jobs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.reports.export import Cell, cell_text
from jsdesk.ui.bokmal import FOCUS_STYLE
from jsdesk.ui.context import AppContext
from jsdesk.ui.window_state import place

_STRETCH = QHeaderView.ResizeMode.Stretch
_TO_CONTENTS = QHeaderView.ResizeMode.ResizeToContents


class ReportWindow(QDialog):
    """A modeless report window on ``context``'s database."""

    def __init__(
        self, context: AppContext, parent: QWidget | None, *, name: str, title: str
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName(name)
        self.setWindowTitle(f"{title} – jsdesk")
        self.setModal(False)
        self.setStyleSheet(FOCUS_STYLE)
        place(self, name, QSize(1180, 680))  # shrunk to fit a 1366×768 laptop

    def year_choice(self, parent: QWidget, name: str) -> QSpinBox:
        """A year from the one the register opened (as the form says) to this one, this
        year chosen."""
        year = QSpinBox(parent)
        year.setObjectName(name)
        year.setRange(self.context.form_for_new().register_opened.year, date.today().year)
        year.setValue(date.today().year)
        year.setAccessibleName("År")
        return year


def status_line(parent: QWidget, name: str, text: str = "") -> QLabel:
    """The line a window tells what it did, or why it could not, in."""
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def show_progress(bar: QProgressBar, phase: str, done: int, total: int) -> None:
    """A background job's progress: ``done`` of ``total`` steps, named ``phase``."""
    bar.setRange(0, max(total, 1))
    bar.setValue(done)
    bar.setFormat(phase)


def show_failure(status: QLabel, error: object) -> None:
    """A background job's failure: a ``UserError``'s message on the status line; anything
    else is a defect and raised again."""
    if isinstance(error, UserError):
        status.setText(error.message)
        return
    raise error if isinstance(error, BaseException) else RuntimeError(error)


def write_file(status: QLabel, write: Callable[[], None], done: str) -> bool:
    """Run ``write`` (an export); ``done`` or the ``UserError``'s message on the status line."""
    try:
        write()
    except UserError as exc:
        status.setText(exc.message)
        return False
    status.setText(done)
    return True


def figures_table(parent: QWidget, name: str, title: str) -> QTableWidget:
    """An empty read-only table named ``name``, read out as ``title``. Tab leaves it (the
    arrow keys move inside it)."""
    widget = QTableWidget(parent)
    widget.setObjectName(name)
    widget.setAccessibleName(title)
    widget.verticalHeader().hide()
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setTabKeyNavigation(False)
    return widget


def fill_table(
    widget: QTableWidget,
    headings: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    label_column: int = 0,
) -> None:
    """Show ``rows`` in ``widget``: the label column left-aligned and taking the width
    left, every other column right-aligned and as wide as its figures."""
    widget.setColumnCount(len(headings))
    widget.setRowCount(len(rows))
    widget.setHorizontalHeaderLabels(list(headings))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(cell_text(value))
            if c != label_column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            widget.setItem(r, c, item)
    header = widget.horizontalHeader()
    for c in range(len(headings)):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if c == label_column
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(c, mode)
