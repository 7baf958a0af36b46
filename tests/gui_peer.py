"""A second jsdesk GUI process, driven by a test through stdin and stdout.

``python tests/gui_peer.py [jsdesk's arguments]`` starts the real application the way
the ``jsdesk`` command does (``jsdesk.cli.main``: its start-up, windows, autosave and
conflict dialog), then takes one JSON command per line on stdin and carries it out with
Qt key events, as a caseworker at the keyboard would. Every command is answered with
one line ``PEER {json}`` on stdout: ``{"ok": true, ...}`` or ``{"ok": false, "error": …}``.

Commands (``{"do": name, ...}``):
- ``state``: the panel shown (``overview``, ``unlock``, ``setup``, …) and its error text,
  once start-up and any login are done.
- ``login`` (``password``): typed at the start screen's password prompt, then Return.
- ``open`` (``id``): the participation chosen in the overview with the arrow keys, Enter.
- ``key`` (``keys``, e.g. ``"Ctrl+2"``): a key combination in the open wizard.
- ``press`` (``name``) / ``type`` (``name``, ``text``): Space on the named radio button or
  check box; or, in the named line edit, Ctrl+A, ``text`` typed over the selection (the
  autosave stores every key) and Tab. With ``answer`` (object names of the conflict
  dialog's buttons, ``""`` for Esc) a conflict dialog that opens is answered so; the reply
  says what it showed (``conflict``: per field, the own and the other's value as shown),
  or ``null`` when none opened.
- ``fields`` (``names``): each named field's value and the note shown beside it.
- ``close``: Esc in the wizard, Ctrl+Q in the main window; the program then ends.

When stdin ends (the test is gone) the program ends too.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QPushButton, QRadioButton, QWidget

from jsdesk import cli
from jsdesk.ui.conflict_dialog import ConflictDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

WAIT_MS = 30_000


class Failed(Exception):
    """A step could not be carried out; the reply says why."""


def wait_until(condition: Callable[[], bool], what: str, timeout_ms: int = WAIT_MS) -> None:
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise Failed(f"timed out after {timeout_ms} ms waiting for {what}")
        QTest.qWait(20)
        waited += 20


class Driver(QObject):
    line = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.line.connect(self._received, Qt.ConnectionType.QueuedConnection)

    # -- plumbing -------------------------------------------------------------
    def read_stdin(self) -> None:
        for text in sys.stdin:
            if text.strip():
                self.line.emit(text)
        self.line.emit('{"do": "eof"}')

    def _received(self, text: str) -> None:
        try:
            command = json.loads(text)
            reply = getattr(self, f"do_{command.pop('do')}")(**command)
            answer = {"ok": True, **(reply or {})}
        except Failed as exc:
            answer = {"ok": False, "error": str(exc)}
        except Exception as exc:  # a broken step: the test shows it
            answer = {"ok": False, "error": "".join(traceback.format_exception(exc))}
        print("PEER " + json.dumps(answer, default=str), flush=True)

    def window(self) -> MainWindow:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if len(found) != 1:
            raise Failed(f"{len(found)} main windows")
        return found[0]

    def wizard(self) -> ParticipationWizard:
        shown = [w for w in self.window().wizards if w.isVisible()]
        if len(shown) != 1:
            raise Failed(f"{len(shown)} wizards open")
        return shown[0]

    def focused(self, name: str) -> QWidget:
        found = self.wizard().findChild(QWidget, name)
        if found is None:
            raise Failed(f"no widget named {name!r} in the wizard")
        found.setFocus(Qt.FocusReason.TabFocusReason)
        return found

    def answering(self, answer: list[str] | None, step: Callable[[], None]) -> dict[str, Any]:
        """Run ``step``; a conflict dialog it opens is answered with ``answer``."""
        seen: dict[str, Any] = {"conflict": None}

        def look() -> None:
            shown = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, ConflictDialog) and w.isVisible()
            ]
            if not shown:
                timer.start()
                return
            (dialog,) = shown
            rows = {}
            for conflict in dialog.conflicts:
                name = conflict.variable
                mine = dialog.findChild(QRadioButton, f"conflict_mine_{name}")
                theirs = dialog.findChild(QRadioButton, f"conflict_theirs_{name}")
                assert mine is not None and theirs is not None
                rows[name] = [mine.text(), theirs.text()]
            seen["conflict"] = rows
            seen["title"] = dialog.windowTitle()
            if answer is None:  # not expected: Esc keeps the other's value
                QTest.keyClick(dialog, Qt.Key.Key_Escape)
                return
            for name in answer:
                if not name:
                    QTest.keyClick(dialog, Qt.Key.Key_Escape)
                    continue
                button = dialog.findChild(QPushButton, name)
                assert button is not None, name
                button.setFocus(Qt.FocusReason.TabFocusReason)
                QTest.keyClick(button, Qt.Key.Key_Space)

        timer = QTimer(singleShot=True, interval=50)
        timer.timeout.connect(look)
        timer.start()
        try:
            step()
        finally:
            timer.stop()
        seen["saved"] = self.wizard().saved_label.text()
        return seen

    # -- commands -------------------------------------------------------------
    def do_state(self) -> dict[str, Any]:
        wait_until(lambda: bool(self._windows()), "the main window")
        window = self.window()
        wait_until(
            lambda: (
                window.stack.currentWidget() is not window.loading and not window.waiting_for_server
            ),
            "the start-up",
        )
        panels = {
            "overview": window.overview,
            "unlock": window.unlock_panel,
            "setup": window.setup_panel,
            "password": window.password_panel,
        }
        shown = next((k for k, v in panels.items() if window.stack.currentWidget() is v), "?")
        return {"panel": shown, "error": window.unlock_panel.error.text()}

    def _windows(self) -> list[QWidget]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]

    def do_login(self, password: str) -> dict[str, Any]:
        window = self.window()
        if window.stack.currentWidget() is not window.unlock_panel:
            raise Failed("the password prompt is not shown")
        secret = window.unlock_panel.secret
        secret.setFocus(Qt.FocusReason.OtherFocusReason)
        QTest.keyClicks(secret, password)
        QTest.keyClick(secret, Qt.Key.Key_Return)
        wait_until(lambda: not window.waiting_for_server, "the login")
        return self.do_state()

    def do_open(self, id: int) -> dict[str, Any]:
        window = self.window()
        table = window.table
        wait_until(lambda: window.model.rowCount() > 0, "participations in the overview")
        table.setFocus(Qt.FocusReason.OtherFocusReason)
        QTest.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
        for _row in range(window.model.rowCount()):
            if window.selected_id() == id:
                break
            QTest.keyClick(table, Qt.Key.Key_Down)
        if window.selected_id() != id:
            raise Failed(f"participation {id} is not in the overview")
        QTest.keyClick(table, Qt.Key.Key_Return)
        wait_until(
            lambda: any(w.participation_id == id and w.isVisible() for w in window.wizards),
            f"the wizard of participation {id}",
        )
        return {"title": self.wizard().windowTitle()}

    def do_key(self, keys: str) -> None:
        combination = QKeySequence(keys)[0]
        QTest.keyClick(self.wizard(), combination.key(), combination.keyboardModifiers())

    def do_press(self, name: str, answer: list[str] | None = None) -> dict[str, Any]:
        button = self.focused(name)
        if not isinstance(button, QRadioButton | QCheckBox):
            raise Failed(f"{name!r} is no radio button or check box")
        return self.answering(answer, lambda: QTest.keyClick(button, Qt.Key.Key_Space))

    def do_type(self, name: str, text: str, answer: list[str] | None = None) -> dict[str, Any]:
        edit = self.focused(name)
        if not isinstance(edit, QLineEdit):
            raise Failed(f"{name!r} is no line edit")

        def step() -> None:
            QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            QTest.keyClicks(edit, text)  # the first key replaces what was selected
            QTest.keyClick(edit, Qt.Key.Key_Tab)

        return self.answering(answer, step)

    def do_fields(self, names: list[str]) -> dict[str, Any]:
        fields = self.wizard().fields
        return {
            "values": {name: fields[name].value() for name in names},
            "notes": {name: fields[name].message.text() for name in names},
        }

    def do_close(self) -> dict[str, Any]:
        window = self.window()
        for wizard in list(window.wizards):
            if wizard.isVisible():
                QTest.keyClick(wizard, Qt.Key.Key_Escape)
        wait_until(lambda: not any(w.isVisible() for w in window.wizards), "the wizard to close")
        window.activateWindow()
        wait_until(window.isActiveWindow, "the main window to be active")
        QTest.keyClick(window.table, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        return {"closing": True}

    def do_eof(self) -> None:
        for widget in QApplication.topLevelWidgets():
            widget.close()
        QTimer.singleShot(10_000, lambda: os._exit(3))  # the test is gone: end regardless


def main() -> int:
    QApplication(["jsdesk", *sys.argv[1:]])  # jsdesk's start-up takes this one over
    driver = Driver()
    threading.Thread(target=driver.read_stdin, daemon=True).start()
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
