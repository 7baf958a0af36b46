"""«Mangler og feil»: every open problem in every participation, and completeness.

The list (``jsdesk.reports.quality``) is read off the UI thread, then filtered
by part, field, severity and status and sorted by any column in the window.
Enter on a row opens the participation in the wizard on that field. Above the
list: how many participations miss or have wrong each field. The second tab
holds the register's completeness per field for a year. «Eksporter …» writes
the list (filtered as shown) to Excel or CSV with masked fødselsnumre unless
the user ticks the box for full numbers; every export is audited.

Signals: ``open_requested(int, str)`` with participation id and variable name;
``loaded()`` when the list is shown; ``completeness_loaded()`` likewise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.period import Period
from jsdesk.reports.export import QUALITY_HEADINGS, quality_rows, write_list
from jsdesk.reports.quality import (
    Completeness,
    QualityItem,
    QualityList,
    completeness,
    quality_list,
)
from jsdesk.rules.findings import Severity
from jsdesk.ui.background import Report
from jsdesk.ui.bokmal import format_date
from jsdesk.ui.context import AppContext
from jsdesk.ui.report_jobs import choose_file, start_job
from jsdesk.ui.report_window import (
    ReportWindow,
    figures_table,
    fill_table,
    show_failure,
    show_progress,
    status_line,
    write_file,
)

ALL = "Alle"
COLUMNS = ("Deltakelse", "Oppstartsdato", "Status", "Del", "Felt", "Alvorlighet", "Melding")
COUNT_LINES = 12
AnyIndex = QModelIndex | QPersistentModelIndex


class QualityModel(QAbstractTableModel):
    """The problems as rows (masked fødselsnummer only): the ones the filter lets through,
    in the chosen order.

    Filtering and sorting happen here, in one Python pass over precomputed keys, not in a
    ``QSortFilterProxyModel``: a proxy asks ``data()`` once per row to filter and twice per
    comparison to sort, and for the 20,000 problems of 100,000 participations that kept
    the window's thread busy for 6-8 s per sort or filter.
    """

    def __init__(self, items: Sequence[QualityItem] = ()) -> None:
        super().__init__()
        self.items: list[QualityItem] = []
        self.shown: list[QualityItem] = []
        self.part: int | None = None
        self.variable: str | None = None
        self.severity: str | None = None
        self.status: str | None = None
        self._order: tuple[int, Qt.SortOrder] | None = None
        self.set_items(items)

    def set_items(self, items: Sequence[QualityItem]) -> None:
        self.items = list(items)
        self._keys: dict[int, list[tuple[object, ...]]] = {}  # per column, as ``items``
        self._refresh()

    def set_filter(
        self, part: int | None, variable: str | None, severity: str | None, status: str | None
    ) -> None:
        """Show only the problems of this part, field, severity and status (None = all)."""
        chosen = (part, variable, severity, status)
        if chosen != (self.part, self.variable, self.severity, self.status):
            self.part, self.variable, self.severity, self.status = chosen
            self._refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (the view's header calls this)."""
        self._order = (column, order)
        self._refresh()

    def _refresh(self) -> None:
        items = self.items
        rows = [row for row, item in enumerate(items) if self._accepts(item)]
        if self._order is not None:
            column, order = self._order
            keys = self._keys.get(column)
            if keys is None:
                keys = self._keys[column] = [_sort_key(item, column) for item in items]
            rows.sort(key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
        self.beginResetModel()
        self.shown = [items[row] for row in rows]
        self.endResetModel()

    def _accepts(self, item: QualityItem) -> bool:
        return (
            (self.part is None or item.part == self.part)
            and (self.variable is None or item.variable == self.variable)
            and (self.severity is None or item.severity == self.severity)
            and (self.status is None or item.status == self.status)
        )

    def item(self, row: int) -> QualityItem | None:
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def visible_items(self) -> list[QualityItem]:
        return list(self.shown)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item = self.shown[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return item.message
        return None


def _display(item: QualityItem, column: int) -> str:
    match column:
        case 0:
            return item.masked_fnr or f"nr. {item.participation_id}"
        case 1:
            return format_date(item.oppstartsdato)
        case 2:
            return item.status
        case 3:
            return f"{item.part} {item.part_title}" if item.part else ""
        case 4:
            return item.label
        case 5:
            return item.severity_text
        case _:
            return item.message


def _sort_key(item: QualityItem, column: int) -> tuple[object, ...]:
    """The order of ``column``; ties keep the list's order (participation, then field)."""
    if column == 0:
        return (item.masked_fnr,)
    if column == 1:
        return ((item.oppstartsdato or date.min).isoformat(),)
    if column == 3:
        return (item.part,)
    return (_display(item, column).casefold(),)


class QualityView(ReportWindow):
    open_requested = Signal(int, str)
    loaded = Signal()
    completeness_loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, name="mangler_og_feil", title="Mangler og feil")
        self.quality: QualityList | None = None
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mangler_faner")
        self.tabs.addTab(self._build_list_tab(), "&Liste")
        self.tabs.addTab(self._build_completeness_tab(), "&Kompletthet")
        layout.addWidget(self.tabs)
        self.load()

    # -- the list -------------------------------------------------------------------
    def _build_list_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.status = status_line(tab, "mangler_status", "Henter listen …")
        layout.addWidget(self.status)
        self.progress = QProgressBar(tab)
        self.progress.setObjectName("mangler_fremdrift")
        self.progress.setAccessibleName("Fremdrift")
        layout.addWidget(self.progress)
        # Alt+F is the full-numbers box below: each letter once in the window.
        counts_label = QLabel("Flest &mangler og feil:", tab)
        self.counts = QListWidget(tab)
        self.counts.setObjectName("mangler_per_felt")
        self.counts.setAccessibleName("Mangler og feil per felt")
        self.counts.setMaximumHeight(130)
        counts_label.setBuddy(self.counts)
        layout.addWidget(counts_label)
        layout.addWidget(self.counts)
        filters = QHBoxLayout()
        self.part_filter = self._combo(tab, filters, "&Del:", "filter_del")
        self.variable_filter = self._combo(tab, filters, "Fel&t:", "filter_felt")
        self.severity_filter = self._combo(tab, filters, "&Alvorlighet:", "filter_alvorlighet")
        self.status_filter = self._combo(tab, filters, "&Status:", "filter_status")
        filters.addStretch(1)
        self.export_button = QPushButton("&Eksporter …", tab)
        self.export_button.setObjectName("mangler_eksporter")
        self.export_button.clicked.connect(self._ask_export)
        filters.addWidget(self.export_button)
        layout.addLayout(filters)
        self.full_fnr = QCheckBox(
            "Ta med &fulle fødselsnumre i eksporten (registreres i loggen)", tab
        )
        self.full_fnr.setObjectName("mangler_fulle_fnr")
        layout.addWidget(self.full_fnr)
        self.model = QualityModel()
        self.table = QTableView(tab)
        self.table.setObjectName("mangler_tabell")
        self.table.setAccessibleName("Mangler og feil")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(4, 260)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._fit_sorted_heading)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        open_action = QAction("Åpne på feltet", self.table)
        open_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(self.open_current)
        self.table.addAction(open_action)
        layout.addWidget(self.table, 1)
        for combo in (
            self.part_filter,
            self.variable_filter,
            self.severity_filter,
            self.status_filter,
        ):
            combo.currentIndexChanged.connect(self._apply_filter)
        return tab

    def _fit_sorted_heading(self, column: int, _order: Qt.SortOrder) -> None:
        """The sorted column's heading whole with its sort arrow («Oppstartsdato», not
        «ppstartsdato»): as wide as the heading asks, when narrower."""
        header = self.table.horizontalHeader()
        wanted = header.sectionSizeHint(column)
        interactive = header.sectionResizeMode(column) is QHeaderView.ResizeMode.Interactive
        if interactive and self.table.columnWidth(column) < wanted:
            self.table.setColumnWidth(column, wanted)

    def _combo(self, parent: QWidget, row: QHBoxLayout, text: str, name: str) -> QComboBox:
        label = QLabel(text, parent)
        combo = QComboBox(parent)
        combo.setObjectName(name)
        combo.setAccessibleName(text.replace("&", "").rstrip(":"))
        combo.addItem(ALL, None)
        label.setBuddy(combo)
        row.addWidget(label)
        row.addWidget(combo)
        return combo

    def load(self) -> None:
        if not self.context.is_open:
            return
        db = self.context.require_db()
        forms = self.context.form_for_version

        def job(report: Report) -> object:
            return quality_list(db, progress=report, forms=forms)

        self.progress.show()
        start_job(
            self.context,
            job,
            succeeded=self._loaded,
            failed=self._failed,
            progressed=self._progressed,
        )

    def _progressed(self, phase: str, done: int, total: int) -> None:
        show_progress(self.progress, phase, done, total)

    def _failed(self, error: object) -> None:
        self.progress.hide()
        show_failure(self.status, error)

    def _loaded(self, result: object) -> None:
        assert isinstance(result, QualityList)
        self.progress.hide()
        self.quality = result
        self.model.set_items(result.items)
        self.counts.clear()
        for line in result.counts[:COUNT_LINES]:
            self.counts.addItem(line.text)
        self._fill_filters(result.items)
        self._apply_filter()
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        if self.model.rowCount():
            self.table.selectRow(0)
        self.table.setFocus()
        self.loaded.emit()

    def _fill_filters(self, items: Sequence[QualityItem]) -> None:
        parts = sorted({(i.part, i.part_title) for i in items if i.part})
        variables = sorted({(i.label, i.variable) for i in items})
        statuses = sorted({i.status for i in items})
        for combo in (
            self.part_filter,
            self.variable_filter,
            self.severity_filter,
            self.status_filter,
        ):
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
        for number, title in parts:
            self.part_filter.addItem(f"{number} {title}", number)
        for label, name in variables:
            self.variable_filter.addItem(label, name)
        for severity in Severity:
            self.severity_filter.addItem(
                "Feil" if severity is Severity.ERROR else "Advarsel", str(severity)
            )
        for status in statuses:
            self.status_filter.addItem(status, status)
        for combo in (
            self.part_filter,
            self.variable_filter,
            self.severity_filter,
            self.status_filter,
        ):
            combo.blockSignals(False)

    def _apply_filter(self) -> None:
        self.model.set_filter(
            self.part_filter.currentData(),
            self.variable_filter.currentData(),
            self.severity_filter.currentData(),
            self.status_filter.currentData(),
        )
        total = len(self.model.items)
        shown = self.model.rowCount()
        self.status.setText(
            f"{total} mangler og feil i alt; {shown} vises. Enter åpner deltakelsen på feltet."
        )

    def open_current(self) -> None:
        index = self.table.currentIndex()
        item = self.model.item(index.row()) if index.isValid() else None
        if item is not None:
            self.open_requested.emit(item.participation_id, item.variable)

    # -- export ---------------------------------------------------------------------
    def _ask_export(self) -> None:
        path = choose_file(
            self, "Eksporter mangler og feil", "mangler-og-feil.xlsx", "Excel (*.xlsx);;CSV (*.csv)"
        )
        if path is not None:
            self.export(path)

    def export(self, path: Path) -> None:
        """Write the rows shown (as filtered) to ``path``; audited."""
        items = self.model.visible_items()
        full = self.full_fnr.isChecked()

        def write() -> None:
            write_list(
                path, "Mangler og feil", QUALITY_HEADINGS, quality_rows(items, full_fnr=full)
            )
            self.context.require_db().record_export(
                "mangler og feil", file_name=path.name, rows=len(items), fnr_shown=full
            )

        masked = "fulle fødselsnumre" if full else "maskerte fødselsnumre"
        write_file(self.status, write, f"{len(items)} rader lagret i {path} ({masked}).")

    # -- completeness ---------------------------------------------------------------
    def _build_completeness_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        form = QFormLayout()
        self.completeness_year = self.year_choice(tab, "kompletthet_ar")
        form.addRow("Å&r:", self.completeness_year)
        layout.addLayout(form)
        self.completeness_button = QPushButton("&Beregn kompletthet", tab)
        self.completeness_button.setObjectName("kompletthet_beregn")
        self.completeness_button.clicked.connect(self.compute_completeness)
        layout.addWidget(self.completeness_button)
        self.completeness_status = status_line(
            tab,
            "kompletthet_status",
            "Andel besvart og andel «Ukjent» per felt blant deltakelser aktive i året. "
            "Forventet = besvart + det reglene melder som manglende.",
        )
        layout.addWidget(self.completeness_status)
        self.completeness_table = figures_table(tab, "kompletthet_tabell", "Kompletthet per felt")
        layout.addWidget(self.completeness_table, 1)
        return tab

    def compute_completeness(self) -> None:
        db = self.context.require_db()
        form = self.context.form_for_new()
        period = Period.year(self.completeness_year.value())

        def job(report: Report) -> object:
            return completeness(db, form, period, progress=report)

        self.completeness_button.setEnabled(False)
        self.completeness_status.setText(f"Beregner kompletthet for {period.label} …")
        start_job(
            self.context,
            job,
            succeeded=lambda result: self._show_completeness(period, result),
            failed=self._completeness_failed,
            progressed=lambda phase, done, total: self.completeness_status.setText(
                f"Beregner kompletthet for {period.label}: {phase.lower()} ({done} av {total}) …"
            ),
        )

    def _completeness_failed(self, error: object) -> None:
        self.completeness_button.setEnabled(True)
        show_failure(self.completeness_status, error)

    def _show_completeness(self, period: Period, result: object) -> None:
        self.completeness_button.setEnabled(True)
        assert isinstance(result, tuple)
        total, figures = result
        rows = completeness_table_rows(figures)
        headings = [
            "Del",
            "Felt",
            "Forventet besvart",
            "Besvart",
            "Andel besvart (%)",
            "Ukjent",
            "Andel ukjent (%)",
        ]
        fill_table(self.completeness_table, headings, rows, label_column=1)
        self.completeness_status.setText(
            f"{total} deltakelser aktive i {period.label}. Eksakte tall, bare til "
            "saksbehandling – ikke for publisering."
        )
        self.completeness_loaded.emit()


def completeness_table_rows(
    figures: Sequence[Completeness],
) -> list[list[str | int | float | None]]:
    def share(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return [
        [
            figure.part,
            figure.label,
            figure.expected,
            figure.answered,
            share(figure.answered_share),
            figure.unknown,
            share(figure.unknown_share),
        ]
        for figure in figures
    ]
