"""Keyboard without traps: Enter, Tab, arrows, code numbers, mnemonics, buttons.

Each test is a defect a keyboard user met on the first version of the wizard.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QMessageBox,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    mnemonic_letters,
    press,
    type_search,
    type_text,
    widget,
)

from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


def focused() -> QWidget:
    current = QApplication.focusWidget()
    assert current is not None
    return current


def test_enter_in_a_field__moves_to_the_next_field__ctrl_enter_to_the_next_page(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", "01.02.2024")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert wizard.currentId() == 1
    assert focused() is wizard.findChild(QWidget, "finansieringstype_1")
    qtbot.keyClick(focused(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert wizard.currentId() == 2


def test_tab__skips_read_only_values_and_the_kalender_and_hvorfor_buttons(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    page = wizard.pages[1]
    page.focus_first()
    visited: list[QWidget] = []
    while page.body.isAncestorOf(focused()) and focused() not in visited:
        visited.append(focused())
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    names = [w.objectName() for w in visited]
    assert "oppstartsdato" in names
    assert not [w for w in visited if isinstance(w, QToolButton)], names
    read_only = {f.editor for f in page.fields if f.read_only}
    assert read_only and not read_only & set(visited), names
    # The values Tab skips stay readable by a screen reader, in the page's description.
    assert "Fødselsår" in page.accessibleDescription()
    assert "Kommune:" in page.accessibleDescription()


def test_f4_opens_the_calendar__shift_f1_says_why_the_skipped_field_is_locked(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    edit = widget(wizard, "oppstartsdato")
    qtbot.keyClick(edit, Qt.Key.Key_F4)
    field = wizard.fields["oppstartsdato"]
    calendar = getattr(field, "calendar", None)
    assert calendar is not None and calendar.isVisible()
    calendar.hide()
    wizard.go_to_page(2)
    press(qtbot, wizard, "deltatt_intro_2")  # Nei: the end date of the programme is locked
    qtbot.keyClick(focused(), Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier)
    box = wizard.findChild(QMessageBox, "hvorfor_dialog")
    assert box is not None and box.isVisible()
    assert "Dato avsluttet introduksjonsprogram" in box.informativeText()
    assert "Låst" in box.informativeText()
    box.close()
    wizard.show_help()
    assert "Shift+F1" in wizard.help_panel.text() or "F4" in wizard.help_panel.text()


@pytest.mark.parametrize(
    ("page", "answer", "unlocked"),
    [
        (1, "oppstartsdato", "finansieringstype"),
        (3, "sted_arbeidspraksis", "oppstartsdato_forste_praksis"),
    ],
)
def test_field_unlocked_by_an_answer__comes_after_it_in_visual_and_tab_order(
    qtbot: QtBot, wizard: ParticipationWizard, page: int, answer: str, unlocked: str
) -> None:
    wizard.go_to_page(page)
    body = wizard.pages[page].body
    rows = {f.name: f.row.mapTo(body, QPoint(0, 0)).y() for f in wizard.pages[page].fields}
    assert rows[answer] < rows[unlocked]
    names = [f.name for f in wizard.pages[page].fields]
    assert names.index(answer) < names.index(unlocked)


def test_down_arrow__radio_group_without_answer__chooses_the_first_option(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    first = widget(wizard, "deltatt_intro_1")
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert wizard.fields["deltatt_intro"].value() == 1
    assert focused() is first


def test_typing_a_code_number__chooses_that_code_not_the_next_label_with_the_digit(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(4)
    combo = widget(wizard, "hovedarsak_avslutning")
    assert isinstance(combo, QComboBox)
    type_search(qtbot, combo, "3")
    assert combo.currentData() == 3
    type_search(qtbot, combo, "1")
    assert combo.currentData() == 1, combo.currentText()
    type_search(qtbot, combo, "1")
    assert combo.currentData() == 1, combo.currentText()
    type_search(qtbot, combo, "12")
    assert combo.currentData() == 12, combo.currentText()
    assert wizard.record["hovedarsak_avslutning"] == 12


def test_mnemonics__no_two_alike_on_any_wizard_page(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    for number in wizard.pages:
        wizard.go_to_page(number)
        qtbot.wait(10)
        letters = mnemonic_letters(wizard)
        assert len(letters) == len(set(letters)), (number, sorted(letters))


def test_enter_on_a_focused_button__presses_it(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard, installation: Installation
) -> None:
    help_button = wizard.button(wizard.WizardButton.HelpButton)
    help_button.setFocus()
    qtbot.keyClick(help_button, Qt.Key.Key_Return)
    assert "Enter" in wizard.help_panel.text()
    close = wizard.button(wizard.WizardButton.CancelButton)
    close.setFocus()
    qtbot.keyClick(close, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not app_window.wizards)
    # Panels in the main window (not a dialog) too: "Lås opp" on the unlock screen.
    app_window.lock(idle=False)
    app_window.unlock_panel.secret.setText(installation.secret)
    app_window.unlock_panel.unlock_button.setFocus()
    qtbot.keyClick(app_window.unlock_panel.unlock_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app_window.stack.currentWidget() is app_window.overview)
