"""Pasted text with control characters in the wizard, on both back ends.

A NUL cannot be stored in the shared database (PostgreSQL text holds no NUL); the
field drops it, says so on the field, and stores the rest of what was pasted. Other
control characters are kept as pasted. Either way nothing else is lost, no stack
trace, and the autosave keeps working."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import stored, synthetic, type_text, widget

from jsdesk.ui.main_window import MainWindow
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
