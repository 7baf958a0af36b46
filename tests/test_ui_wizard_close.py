"""Closing the wizard: "Lukk" and Escape keep what is stored; "Angre endringer
siden åpning" puts the record back as it was when the wizard opened, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from storage_helpers import Installation
from ui_support import make_installation, open_installation_window, person, press, type_text

from jsdesk.storage.models import AuditEvent
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

RECORD = person(date(1985, 4, 12), 212, "2024-02-01", deltatt_intro=2, ankomstar=2015)


@pytest.fixture
def app_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The overview of one participation, on each back end (the local file, a shared one)."""
    make_installation(installation, [RECORD])
    window = open_installation_window(qtbot, installation, monkeypatch)
    yield window
    window.close()


def stored_values(window: MainWindow, pid: int) -> dict[str, object]:
    return dict(window.context.require_db().get_participation(pid).values)


def test_close_button__named_lukk__escape_closes_and_keeps_the_change(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    pid = app_window.selected_id()
    assert pid is not None
    wizard = app_window.open_participation(pid)
    assert wizard is not None
    assert wizard.button(QWizard.WizardButton.CancelButton).text().replace("&", "") == "Lukk"
    assert "Avbryt" not in wizard.buttonText(QWizard.WizardButton.CancelButton)
    wizard.go_to_page(2)
    press(qtbot, wizard, "deltatt_intro_1")
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not app_window.wizards)
    assert stored_values(app_window, pid)["deltatt_intro"] == 1


def test_angre_endringer_siden_apning__confirmed__record_as_opened_and_audited(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    pid = app_window.selected_id()
    assert pid is not None
    before = stored_values(app_window, pid)
    wizard = app_window.open_participation(pid)
    assert wizard is not None
    assert not wizard.restore_button.isEnabled()  # nothing changed yet
    wizard.go_to_page(2)
    press(qtbot, wizard, "deltatt_intro_1")
    type_text(qtbot, wizard, "intro_avsluttet_dato", "15.12.2023")
    assert stored_values(app_window, pid) != before
    assert wizard.restore_button.isEnabled()

    wizard.restore_button.click()
    box = wizard.findChild(QMessageBox, "angre_siden_apning_dialog")
    assert box is not None and box.isVisible()
    assert "Dato avsluttet introduksjonsprogram" in box.text()
    box.button(QMessageBox.StandardButton.No).click()  # asked first: "Nei" changes nothing
    assert stored_values(app_window, pid)["deltatt_intro"] == 1

    wizard.restore_button.click()
    box = wizard.findChild(QMessageBox, "angre_siden_apning_dialog")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: stored_values(app_window, pid) == before)
    assert wizard.fields["deltatt_intro"].value() == 2
    assert wizard.fields["intro_avsluttet_dato"].value() is None
    assert not wizard.restore_button.isEnabled()
    with app_window.context.require_db().read() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.participation_id == pid, AuditEvent.variable == "deltatt_intro")
            .order_by(AuditEvent.id)
        ).all()
    assert [event.action for event in events][-2:] == ["endret", "endret"]
