"""«Resultater», «Mangler og feil» and «Eksporter liste …» as a caseworker uses them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyqtgraph as pg
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QTableWidget,
)
from pytestqt.qtbot import QtBot
from report_support import FORM_VERSION, fixed_records
from sqlalchemy import text
from storage_helpers import Installation
from ui_support import open_installation_window

from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.quality_view import QualityView
from jsdesk.ui.results_view import ResultsView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The fixed register (report_support) on each back end. It spans two Oslo bydeler: on
    the shared database, whose row-level security would hide the other's rows, the login
    is granted the whole municipality."""
    bydel = None if installation.backend == "postgresql" else "030101"
    with installation.create(bydel=bydel) as db:
        for values in fixed_records().values():
            db.create_participation(values, form_version=FORM_VERSION)
    main = open_installation_window(qtbot, installation, monkeypatch)
    yield main
    main.close()


def exported(window: MainWindow) -> list[tuple[str, str]]:
    """The audit's «eksportert» events (what was exported, how), as stored."""
    with window.context.require_db().read() as session:
        rows = session.execute(
            text("SELECT variable, new_value FROM audit_events WHERE action = 'eksportert'")
        ).all()
    return [(row[0], row[1]) for row in rows]


def table_texts(table: QTableWidget) -> dict[str, list[str]]:
    result = {}
    for r in range(table.rowCount()):
        label = table.item(r, 0).text()
        result.setdefault(label, [table.item(r, c).text() for c in range(1, table.columnCount())])
    return result


