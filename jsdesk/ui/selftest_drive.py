"""Drive the real wizard offscreen for ``jsdesk --selftest``.

Text goes in as key events (as a caseworker types it), choices through the same
widgets a keyboard user operates. Nothing here uses QtTest, so it works in the
frozen bundle, which leaves QtTest out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QRadioButton, QWidget

from jsdesk.forms import FormDefinition, VarType
from jsdesk.ui.app import application, create_main_window
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"tidsavbrudd: {what}")
        QCoreApplication.processEvents()
        time.sleep(0.005)


def _key(
    widget: QWidget,
    key: Qt.Key,
    text: str = "",
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QCoreApplication.sendEvent(widget, QKeyEvent(kind, int(key.value), modifiers, text))


def _type(edit: QLineEdit, text: str) -> None:
    edit.setFocus(Qt.FocusReason.TabFocusReason)
    _key(edit, Qt.Key.Key_A, "", Qt.KeyboardModifier.ControlModifier)
    _key(edit, Qt.Key.Key_Delete)
    for char in text:
        _key(edit, Qt.Key.Key_unknown, char)
    _key(edit, Qt.Key.Key_Tab)
    edit.editingFinished.emit()


def _child(wizard: ParticipationWizard, kind: type[QWidget], name: str) -> QWidget:
    found = wizard.findChild(kind, name)
    if found is None:
        raise RuntimeError(f"fant ikke feltet {name}")
    return found


def _enter(wizard: ParticipationWizard, form: FormDefinition, name: str, value: object) -> None:
    variable = form.variable(name)
    wizard.go_to_page(variable.part)
    if variable.type is VarType.DATE:
        edit = _child(wizard, QLineEdit, name)
        assert isinstance(edit, QLineEdit)
        _type(edit, date.fromisoformat(str(value)).strftime("%d.%m.%Y"))
    elif variable.type in (VarType.FNR, VarType.STRING, VarType.INTEGER, VarType.YEAR):
        edit = _child(wizard, QLineEdit, name)
        assert isinstance(edit, QLineEdit)
        _type(edit, str(value))
    elif variable.type is VarType.MULTICODE:
        assert isinstance(value, list)
        for code in value:
            box = _child(wizard, QCheckBox, f"{name}_{code}")
            assert isinstance(box, QCheckBox)
            if not box.isChecked():
                box.click()
    elif variable.type is VarType.CODE:
        combo = wizard.findChild(QComboBox, name)
        if isinstance(combo, QComboBox):
            combo.setCurrentIndex(combo.findData(value))
        else:
            radio = _child(wizard, QRadioButton, f"{name}_{value}")
            assert isinstance(radio, QRadioButton)
            if not radio.isChecked():
                radio.click()
    else:
        raise RuntimeError(f"selvtesten kan ikke fylle ut {name} ({variable.type})")
    QCoreApplication.processEvents()


def fill_participation(db_path: Path, form: FormDefinition, values: Mapping[str, object]) -> int:
    """Open the app on ``db_path``, create a participation in the wizard with ``values``.

    The passphrase comes from ``JSDESK_PASSPHRASE``. Returns the new participation's id.
    Fields that a rule enables only after a later answer (31 after 32) are entered in a
    second pass, as a caseworker would go back to them.
    """
    application(["jsdesk"])
    window: MainWindow = create_main_window(["jsdesk", "--db", str(db_path)])
    try:
        _wait_for(
            lambda: window.stack.currentWidget() is getattr(window, "overview", None),
            "oversikten åpnes",
        )
        action = window.findChild(QAction, "action_new")
        if action is None:
            raise RuntimeError("fant ikke handlingen «Ny deltakelse»")
        action.trigger()
        _wait_for(lambda: bool(window.wizards), "veiviseren åpnes")
        wizard = window.wizards[-1]
        for _ in range(2):
            for name, value in values.items():
                if wizard.record.get(name) != value:
                    _enter(wizard, form, name, value)
        missing = [n for n, v in values.items() if wizard.record.get(n) != v]
        if missing:
            raise RuntimeError(f"veiviseren tok ikke imot: {', '.join(missing)}")
        if wizard.participation_id is None:
            raise RuntimeError("deltakelsen ble ikke lagret")
        participation_id = wizard.participation_id
        wizard.close()
        QCoreApplication.processEvents()
        return participation_id
    finally:
        window.close()
        window.context.close()
        QCoreApplication.processEvents()
