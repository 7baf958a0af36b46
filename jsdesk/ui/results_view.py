"""«Resultater»: the municipality's results for a year or a period, on screen.

The figures are computed off the UI thread (``jsdesk.reports.results``) with a
progress bar, and shown exactly, with a note that they are not for publishing.
Each chart has its table beside it (the table takes the keyboard focus; the
chart is a picture of the same figures). «Eksporter PDF …» and «Eksporter
Excel …» write the suppressed figures.

Signals: ``computed(object)`` with the ``Results`` once they are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.code_domains import OSLO_BYDELER
from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.reports.export import Cell, figure_rows, table_rows, write_results_xlsx
from jsdesk.reports.results import Results, compute_results
from jsdesk.reports.suppression import SCREEN_NOTE, unsuppressed
from jsdesk.reports.tables import Table
from jsdesk.ui.background import Report
from jsdesk.ui.bokmal import parse_nb_date
from jsdesk.ui.context import AppContext
from jsdesk.ui.report_charts import chart_view
from jsdesk.ui.report_jobs import choose_file, start_job
from jsdesk.ui.report_pdf import write_results_pdf
from jsdesk.ui.report_window import (
    ReportWindow,
    figures_table,
    fill_table,
    show_failure,
    show_progress,
    status_line,
    write_file,
)

WHOLE = "Hele kommunen"
_TO_CONTENTS = QHeaderView.ResizeMode.ResizeToContents


class ResultsView(ReportWindow):
    computed = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, name="resultater", title="Resultater")
        self.results: Results | None = None
        self._asked = 0  # the newest computation; an older one's answer is dropped
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_choice())
        self.note = QLabel(SCREEN_NOTE, self)
        self.note.setObjectName("resultater_merknad")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.note)
        self.status = status_line(self, "resultater_status")
        layout.addWidget(self.status)
        self.area = QScrollArea(self)
        self.area.setObjectName("resultater_innhold")
        self.area.setWidgetResizable(True)
        self.content = QWidget(self.area)
        self.area.setWidget(self.content)
        layout.addWidget(self.area, 1)

    # -- the choice of period and bydel -------------------------------------------
    def _build_choice(self) -> QWidget:
        box = QGroupBox("Periode", self)
        row = QHBoxLayout(box)
        form = QFormLayout()
        self.year = self.year_choice(box, "resultater_ar")
        form.addRow("&År:", self.year)
        row.addLayout(form)
        self.own_period = QCheckBox("&Egen periode", box)
        self.own_period.setObjectName("resultater_egen_periode")
        row.addWidget(self.own_period)
        self.first = QLineEdit(box)
        self.first.setObjectName("resultater_fra")
        self.first.setPlaceholderText("DD.MM.ÅÅÅÅ")
        self.first.setAccessibleName("Fra dato")
        self.last = QLineEdit(box)
        self.last.setObjectName("resultater_til")
        self.last.setPlaceholderText("DD.MM.ÅÅÅÅ")
        self.last.setAccessibleName("Til dato")
        dates = QFormLayout()
        dates.addRow("&Fra:", self.first)
        dates.addRow("&Til:", self.last)
        row.addLayout(dates)
        self.own_period.toggled.connect(self._period_mode)
        self._period_mode(False)
        self.bydel = QComboBox(box)
        self.bydel.setObjectName("resultater_bydel")
        self.bydel.setAccessibleName("Bydel")
        self.bydel.addItem(WHOLE, None)
        bydel_label = QLabel("&Bydel:", box)
        bydel_label.setBuddy(self.bydel)
        if self._is_oslo():
            for choice in OSLO_BYDELER.choices(Period.day(date.today())):
                self.bydel.addItem(choice.label, choice.value)
        else:
            bydel_label.hide()
            self.bydel.hide()
        row.addWidget(bydel_label)
        row.addWidget(self.bydel)
        self.compute_button = QPushButton("&Beregn", box)
        self.compute_button.setObjectName("resultater_beregn")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self.compute)
        row.addWidget(self.compute_button)
        self.progress = QProgressBar(box)
        self.progress.setObjectName("resultater_fremdrift")
        self.progress.setAccessibleName("Fremdrift")
        self.progress.setRange(0, 3)
        self.progress.hide()
        row.addWidget(self.progress)
        row.addStretch(1)
        self.pdf_button = QPushButton("Eksporter &PDF …", box)
        self.pdf_button.setObjectName("resultater_pdf")
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.xlsx_button = QPushButton("Eksporter E&xcel …", box)
        self.xlsx_button.setObjectName("resultater_excel")
        self.xlsx_button.clicked.connect(self._ask_xlsx)
        for button in (self.pdf_button, self.xlsx_button):
            button.setEnabled(False)
            button.setToolTip("Eksporten skjuler tall fra 1 til 4 («<5»).")
            row.addWidget(button)
        return box

    def _is_oslo(self) -> bool:
        kommune = OSLO_BYDELER.kommunenummer
        return self.context.is_open and self.context.require_db().settings.kommunenummer == kommune

    def _period_mode(self, own: bool) -> None:
        self.year.setEnabled(not own)
        self.first.setEnabled(own)
        self.last.setEnabled(own)

    def period(self) -> Period:
        if not self.own_period.isChecked():
            return Period.year(self.year.value())
        first, last = parse_nb_date(self.first.text()), parse_nb_date(self.last.text())
        if first is None or last is None:
            raise UserError("Skriv fra- og til-dato som DD.MM.ÅÅÅÅ, f.eks. 01.01.2025.", 2)
        return Period(first, last)

    # -- computing ------------------------------------------------------------------
    def compute(self) -> None:
        try:
            period = self.period()
        except UserError as exc:
            self.status.setText(exc.message)
            return
        db = self.context.require_db()
        form = self.context.form_for_new()
        bydel = self.bydel.currentData()

        def job(report: Report) -> object:
            return compute_results(db, form, period, bydel=bydel, progress=report)

        self._asked += 1
        asked = self._asked
        self.compute_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Beregner resultater for {period.label} …")
        start_job(
            self.context,
            job,
            succeeded=lambda results: self._computed(asked, results),
            failed=self._failed,
            progressed=self._progressed,
        )

    def _progressed(self, phase: str, done: int, total: int) -> None:
        show_progress(self.progress, phase, done, total)

    def _failed(self, error: object) -> None:
        self.compute_button.setEnabled(True)
        self.progress.hide()
        show_failure(self.status, error)

    def _computed(self, asked: int, results: object) -> None:
        assert isinstance(results, Results)
        if asked != self._asked:
            return
        self.compute_button.setEnabled(True)
        self.progress.hide()
        self.show_results(results)

    def show_results(self, results: Results) -> None:
        self.results = results
        place = f", bydel {results.bydel}" if results.bydel else ""
        self.status.setText(f"Resultater for {results.period.label}{place}.")
        content = QWidget(self.area)
        layout = QVBoxLayout(content)
        figures = _table(
            figures_table(content, "tabell_nokkeltall", "Nøkkeltall"),
            ["Nøkkeltall", "Verdi", "Andel (%) / enhet"],
            figure_rows(results, exact=True),
        )
        layout.addWidget(_titled("Nøkkeltall", figures, content))
        for table in results.tables:
            widget = table_widget(table, content)
            if table.name in results.charts:
                pair = QWidget(content)
                row = QHBoxLayout(pair)
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(widget, 1)
                row.addWidget(chart_view(table, pair), 1)
                layout.addWidget(_titled(table.title, pair, content, table.note))
            else:
                layout.addWidget(_titled(table.title, widget, content, table.note))
        layout.addStretch(1)
        old = self.area.takeWidget()
        if old is not None:
            old.deleteLater()
        self.area.setWidget(content)
        self.content = content
        self.pdf_button.setEnabled(True)
        self.xlsx_button.setEnabled(True)
        self.computed.emit(results)

    # -- export ---------------------------------------------------------------------
    def _file_name(self, suffix: str) -> str:
        assert self.results is not None
        label = self.results.period.label.replace(".", "-").replace("–", "_")
        return f"resultater-{label}.{suffix}"

    def _ask_pdf(self) -> None:
        path = choose_file(self, "Eksporter PDF", self._file_name("pdf"), "PDF (*.pdf)")
        if path is not None:
            self.export_pdf(path)

    def _ask_xlsx(self) -> None:
        path = choose_file(self, "Eksporter Excel", self._file_name("xlsx"), "Excel (*.xlsx)")
        if path is not None:
            self.export_xlsx(path)

    def export_pdf(self, path: Path) -> None:
        self._export(write_results_pdf, path, "PDF")

    def export_xlsx(self, path: Path) -> None:
        self._export(write_results_xlsx, path, "Excel-fil")

    def _export(self, write: Callable[[Results, Path], None], path: Path, what: str) -> None:
        """Write the suppressed figures with ``write``; the outcome on the status line."""
        results = self.results
        assert results is not None
        done = f"{what} lagret: {path} (små tall skjult)."
        write_file(self.status, lambda: write(results, path), done)


def _titled(title: str, body: QWidget, parent: QWidget, note: str = "") -> QGroupBox:
    box = QGroupBox(title, parent)
    layout = QVBoxLayout(box)
    if note:
        label = QLabel(note, box)
        label.setWordWrap(True)
        layout.addWidget(label)
    layout.addWidget(body)
    return box


def table_widget(table: Table, parent: QWidget) -> QTableWidget:
    """The exact table, read-only, keyboard-reachable, as tall as its rows."""
    headings, rows = table_rows(unsuppressed(table))
    return _table(figures_table(parent, f"tabell_{table.name}", table.title), headings, rows)


def _table(widget: QTableWidget, headings: list[str], rows: list[list[Cell]]) -> QTableWidget:
    """``widget`` showing the figures, as tall as their rows (up to a limit) in the page."""
    fill_table(widget, headings, rows)
    if len(headings) > 3:
        # A table of years beside its chart: its labels whole («Utdanning», not
        # «Utdanni…»); the figures scroll sideways when the half page is too narrow.
        widget.horizontalHeader().setSectionResizeMode(0, _TO_CONTENTS)
    height = widget.horizontalHeader().height()
    height += sum(widget.rowHeight(r) for r in range(len(rows))) + 6
    widget.setMinimumHeight(min(height, 520))
    widget.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return widget
