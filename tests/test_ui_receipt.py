"""After "Send inn": no red "Ingen poster" above the success, and a receipt with
file, folder, count, period, SHA-256 and the installation's own "what now" text, with
"Åpne mappen" and "Skriv ut kvittering" (PDF on a machine without printers)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from test_ui_export import (  # the export tests' fixtures: demo installation, fast certificate
    fast_test_certificate,
    open_export,
    open_window,
    press,
    production_template,
    test_template,
    type_folder,
)

from jsdesk.submission import create
from jsdesk.ui.bokmal import format_date
from jsdesk.ui.dialogs import SettingsDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.receipt import ReceiptDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
__all__ = ["fast_test_certificate", "production_template", "test_template"]

NEXT_STEPS = "Last opp filen i IMDis mottak innen den 10. i måneden, og gi beskjed til Kari."


@pytest.fixture
def window(
    qtbot: QtBot,
    installation: Installation,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    """The demo records on each back end (on a shared database: a login that submits)."""
    yield from open_window(qtbot, installation, request, monkeypatch)


class Opened(QObject):
    """Takes the URLs QDesktopServices would hand to the file manager."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_send_inn__success__receipt_and_no_red_nothing_to_send(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.show_settings()
    settings = window.findChild(SettingsDialog, "innstillinger_dialog")
    assert settings is not None
    settings.next_steps.setPlainText(NEXT_STEPS)
    settings._accept()

    out = tmp_path / "ut"
    out.mkdir()
    dialog = open_export(qtbot, window)
    with qtbot.waitSignal(dialog.certificate.credentials_changed, timeout=20_000):
        press(qtbot, dialog.certificate.create_test)
    type_folder(qtbot, dialog, out)
    plan = dialog.plan
    assert plan is not None and plan.included
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        press(qtbot, dialog.send)
    result = done.args[0]
    assert isinstance(result, create.SubmissionResult)

    assert "Innsendingsfilen er laget" in dialog.message.text()
    assert not dialog.refusal.isVisible()
    assert "Ingen poster" not in dialog.refusal.text()
    assert not dialog.send.isEnabled()

    receipt = dialog.findChild(ReceiptDialog, "kvittering_dialog")
    assert receipt is not None and receipt.isVisible()
    facts = receipt.facts.text()
    digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
    for expected in (
        result.path.name,
        str(out),
        str(len(plan.included)),
        format_date(plan.period_from),
        format_date(plan.period_to),
        digest,
    ):
        assert expected in facts, expected
    assert receipt.steps.text() == NEXT_STEPS

    opened = Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        receipt.open_folder.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in opened.urls] == [str(out)]

    receipt.print_button.click()  # no printer here: saved as PDF
    save = receipt.findChild(QFileDialog, "lagre_pdf_dialog")
    assert save is not None and save.isVisible()
    pdf = tmp_path / "kvittering.pdf"
    save.selectFile(str(pdf))
    save.accept()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert str(pdf) in receipt.status.text()
    assert digest in receipt.html() and NEXT_STEPS in receipt.html()
    receipt.done(QDialog.DialogCode.Accepted)
