"""Keyboard and screen-reader access: labels, accessible names, mnemonics, tab order."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QLocale, QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget, QWizard
from pytestqt.qtbot import QtBot
from storage_helpers import Installation

from jsdesk.ui.fields import RadioField
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import FormPage, ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


def test_wizard__qt_buttons_and_locale__bokmal(wizard: ParticipationWizard) -> None:
    texts = {
        QWizard.WizardButton.NextButton: "&Neste",
        QWizard.WizardButton.BackButton: "&Tilbake",
        QWizard.WizardButton.CancelButton: "&Lukk",
        QWizard.WizardButton.FinishButton: "&Fullfør",
        QWizard.WizardButton.HelpButton: "&Hjelp",
    }
    for which, text in texts.items():
        assert wizard.buttonText(which) == text
    assert QLocale().name() == "nb_NO"


def test_wizard__every_input__named_labelled_with_buddy_and_mnemonic(
    wizard: ParticipationWizard,
) -> None:
    for number, page in wizard.pages.items():
        assert page.objectName() == f"del{number}"
        mnemonics: list[str] = []
        for field in page.fields:
            variable = field.variable
            assert field.editor.objectName() == variable.name
            assert field.label.buddy() is field.focus_widget(), variable.name
            assert field.editor.accessibleName() == variable.label
            assert field.editor.accessibleDescription(), variable.name
            for widget in field.input_widgets():
                assert widget.accessibleName(), (variable.name, widget.objectName())
            is_boxes = str(variable.type) == "multicode" or isinstance(field, RadioField)
            if variable.codes and is_boxes:
                names = {w.objectName() for w in field.input_widgets()}
                assert names == {f"{variable.name}_{c.code}" for c in variable.codes}
            text = field.label.text()
            if "&" in text:
                mnemonics.append(text[text.index("&") + 1].lower())
        assert len(mnemonics) == len(set(mnemonics)), (number, mnemonics)
        wizard_own = {
            wizard.buttonText(which)[1].lower()
            for which in (
                QWizard.WizardButton.NextButton,
                QWizard.WizardButton.BackButton,
                QWizard.WizardButton.FinishButton,
                QWizard.WizardButton.HelpButton,
            )
        }
        side_panel = {
            label.text()[label.text().index("&") + 1].lower()
            for label in wizard.sideWidget().findChildren(QLabel)
            + wizard.sideWidget().findChildren(QPushButton)
            if "&" in label.text()
        }
        assert not set(mnemonics) & (wizard_own | side_panel)


def focus_sequence(qtbot: QtBot, wizard: ParticipationWizard, page: FormPage) -> list[QWidget]:
    """Tab from the page's first input until focus leaves the page's fields."""
    page.focus_first()
    visited: list[QWidget] = []
    current = QApplication.focusWidget()
    while current is not None and page.body.isAncestorOf(current) and current not in visited:
        visited.append(current)
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        current = QApplication.focusWidget()
    return visited


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_wizard__tab_order__follows_visual_order(
    qtbot: QtBot, wizard: ParticipationWizard, number: int
) -> None:
    wizard.go_to_page(number)
    page = wizard.pages[number]
    tops = [field.row.mapTo(page.body, QPoint(0, 0)).y() for field in page.fields]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    owner = {w: i for i, field in enumerate(page.fields) for w in field.input_widgets()}
    visited = focus_sequence(qtbot, wizard, page)
    order = [owner[w] for w in visited]
    assert order == sorted(order)
    open_fields = {
        i for i, field in enumerate(page.fields) if not field.read_only and not field.locked
    }
    assert set(order) == open_fields
    for previous, following in itertools.pairwise(visited):
        if owner[previous] == owner[following]:
            a = previous.mapTo(page.body, QPoint(0, 0))
            b = following.mapTo(page.body, QPoint(0, 0))
            assert (a.y(), a.x()) < (b.y(), b.x()) or a.x() < b.x()


def test_overview__inputs_labelled_and_actions_have_shortcuts(app_window: MainWindow) -> None:
    assert app_window.action_new.objectName() == "action_new"
    assert app_window.action_new.shortcut().toString() == "Ctrl+N"
    for widget in (
        app_window.search,
        app_window.status_filter,
        app_window.stage_filter,
        app_window.year_filter,
        app_window.table,
    ):
        assert widget.accessibleName()
    buddies = {
        label.buddy() for label in app_window.overview.findChildren(type(app_window.count_label))
    }
    assert {
        app_window.search,
        app_window.status_filter,
        app_window.stage_filter,
        app_window.year_filter,
    } <= buddies


def test_overview__mnemonics__unique_in_the_main_window(app_window: MainWindow) -> None:
    from PySide6.QtWidgets import QToolButton

    texts = [label.text() for label in app_window.overview.findChildren(QLabel)]
    texts += [button.text() for button in app_window.findChildren(QToolButton)]
    texts += [action.text() for action in app_window.menuBar().actions()]
    letters = [text[text.index("&") + 1].lower() for text in texts if "&" in text]
    assert len(letters) >= 6
    assert len(letters) == len(set(letters)), letters


def test_wizard__opened__focus_on_first_field_one_can_type_into(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    assert QApplication.focusWidget() is wizard.fields["fodselsnummer"].editor
