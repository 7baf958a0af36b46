"""Qt's own texts (context menus of line edits and spin boxes, file dialogs) in Bokmål."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QPlainTextEdit,
)
from pytestqt.qtbot import QtBot

from jsdesk.ui.app import application
from jsdesk.ui.qt_translator import BokmalQtTranslator, install_qt_translations


def _texts(edit: QLineEdit | QPlainTextEdit) -> list[str]:
    menu = edit.createStandardContextMenu()
    texts = [action.text().split("\t")[0] for action in menu.actions() if action.text()]
    menu.deleteLater()
    return texts


def test_qt_texts__line_edit_context_menu__bokmal(qtbot: QtBot) -> None:
    application(["jsdesk"])
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.setText("tekst")
    menu = edit.createStandardContextMenu()
    assert menu.actions()[0].text() == "&Angre\tCtrl+Z"  # shortcut names untouched
    menu.deleteLater()
    assert _texts(edit) == [
        "&Angre",
        "&Gjør om",
        "Klipp &ut",
        "&Kopier",
        "&Lim inn",
        "&Slett",
        "&Merk alt",
    ]


def test_qt_texts__text_edit_and_spin_box__bokmal(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_qt_translations(app)
    text = QPlainTextEdit()
    qtbot.addWidget(text)
    assert "&Kopier" in _texts(text) and "Copy" not in " ".join(_texts(text))
    translator = install_qt_translations(app)
    assert app.findChildren(BokmalQtTranslator) == [translator]  # installed once
    assert translator.translate("QAbstractSpinBox", "&Step up") == "Trinn &opp"
    assert translator.translate("QAbstractSpinBox", "Step &down") == "Trinn &ned"
    assert translator.translate("QWidget", "&Copy") is None  # other contexts untouched
    assert QLineEdit.tr("Ctrl") == "Ctrl"


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: no size hints
def test_qt_texts__save_file_dialog__bokmal_buttons(qtbot: QtBot, tmp_path: Path) -> None:
    """The dialog «Eksporter …» and «Lagre …» open: its buttons say «Lagre» and «Avbryt»."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_qt_translations(app)
    dialog = QFileDialog(None, "Eksporter liste", str(tmp_path), "CSV (*.csv)")
    qtbot.addWidget(dialog)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.show()
    box = dialog.findChild(QDialogButtonBox)
    assert isinstance(box, QDialogButtonBox)
    texts = sorted(button.text() for button in box.buttons())
    assert texts == ["&Lagre", "Avbryt"]
    translator = install_qt_translations(app)
    question = translator.translate("QFileDialog", "%1 already exists.\nDo you want to replace it?")
    assert question == "%1 finnes fra før.\nVil du erstatte den?"
