"""The participation overview: search, filters and the lazily filled table.

Signals: none of its own; the main window connects to ``table`` and the filters.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from jsdesk.forms import Stage
from jsdesk.storage import Status
from jsdesk.ui.bokmal import parse_nb_date
from jsdesk.ui.context import AppContext
from jsdesk.ui.participations_model import DEFAULT_SORT_COLUMN, Filters, ParticipationsModel

ALL = "Alle"


class OverviewPanel(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        page = self
        self.setObjectName("oversikt")
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        layout.addLayout(filters)
        self.search = QLineEdit(page)
        self.search.setObjectName("sok")
        self.search.setPlaceholderText("Fødselsnummer (hele eller første sifre) eller DD.MM.ÅÅÅÅ")
        self.search.setAccessibleName("Søk etter fødselsnummer eller dato")
        self.search.setClearButtonEnabled(True)
        self.status_filter = self._combo(page, "statusfilter", "Filtrer på status")
        self.stage_filter = self._combo(page, "stadiumfilter", "Filtrer på stadium")
        self.year_filter = self._combo(page, "arsfilter", "Filtrer på år")
        for text, widget in (
            ("&Søk:", self.search),
            ("S&tatus:", self.status_filter),
            ("Stadi&um:", self.stage_filter),
            ("&År:", self.year_filter),
        ):
            label = QLabel(text, page)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget, 3 if widget is self.search else 1)
        self.model = ParticipationsModel(self.context)
        self.table = QTableView(page)
        self.table.setObjectName("participants")
        self.table.setAccessibleName("Deltakelser")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSortIndicator(
            DEFAULT_SORT_COLUMN, Qt.SortOrder.DescendingOrder
        )
        for column, width in enumerate((130, 80, 110, 120, 90, 90, 150, 150)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel("", page)
        self.count_label.setObjectName("antall")
        layout.addWidget(self.count_label)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        for combo in (self.status_filter, self.stage_filter, self.year_filter):
            combo.currentIndexChanged.connect(lambda _index: self.apply_filters())

    @staticmethod
    def _combo(parent: QWidget, name: str, accessible: str) -> QComboBox:
        combo = QComboBox(parent)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        combo.addItem(ALL, None)
        return combo

    def fill_filters(self) -> None:
        for combo, values in (
            (self.status_filter, [str(status) for status in Status]),
            (self.stage_filter, [str(stage) for stage in Stage]),
            (self.year_filter, [str(year) for year in range(date.today().year, 2022, -1)]),
        ):
            if combo.count() > 1:
                continue
            combo.blockSignals(True)
            for value in values:
                combo.addItem(value, value)
            combo.blockSignals(False)

    def current_filters(self) -> Filters:
        text = self.search.text().strip()
        typed = parse_nb_date(text)
        search = typed.isoformat() if typed is not None else (text or None)
        year = self.year_filter.currentData()
        return replace(
            self.model.filters,
            search=search,
            status=self.status_filter.currentData(),
            stage=self.stage_filter.currentData(),
            year=int(year) if year else None,
        )

    def apply_filters(self) -> None:
        if not self.context.is_open:
            return
        self.model.set_filters(self.current_filters())
        self.update_count()

    def refresh(self) -> None:
        """Reload from storage. The selection stays on the same participation wherever it
        moved in the sort order (else on the same row); the scroll position is kept unless
        the participation moved out of sight."""
        row = self.table.currentIndex().row()
        column = max(self.table.currentIndex().column(), 0)
        chosen = self.selected_id()
        scrolled = self.table.verticalScrollBar().value()
        self.model.refresh()
        self.update_count()
        moved = self.model.row_of(chosen, near=row) if chosen is not None else None
        target = moved if moved is not None else row
        self.table.verticalScrollBar().setValue(scrolled)
        if 0 <= target < self.model.rowCount():
            index = self.model.index(target, column)
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def update_count(self) -> None:
        count = self.model.rowCount()
        self.count_label.setText(f"{count} deltakelser" if count != 1 else "1 deltakelse")

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        summary = self.model.summary(index.row()) if index.isValid() else None
        return summary.id if summary is not None else None
