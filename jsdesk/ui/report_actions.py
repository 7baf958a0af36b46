"""The main window's report actions: «Resultater …», «Mangler og feil …», «Eksporter liste …».

``install(window)`` adds a menu "R&apporter" (Alt+A) with the three actions, enabled
only while the database is open, and opens the windows they name (the newest
of each is kept for tests). «Mangler og feil» asks the main window to open a
participation on a field when the user presses Enter on a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.reports.export import write_list
from jsdesk.ui.participations_model import COLUMNS
from jsdesk.ui.quality_view import QualityView
from jsdesk.ui.report_jobs import choose_file
from jsdesk.ui.submission_actions import window_action

if TYPE_CHECKING:
    from jsdesk.ui.host import MainWindowHost
    from jsdesk.ui.participations_model import ParticipationsModel
    from jsdesk.ui.results_view import ResultsView

RESULTS_KEYS = "Ctrl+R"
QUALITY_KEYS = "Ctrl+M"
LIST_KEYS = "Ctrl+Shift+E"


class ReportActions(QObject):
    def __init__(self, window: MainWindowHost) -> None:
        super().__init__(window.as_widget())
        self.setObjectName("rapporthandlinger")
        self.window = window
        self.results_view: ResultsView | None = None
        self.quality_view: QualityView | None = None
        self.list_dialog: ListExportDialog | None = None
        self.action_results = window_action(window, "action_results", "&Resultater …", RESULTS_KEYS)
        self.action_results.triggered.connect(self.open_results)
        self.action_quality = window_action(
            window, "action_quality", "&Mangler og feil …", QUALITY_KEYS
        )
        self.action_quality.triggered.connect(self.open_quality)
        self.action_list = window_action(
            window, "action_export_list", "Eksporter &liste …", LIST_KEYS
        )
        self.action_list.triggered.connect(self.open_list_export)
        menu = window.menuBar().addMenu("R&apporter")
        menu.setObjectName("rapportmeny")
        for action in (self.action_results, self.action_quality, self.action_list):
            menu.addAction(action)
        window.context.unlocked.connect(lambda: self._set_enabled(True))
        window.context.locked.connect(lambda: self._set_enabled(False))
        self._set_enabled(window.context.is_open)

    def _set_enabled(self, enabled: bool) -> None:
        for action in (self.action_results, self.action_quality, self.action_list):
            action.setEnabled(enabled)

    def _show(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.activateWindow()

    @Slot()
    def open_results(self) -> ResultsView | None:
        if not self.window.context.is_open:
            return None
        # pyqtgraph and numpy load when the results are first opened, not with the main
        # window (268 modules, 2.6 s on the loaded 2-core build machine).
        from jsdesk.ui.results_view import ResultsView

        view = ResultsView(self.window.context, self.window.as_widget())
        self.results_view = view
        self._show(view)
        view.compute()
        return view

    @Slot()
    def open_quality(self) -> QualityView | None:
        if not self.window.context.is_open:
            return None

        view = QualityView(self.window.context, self.window.as_widget())
        view.open_requested.connect(self.open_on_field)
        self.quality_view = view
        self._show(view)
        return view

    @Slot(int, str)
    def open_on_field(self, participation_id: int, variable: str) -> None:
        wizard = self.window.open_participation(participation_id)
        if wizard is None:
            return
        wizard.focus_variable(variable)

    @Slot()
    def open_list_export(self) -> ListExportDialog | None:
        if not self.window.context.is_open:
            return None
        dialog = ListExportDialog(self.window.model, self.window.as_widget())
        self.list_dialog = dialog
        self._show(dialog)
        return dialog


class ListExportDialog(QDialog):
    """«Eksporter liste …»: the overview's rows (its filters and order), chosen columns."""

    def __init__(self, model: ParticipationsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        self.model = model
        self.setObjectName("eksporter_liste")
        self.setWindowTitle("Eksporter liste")
        layout = QVBoxLayout(self)
        count = model.rowCount()
        intro = QLabel(
            f"Eksporterer de {count} deltakelsene oversikten viser nå (samme søk, filtre og "
            "rekkefølge) til Excel (.xlsx) eller CSV.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        box = QGroupBox("Kolonner", self)
        columns = QVBoxLayout(box)
        self.columns: list[QCheckBox] = []
        for i, column in enumerate(COLUMNS):
            check = QCheckBox(column.title, box)
            check.setObjectName(f"kolonne_{i}")
            check.setChecked(True)
            columns.addWidget(check)
            self.columns.append(check)
        layout.addWidget(box)
        self.full_fnr = QCheckBox(
            "Ta med &fulle fødselsnumre (ellers maskert; registreres i loggen)", self
        )
        self.full_fnr.setObjectName("liste_fulle_fnr")
        layout.addWidget(self.full_fnr)
        self.status = QLabel("", self)
        self.status.setObjectName("liste_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton("&Lagre …", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Lukk", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._ask)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _ask(self) -> None:
        path = choose_file(
            self, "Eksporter liste", "deltakelser.xlsx", "Excel (*.xlsx);;CSV (*.csv)"
        )
        if path is not None:
            self.export(path)

    def export(self, path: Path) -> bool:
        chosen = [i for i, check in enumerate(self.columns) if check.isChecked()]
        if not chosen:
            self.status.setText("Velg minst én kolonne.")
            return False
        full = self.full_fnr.isChecked()
        f = self.model.filters
        db = self.model.context.require_db()
        listed = db.participation_list(
            search=f.search,
            status=f.status,
            stage=f.stage,
            year=f.year,
            order_by=f.order_by,
            descending=f.descending,
        )
        rows = [
            [
                (number or "") if column == 0 and full else self.model.cell_text(summary, column)
                for column in chosen
            ]
            for summary, number in listed
        ]
        headings = [COLUMNS[i].title for i in chosen]
        try:
            write_list(path, "Deltakelser", headings, rows)
            db.record_export(
                "deltakerliste", file_name=path.name, rows=len(rows), fnr_shown=full and 0 in chosen
            )
        except UserError as exc:
            self.status.setText(exc.message)
            return False
        self.status.setText(f"{len(rows)} deltakelser lagret i {path}.")
        return True


def install(window: MainWindowHost) -> ReportActions:
    return ReportActions(window)
