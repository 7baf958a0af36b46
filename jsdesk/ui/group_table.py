"""The repeating group (``proveresultater``) as an editable table with add/remove.

Columns come from the group's ``fields``; code columns edit with a combo box,
date columns as DD.MM.YYYY text. The value is a list of dicts keyed by field name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from jsdesk.storable import DROPPED_NOTE, storable
from jsdesk.ui.bokmal import DATE_FORMAT_HINT, format_iso_date, parse_nb_date
from jsdesk.ui.fields import NOT_ANSWERED, Field, code_label

if TYPE_CHECKING:
    from jsdesk.forms import Variable

VALUE_ROLE = Qt.ItemDataRole.UserRole
AnyIndex = QModelIndex | QPersistentModelIndex


class _CodeDelegate(QStyledItemDelegate):
    def __init__(self, variable: Variable, parent: QWidget) -> None:
        super().__init__(parent)
        self.variable = variable

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName(self.variable.label)
        combo.addItem(NOT_ANSWERED, None)
        for code in self.variable.codes:
            combo.addItem(code_label(code), code.code)
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        found = editor.findData(index.data(VALUE_ROLE))
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        position = editor.currentIndex()
        code = editor.itemData(position) if position > 0 else None
        model.setData(index, code, VALUE_ROLE)
        model.setData(index, editor.itemText(position) if code is not None else "")


class GroupTableField(Field):
    """Signals: inherited ``edited`` with the whole list after each cell change."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.columns: tuple[Variable, ...] = tuple(self.variable.fields)
        self.table = QTableWidget(0, len(self.columns), row)
        self.table.setHorizontalHeaderLabels([field.label for field in self.columns])
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        self.table.setMinimumHeight(120)
        for column, field in enumerate(self.columns):
            if str(field.type) == "code":
                self.table.setItemDelegateForColumn(column, _CodeDelegate(field, self.table))
        # Every column as wide as its header and its longest cell (a test type's whole name),
        # the last one taking the rest; long texts wrap instead of being cut off.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName(self.variable.label)
        self.table.cellChanged.connect(self._cell_changed)
        line.addWidget(self.table, 1)
        buttons = QWidget(row)
        button_line = QHBoxLayout(buttons)
        button_line.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Legg til rad", buttons)
        self.add_button.setObjectName(f"{self.variable.name}_legg_til")
        self.add_button.setAccessibleName(f"Legg til rad i «{self.variable.label}»")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton("Fjern valgt rad", buttons)
        self.remove_button.setObjectName(f"{self.variable.name}_fjern")
        self.remove_button.setAccessibleName(f"Fjern valgt rad i «{self.variable.label}»")
        self.remove_button.clicked.connect(self.remove_row)
        button_line.addWidget(self.add_button)
        button_line.addWidget(self.remove_button)
        button_line.addStretch(1)
        self._buttons = buttons
        row_layout = self.row.layout()
        assert row_layout is not None
        row_layout.addWidget(buttons)
        return self.table

    def input_widgets(self) -> Sequence[QWidget]:
        return [self.table, self.add_button, self.remove_button]

    def add_row(self) -> None:
        self._loading = True
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(len(self.columns)):
            self.table.setItem(row, column, QTableWidgetItem(""))
        self._loading = False
        self.table.setCurrentCell(row, 0)
        self.table.setFocus()
        self._emit(self.value())

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        self._emit(self.value())

    def _cell_changed(self, row: int, column: int) -> None:
        if self._loading:
            return
        field = self.columns[column]
        item = self.table.item(row, column)
        if item is None:
            return
        note = None
        if storable(item.text()) != item.text():
            self._loading = True
            item.setText(storable(item.text()))
            self._loading = False
            note = f"Rad {row + 1}: {DROPPED_NOTE}"
        if str(field.type) == "date":
            # Text that is not a date is kept as typed; the rules report it on this row.
            text = item.text()
            typed = parse_nb_date(text)
            if text.strip() and typed is None:
                invalid = (
                    f"Rad {row + 1}: «{text}» er ikke en gyldig dato. "
                    f"Skriv datoen som {DATE_FORMAT_HINT}."
                )
                note = invalid if note is None else f"{note}\n{invalid}"
            self._loading = True
            item.setData(
                VALUE_ROLE, typed.isoformat() if typed is not None else (text.strip() or None)
            )
            if typed is not None:
                item.setText(format_iso_date(typed))
            self._loading = False
        elif str(field.type) != "code":
            self._loading = True
            item.setData(VALUE_ROLE, item.text().strip() or None)
            self._loading = False
        self.set_note(note)
        self._emit(self.value())

    def value(self) -> object:
        entries: list[dict[str, object]] = []
        for row in range(self.table.rowCount()):
            entry: dict[str, object] = {}
            for column, field in enumerate(self.columns):
                item = self.table.item(row, column)
                entry[field.name] = item.data(VALUE_ROLE) if item is not None else None
            entries.append(entry)
        return entries or None

    def _show(self, value: object) -> None:
        entries = value if isinstance(value, list) else []
        self.table.setRowCount(0)
        for entry in entries:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for column, field in enumerate(self.columns):
                raw = entry.get(field.name) if isinstance(entry, dict) else None
                item = QTableWidgetItem(self._display(field, raw))
                item.setData(VALUE_ROLE, raw)
                self.table.setItem(row, column, item)

    @staticmethod
    def _display(field: Variable, raw: object) -> str:
        if raw is None:
            return ""
        if str(field.type) == "date":
            return format_iso_date(raw)
        if str(field.type) == "code" and isinstance(raw, int):
            return f"{raw} {field.code_text(raw)}"
        return str(raw)