def open_results(qtbot: QtBot, window: MainWindow) -> ResultsView:
    qtbot.keyClick(window.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    view = window.report_actions.results_view
    assert view is not None
    qtbot.waitUntil(lambda: view.results is not None, timeout=20000)  # this year, at once
    view.year.setValue(2025)
    with qtbot.waitSignal(view.computed, timeout=20000):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    return view


def test_results_view__ctrl_r__exact_figures_with_a_note(qtbot: QtBot, window: MainWindow) -> None:
    view = open_results(qtbot, window)
    note = view.findChild(QLabel, "resultater_merknad")
    assert note is not None and "ikke for publisering" in note.text()
    figures = table_texts(view.findChild(QTableWidget, "tabell_nokkeltall"))
    assert figures["Aktive deltakelser i perioden"][0] == "7"
    assert figures["I arbeid eller utdanning (andel av avsluttede)"] == ["4", "66,7"]
    outcome = table_texts(view.findChild(QTableWidget, "tabell_utfall"))
    assert outcome["Arbeid"] == ["3", "50,0"]  # exact on screen, «<5» only in exports
    assert outcome["I alt"] == ["6", "100,0"]
    # each chart has its figures as a table beside it, and draws the table's bars
    for name in ("tid", "utfall_per_ar"):
        chart = view.findChild(pg.PlotWidget, f"diagram_{name}")
        assert chart is not None
        assert view.findChild(QTableWidget, f"tabell_{name}") is not None
        bars = [i for i in chart.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
        assert bars and all(len(b.opts["height"]) > 0 for b in bars)
        # painted without OpenGL (the Windows bundle has no software OpenGL to fall back on)
        assert not isinstance(chart.viewport(), QOpenGLWidget)
    outcome_bars = view.findChild(pg.PlotWidget, "diagram_utfall_per_ar").getPlotItem().items
    drawn = sorted(h for b in outcome_bars for h in b.opts["height"] if h)
    assert sum(drawn) == 7  # the fixture's seven ended participations over all its years


def test_results_view__table_beside_chart__labels_whole(qtbot: QtBot, window: MainWindow) -> None:
    view = open_results(qtbot, window)
    table = view.content.findChild(QTableWidget, "tabell_utfall_per_ar")
    assert isinstance(table, QTableWidget)
    qtbot.waitUntil(table.isVisible)
    labels = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert "Arbeid og utdanning" in labels
    assert table.columnWidth(0) >= table.sizeHintForColumn(0)  # no «Utdanni…»


def test_results_view__bydel__oslo_only_that_bydel(qtbot: QtBot, window: MainWindow) -> None:
    view = open_results(qtbot, window)
    view.bydel.setCurrentIndex(view.bydel.findData("030102"))
    with qtbot.waitSignal(view.computed, timeout=20000):
        view.compute()
    figures = table_texts(view.findChild(QTableWidget, "tabell_nokkeltall"))
    assert figures["Aktive deltakelser i perioden"][0] == "1"  # H


def test_results_view__exports__suppressed_and_agree_with_each_other(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    view = open_results(qtbot, window)
    view.export_xlsx(tmp_path / "r.xlsx")
    view.export_pdf(tmp_path / "r.pdf")
    assert "små tall skjult" in view.status.text()
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    figures = {row[0]: row[1] for row in book["Nøkkeltall"].iter_rows(min_row=5, values_only=True)}
    book.close()
    screen = table_texts(view.findChild(QTableWidget, "tabell_nokkeltall"))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
    for label, value in figures.items():
        exact = screen[str(label)][0]
        if value in ("<5", ":"):
            assert exact not in ("", "0") or value == ":"
        else:
            assert str(value).replace(".", ",") == exact  # the same figure as on screen
        assert f"{label} {str(value).replace('.', ',')}" in text


def test_results_view__bad_dates__bokmal_message(qtbot: QtBot, window: MainWindow) -> None:
    view = open_results(qtbot, window)
    view.own_period.setChecked(True)
    view.first.setText("31.02.2025")
    view.compute()
    assert "DD.MM.ÅÅÅÅ" in view.status.text()


def open_quality(qtbot: QtBot, window: MainWindow) -> QualityView:
    qtbot.keyClick(window.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    view = window.report_actions.quality_view
    assert view is not None
    qtbot.waitUntil(lambda: view.quality is not None, timeout=20000)
    return view


def test_quality_view__counts_filters_and_enter_opens_the_field(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = open_quality(qtbot, window)
    assert view.counts.count() > 0
    assert "mangler i" in view.counts.item(0).text()
    total = view.model.rowCount()
    assert total == len(view.quality.items) > 0  # type: ignore[union-attr]
    view.variable_filter.setCurrentIndex(view.variable_filter.findData("finansieringstype"))
    shown = view.model.rowCount()
    assert 0 < shown < total
    assert all(item.variable == "finansieringstype" for item in view.model.visible_items())
    view.table.setFocus()
    view.table.selectRow(0)
    item = view.model.item(0)
    assert item is not None
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.wizards) == 1)
    wizard = window.wizards[0]
    assert wizard.participation_id == item.participation_id
    field = wizard.fields["finansieringstype"]

    def on_field() -> bool:
        focused = wizard.focusWidget()  # the wizard window's focus (offscreen: not active)
        return focused is not None and (
            focused is field.editor or field.editor.isAncestorOf(focused)
        )

    qtbot.waitUntil(on_field)
    assert wizard.currentId() == field.variable.part


def test_quality_view__sorted_column__heading_whole(qtbot: QtBot, window: MainWindow) -> None:
    view = open_quality(qtbot, window)
    header = view.table.horizontalHeader()
    for column in (1, 0, 2):  # oppstartsdato (the first order), deltakelse, status
        view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        assert header.sortIndicatorSection() == column
        assert view.table.columnWidth(column) >= header.sectionSizeHint(column)


def test_quality_view__completeness__computed_off_the_ui_thread_figures_by_hand(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = open_quality(qtbot, window)
    view.tabs.setCurrentIndex(1)
    view.completeness_year.setValue(2025)
    phases: list[str] = []
    with qtbot.waitSignal(view.completeness_loaded, timeout=20000):
        qtbot.mouseClick(view.completeness_button, Qt.MouseButton.LeftButton)
        phases.append(view.completeness_status.text())
        assert not view.completeness_button.isEnabled()  # working; the window answers
    assert phases[0].startswith("Beregner kompletthet for 2025")
    assert view.completeness_button.isEnabled()
    assert view.completeness_status.text().startswith("7 deltakelser aktive i 2025")
    rows = {
        view.completeness_table.item(r, 1).text(): [
            view.completeness_table.item(r, c).text() for c in range(2, 7)
        ]
        for r in range(view.completeness_table.rowCount())
    }
    fravar = next(texts for label, texts in rows.items() if label.startswith("Hva var fravær"))
    assert fravar[:2] == ["6", "6"] and fravar[3] == "1"  # I answered «Ukjent»


def test_quality_view__export__masked_unless_chosen_and_audited(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    view = open_quality(qtbot, window)
    view.export(tmp_path / "m.csv")
    rows = list(csv.reader((tmp_path / "m.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert len(rows) == 1 + view.model.rowCount()
    assert all(row[1].endswith("*****") for row in rows[1:])
    view.full_fnr.setChecked(True)
    view.export(tmp_path / "m.xlsx")
    events = exported(window)
    assert [e[0] for e in events] == ["mangler og feil", "mangler og feil"]
    assert '"fulle fødselsnumre": true' in events[1][1]


def test_quality_view__alt_f__ticks_full_numbers_every_mnemonic_once(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = open_quality(qtbot, window)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(view.full_fnr.isChecked)  # a mnemonic clicks the box
    texts = [w.text() for w in view.findChildren(QLabel) if w.buddy() is not None]
    texts += [w.text() for w in view.findChildren(QAbstractButton)]
    texts += [view.tabs.tabText(i) for i in range(view.tabs.count())]
    letters = [text[text.index("&") + 1].lower() for text in texts if "&" in text]
    assert len(letters) == len(set(letters)), sorted(letters)


def test_report_export__file_dialog_opens_where_the_last_export_went(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    view = open_quality(qtbot, window)
    chosen = tmp_path / "eksporter"
    chosen.mkdir()
    folders: list[str] = []

    def answer(name: str) -> None:
        """Type ``name`` in the export's file dialog (the real one) once it shows."""
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QFileDialog) and w.isVisible()
        ]
        if not shown:
            QTimer.singleShot(50, lambda: answer(name))
            return
        dialog = shown[0]
        folders.append(dialog.directory().absolutePath())
        field = dialog.findChild(QLineEdit, "fileNameEdit")  # typed as a user would
        assert isinstance(field, QLineEdit)
        field.setText(str(chosen / name))
        dialog.accept()

    QTimer.singleShot(100, lambda: answer("mangler.csv"))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert (chosen / "mangler.csv").is_file()
    QTimer.singleShot(100, lambda: answer("mangler2.csv"))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert (chosen / "mangler2.csv").is_file()
    assert Path(folders[1]) == chosen != Path(folders[0])


def test_quality_view__completeness_tab__figures_per_field_for_the_year(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = open_quality(qtbot, window)
    view.tabs.setCurrentIndex(1)
    year = view.completeness_year
    assert (year.minimum(), year.accessibleName()) == (2023, "År")  # the register opened 2023
    year.setValue(2025)
    with qtbot.waitSignal(view.completeness_loaded, timeout=20000):
        qtbot.mouseClick(view.completeness_button, Qt.MouseButton.LeftButton)
    assert view.completeness_status.text().startswith("7 deltakelser aktive i 2025.")
    table = view.completeness_table
    headings = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headings[:3] == ["Del", "Felt", "Forventet besvart"]
    by_field = {table.item(r, 1).text(): r for r in range(table.rowCount())}
    row = by_field["Dato for oppstart"]
    assert [table.item(row, c).text() for c in (2, 3, 4)] == ["7", "7", "100,0"]
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert table.item(row, 3).textAlignment() == right  # figures right, the field left
    assert table.item(row, 1).textAlignment() != right
    assert not table.tabKeyNavigation()
    assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers


# The two report windows' exports: how to open the window, its export, a file name.
EXPORTS = {
    "results": (open_results, ResultsView.export_xlsx, "r.xlsx"),
    "quality": (open_quality, QualityView.export, "m.csv"),
}


@pytest.mark.parametrize("view_name", sorted(EXPORTS))
def test_report_view__export_to_missing_folder__bokmal_message_nothing_written_or_audited(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, view_name: str
) -> None:
    open_view, export, file_name = EXPORTS[view_name]
    missing = tmp_path / "finnes-ikke" / file_name
    view = open_view(qtbot, window)
    export(view, missing)
    assert not missing.parent.exists()
    assert view.status.text().startswith(f"Kan ikke skrive til mappen {missing.parent}")
    assert exported(window) == []


def test_list_export__overview_rows_chosen_columns_masked_by_default(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    qtbot.keyClick(
        window.table,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.report_actions.list_dialog
    assert dialog is not None
    dialog.columns[6].setChecked(False)  # «Utfylt per del»
    assert dialog.export(tmp_path / "liste.csv")
    rows = list(
        csv.reader((tmp_path / "liste.csv").read_text("utf-8-sig").splitlines(), delimiter=";")
    )
    assert rows[0] == [
        "Fødselsnummer", "Fødselsår", "Oppstartsdato", "Avslutningsdato", "Stadium", "Status",
        "Feil/advarsler", "Sist endret",
    ]  # fmt: skip
    assert len(rows) == 1 + 9
    assert all(row[0].endswith("*****") for row in rows[1:])
    dialog.full_fnr.setChecked(True)
    assert dialog.export(tmp_path / "liste.xlsx")
    book = openpyxl.load_workbook(tmp_path / "liste.xlsx", read_only=True)
    numbers = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]  # type: ignore[union-attr]
    book.close()
    assert all(isinstance(n, str) and len(n) == 11 and n.isdigit() for n in numbers)
