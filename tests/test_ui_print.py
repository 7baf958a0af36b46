""" "Skriv ut deltakelse": all four parts with labels and values, the
fødselsnummer only when asked for; printed, or saved as PDF on a machine without printers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import make_installation, open_installation_window, person

from jsdesk.ui.fields import ReadOnlyField
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.print_record import PrintParticipationDialog
from jsdesk.ui.printing import document

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

RECORD = person(
    date(1985, 4, 12),
    212,
    "2024-02-01",
    deltatt_intro=1,
    intro_avsluttet_dato="2023-12-15",
    tiltak_for_jobbsjansen=[1, 3],
    proveresultater=[{"provedato": "2024-10-10", "provetype": 1, "proveresultat": 6}],
    hovedarsak_avslutning=1,
)


@pytest.fixture
def app_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The overview of one participation, on each back end."""
    make_installation(installation, [RECORD])
    window = open_installation_window(qtbot, installation, monkeypatch)
    yield window
    window.close()


def test_skriv_ut_deltakelse__four_parts__fnr_masked_unless_asked__pdf_written(
    qtbot: QtBot, app_window: MainWindow, tmp_path: Path
) -> None:
    pid = app_window.selected_id()
    assert pid is not None
    wizard = app_window.open_participation(pid)
    assert wizard is not None
    wizard.print_button.click()
    dialog = wizard.findChild(PrintParticipationDialog, "skriv_ut_deltakelse_dialog")
    assert dialog is not None and dialog.isVisible()
    fnr = str(RECORD["fodselsnummer"])

    text = document(dialog.html()).toPlainText()
    for part in wizard.form.parts:
        assert f"Del {part.number}: {part.title}" in text
    assert fnr not in text and f"{fnr[:6]}*****" in text
    assert "Dato avsluttet introduksjonsprogram" in text and "15.12.2023" in text
    assert "1 Arbeid" in text  # hovedårsak: the code with its text
    assert "1985" in text  # fødselsår, computed by the rule engine
    assert "10.10.2024" in text  # the test result's date, one line per result

    dialog.show_fnr.setChecked(True)
    assert fnr in document(dialog.html()).toPlainText()
    dialog._print()
    save = wizard.findChild(QFileDialog, "lagre_pdf_dialog")
    assert save is not None and save.isVisible()
    target = tmp_path / "deltakelse.pdf"
    save.selectFile(str(target))
    save.accept()
    assert target.read_bytes().startswith(b"%PDF")
    assert str(target) in wizard.saved_label.text()


def test_skriv_ut_deltakelse__from_the_overview__ctrl_p(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    assert app_window.action_print.shortcut().toString() == "Ctrl+P"
    app_window.action_print.trigger()
    dialog = app_window.findChild(PrintParticipationDialog, "skriv_ut_deltakelse_dialog")
    assert dialog is not None and dialog.isVisible()
    assert not dialog.show_fnr.isChecked()
    dialog.reject()


def test_wizard__person_id__installations_keyed_id_shown_and_never_printed(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    pid = app_window.selected_id()
    assert pid is not None
    stored = app_window.context.require_db().query_participations(limit=10)[0].person_id
    wizard = app_window.open_participation(pid)
    assert wizard is not None
    wizard.reevaluate()  # as when the number is typed: the wizard's own evaluation
    field = wizard.fields["person_id"]
    assert isinstance(field, ReadOnlyField)
    assert stored and field.edit.text() == stored  # beside the full number, keyed
    wizard.print_button.click()
    dialog = wizard.findChild(PrintParticipationDialog, "skriv_ut_deltakelse_dialog")
    assert dialog is not None
    for show_fnr in (False, True):
        dialog.show_fnr.setChecked(show_fnr)
        text = document(dialog.html()).toPlainText()
        assert "PersonId" not in text and stored not in text
