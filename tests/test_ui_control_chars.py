"""Pasted text with control characters in the wizard, on both back ends.

A NUL cannot be stored in the shared database (PostgreSQL text holds no NUL); the
field drops it, says so on the field, and stores the rest of what was pasted. Other
control characters are kept as pasted. Either way nothing else is lost, no stack
trace, and the autosave keeps working."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QTableWidget
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import press, stored, synthetic, type_text, widget

from jsdesk.rules import Finding, FindingCode, Severity, default_form
from jsdesk.ui.dialogs import DeleteDialog, SettingsDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.pilot import CaseNameDialog
from jsdesk.ui.receipt import NEXT_STEPS_SETTING
from jsdesk.ui.warnings_dialog import AcceptWarningsDialog
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

FNR = synthetic(date(1987, 6, 14), 310)


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The wizard on each back end (the local file, a shared database)."""
    return installation


def paste(qtbot: QtBot, wizard: ParticipationWizard, name: str, text: str) -> None:
    """Replace the field's text with ``text`` from the clipboard (Ctrl+A, Ctrl+V)."""
    edit = widget(wizard, name)
    assert isinstance(edit, QLineEdit)
    QApplication.clipboard().setText(text)
    assert QApplication.clipboard().text() == text
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def note(wizard: ParticipationWizard, name: str) -> str:
    message = wizard.fields[name].message
    return message.text() if message.isVisibleTo(wizard) else ""


@pytest.mark.parametrize(
    ("name", "pasted", "kept"),
    [
        ("oppstartsdato", "15.0\x001.2024", "2024-01-15"),
        ("oppstartsdato", "i g\x00år", "i går"),
        ("fodselsnummer", FNR[:5] + "\x00" + FNR[5:], FNR),
    ],
    ids=["dato", "dato-uleselig", "fodselsnummer"],
)
def test_paste__nul_in_field__dropped_with_note_rest_stored(
    qtbot: QtBot,
    app_window: MainWindow,
    wizard: ParticipationWizard,
    name: str,
    pasted: str,
    kept: str,
) -> None:
    if name != "fodselsnummer":
        type_text(qtbot, wizard, "fodselsnummer", FNR)
    paste(qtbot, wizard, name, pasted)
    edit = wizard.fields[name].editor
    assert isinstance(edit, QLineEdit)
    assert "\x00" not in edit.text()
    assert stored(app_window, wizard)[name] == kept
    assert "NUL" in note(wizard, name) and "fjernet" in note(wizard, name)
    assert "Lagret kl." in wizard.saved_label.text()
    # The autosave keeps working after it.
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    assert stored(app_window, wizard)["oppstartsdato"] == "2024-03-01"
    assert "Lagret kl." in wizard.saved_label.text()


def test_paste__other_control_characters__kept_as_pasted(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "fodselsnummer", FNR)
    pasted = "i\x01 g\x1bår\x7f"
    paste(qtbot, wizard, "oppstartsdato", pasted)
    assert stored(app_window, wizard)["oppstartsdato"] == pasted
    assert "Lagret kl." in wizard.saved_label.text()


def test_settings__nul_pasted_in_receipt_text__dropped_with_note_rest_stored(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    app_window.show_settings()
    dialog = app_window.findChild(SettingsDialog, "innstillinger_dialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.next_steps.setFocus()
    QApplication.clipboard().setText("Send filen\x00 til IMDi.")
    qtbot.keyClick(dialog.next_steps, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.next_steps.toPlainText() == "Send filen til IMDi."
    note = dialog.findChild(QLabel, "neste_steg_merknad")
    assert note is not None and note.isVisibleTo(dialog) and "NUL" in note.text()
    assert "NUL" in dialog.next_steps.accessibleDescription()
    qtbot.keyClicks(dialog.next_steps, " Takk.")
    assert not note.isVisibleTo(dialog)
    dialog._accept()
    stored_text = app_window.context.require_db().get_own_setting(NEXT_STEPS_SETTING)
    assert stored_text == "Send filen til IMDi. Takk."


def test_delete_dialog__nul_pasted_in_reason__dropped_with_note(qtbot: QtBot) -> None:
    dialog = DeleteDialog("141287*****", None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.setFocus()
    QApplication.clipboard().setText("Registrert\x00 to ganger")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.reason.text() == "Registrert to ganger"
    assert dialog.reason.cursorPosition() == len("Registrert to ganger")
    note = dialog.findChild(QLabel, "begrunnelse_merknad")
    assert note is not None and note.isVisible() and "NUL" in note.text()
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Space)
    with qtbot.waitSignal(dialog.confirmed) as confirmed:
        dialog._accept()
    assert confirmed.args == ["Registrert to ganger"]


def test_group_table__nul_pasted_in_date_cell__dropped_with_note_rest_stored(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "fodselsnummer", FNR)
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    wizard.go_to_page(1)
    press(qtbot, wizard, "rett_norskopplaring_1")
    add = widget(wizard, "proveresultater_legg_til")
    assert isinstance(add, QAbstractButton)
    qtbot.keyClick(add, Qt.Key.Key_Space)
    table = widget(wizard, "proveresultater")
    assert isinstance(table, QTableWidget)
    # What the cell's editor commits (a date pasted with a NUL in it).
    item = table.item(0, 0)
    assert item is not None
    item.setText("10.10\x00.2024")
    assert table.item(0, 0).text() == "10.10.2024"  # type: ignore[union-attr]
    rows = stored(app_window, wizard)["proveresultater"]
    assert isinstance(rows, list) and rows[0]["provedato"] == "2024-10-10"
    assert "Lagret kl." in wizard.saved_label.text()
    message = wizard.fields["proveresultater"].message
    assert not message.isHidden() and message.text().startswith("Rad 1: Tegnet NUL")


def test_case_name_dialog__nul_pasted__dropped_with_note(qtbot: QtBot) -> None:
    dialog = CaseNameDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setFocus()
    QApplication.clipboard().setText("Avslutning\x00 uten grunn")
    qtbot.keyClick(dialog.name, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.name.text() == "Avslutning uten grunn"
    note = dialog.findChild(QLabel, "testtilfelle_navn_merknad")
    assert note is not None and note.isVisible() and "NUL" in note.text()


def test_accept_warnings_dialog__nul_pasted_in_reason__dropped_with_note(qtbot: QtBot) -> None:
    warning = Finding(
        "oppstartsdato", None, Severity.WARNING, FindingCode.REQUIRED, "Sjekk datoen."
    )
    dialog = AcceptWarningsDialog(default_form(), [warning])
    qtbot.addWidget(dialog)
    dialog.show()
    edit = dialog.reasons[0]
    edit.setFocus()
    QApplication.clipboard().setText("Avtalt\x00 med NAV")
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    note = dialog.findChild(QLabel, "begrunnelse_0_merknad")
    assert note is not None and note.isVisible() and "NUL" in note.text()
    with qtbot.waitSignal(dialog.accepted_reasons) as chosen:
        dialog._accept()
    assert chosen.args == [[(warning, "Avtalt med NAV")]]
