"""Helpers for the GUI tests: test databases with synthetic participations, keyboard input."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QRadioButton,
    QTableWidget,
    QWidget,
    QWizard,
)
from pytestqt.qtbot import QtBot
from storage_helpers import Installation

from jsdesk.domain.fnr import synthetic_number
from jsdesk.storage import Database
from jsdesk.ui.app import create_main_window
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

PASSPHRASE = "korrekt hest batteri"

# PySide6 6.12.0's QtTest drops a reference to None on every simulated key or mouse event
# (sys.getrefcount(None) falls by one per QTest.keyClick). After a few thousand events the
# interpreter aborts with "deallocating None" (or True/False). Until PySide fixes it, the
# wrappers below give back whatever a call took from those singletons.
_GIVEN_BACK: list[object] = []


def _keep_singletons(function: Callable[..., object]) -> Callable[..., object]:
    def call(*args: object, **kwargs: object) -> object:
        before = [sys.getrefcount(item) for item in (None, True, False)]
        result = function(*args, **kwargs)
        for item, count in zip((None, True, False), before, strict=True):
            _GIVEN_BACK.extend([item] * max(0, count - sys.getrefcount(item)))
        return result

    return call


def _patch_qtest() -> None:
    from PySide6.QtTest import QTest

    for name in dir(QTest):
        function = getattr(QTest, name)
        is_event = name.startswith(("key", "mouse")) and callable(function)
        if is_event and getattr(function, "__name__", "") != "call":
            setattr(QTest, name, staticmethod(_keep_singletons(function)))


_patch_qtest()
FORM_VERSION = "2023.1"


def make_db(
    path: Path,
    records: Iterable[Mapping[str, object]] = (),
    *,
    kommunenummer: str = "0301",
    bydel: str | None = "030101",
) -> list[int]:
    """A test installation at ``path`` holding ``records``; returns their ids."""
    db, _key = Database.create(
        path, PASSPHRASE, kommunenummer=kommunenummer, bydel=bydel, test_installation=True
    )
    with db:
        return [db.create_participation(dict(r), form_version=FORM_VERSION) for r in records]


def synthetic(birth: date, individual: int) -> str:
    """A Tenor number for ``birth``, from the first individual number from ``individual`` on
    that yields valid control digits (about one in eleven does not)."""
    for candidate in range(individual, individual + 40):
        try:
            return synthetic_number(birth, candidate)
        except ValueError:
            continue
    raise ValueError(f"no synthetic number near {individual}")


def person(birth: date, individual: int, start: str, **values: object) -> dict[str, object]:
    """A minimal record for a synthetic person starting on ISO date ``start``."""
    return {
        "fodselsnummer": synthetic(birth, individual),
        "oppstartsdato": start,
        **values,
    }


def start_window(qtbot: QtBot, db_path: Path | str) -> MainWindow:
    """The main window on the database at ``db_path``, once its first load is done."""
    window = create_main_window(["jsdesk", "--db", str(db_path)])
    qtbot.addWidget(window)
    wait_started(qtbot, window)
    return window


def wait_started(qtbot: QtBot, window: MainWindow, timeout: int = 20000) -> None:
    """Until the window has loaded and no login to a shared database is awaited."""
    qtbot.waitUntil(
        lambda: (
            window.stack.currentWidget() is not window.loading and not window.waiting_for_server
        ),
        timeout=timeout,
    )


def open_main_window(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, passphrase: str = PASSPHRASE
) -> MainWindow:
    """The overview of the test installation at ``db_path``, unlocked with ``passphrase``."""
    monkeypatch.setenv("JSDESK_PASSPHRASE", passphrase)
    window = start_window(qtbot, db_path)
    assert window.stack.currentWidget() is window.overview
    return window


def make_installation(
    installation: Installation,
    records: Iterable[Mapping[str, object]] = (),
    *,
    kommunenummer: str = "0301",
    bydel: str | None = "030101",
    test: bool = True,
    form_version: str = FORM_VERSION,
) -> list[int]:
    """``make_db`` on the back end of ``installation``: a new test installation (a
    production one with ``test=False``) holding ``records`` of ``form_version``; returns
    their ids."""
    with installation.create(test=test, kommunenummer=kommunenummer, bydel=bydel) as db:
        return [db.create_participation(dict(r), form_version=form_version) for r in records]


def open_installation_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    """The overview of the created test installation ``installation``, as a caseworker
    opens it (a shared database: the login's URL as ``--db``, no passphrase)."""
    assert installation.target is not None
    if installation.shared is None:
        assert isinstance(installation.target, Path)
        return open_main_window(qtbot, installation.target, monkeypatch, installation.secret)
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)  # the URL holds the password
    window = start_window(qtbot, installation.target)
    assert window.stack.currentWidget() is window.overview, window.unlock_panel.error.text()
    return window


def open_app_window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """Body of the ``app_window`` fixture: the overview on an empty test installation, on
    the back end of ``installation`` (a shared database: the login's URL as ``--db``)."""
    installation.create().close()
    window = open_installation_window(qtbot, installation, monkeypatch)
    yield window
    window.close()


def new_wizard(qtbot: QtBot, window: MainWindow) -> ParticipationWizard:
    qtbot.keyClick(window.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(window.wizards) == 1
    wizard = window.wizards[0]
    assert wizard.objectName() == "wizard"
    qtbot.waitUntil(wizard.isActiveWindow)
    return wizard


def widget(wizard: QWizard, name: str) -> QWidget:
    """The named widget, focused as a keyboard user would have it when typing into it."""
    found = wizard.findChild(QWidget, name)
    assert found is not None, name
    found.setFocus(Qt.FocusReason.TabFocusReason)
    return found


def type_text(qtbot: QtBot, wizard: QWizard, name: str, text: str) -> None:
    edit = widget(wizard, name)
    assert isinstance(edit, QLineEdit)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def press(qtbot: QtBot, wizard: QWizard, name: str) -> None:
    """Space on a radio button or check box (its own name, e.g. ``deltatt_intro_1``)."""
    button = widget(wizard, name)
    assert isinstance(button, QRadioButton | QCheckBox)
    qtbot.keyClick(button, Qt.Key.Key_Space)


def choose(qtbot: QtBot, wizard: QWizard, name: str, code: int) -> None:
    """Pick a code in a combo box by typing its number (keyboard search)."""
    combo = widget(wizard, name)
    assert isinstance(combo, QComboBox)
    # Typing the same first digit again moves on to the next item starting with it.
    for _attempt in range(combo.count()):
        type_search(qtbot, combo, str(code))
        if combo.currentData() == code:
            break
    assert combo.currentData() == code, (name, combo.currentText())


# Long enough that a loaded machine (several test runs at once) still delivers the
# keys of one search within it; short enough to keep the tests quick.
SEARCH_INTERVAL_MS = 250


def type_search(qtbot: QtBot, combo: QWidget, text: str) -> None:
    """Type into a combo box's keyboard search as a person would: after a pause, so that
    the previous search has ended (the interval is shortened for the tests)."""
    QApplication.setKeyboardInputInterval(SEARCH_INTERVAL_MS)
    qtbot.wait(SEARCH_INTERVAL_MS + 20)
    qtbot.keyClicks(combo, text)


def spin(qtbot: QtBot, wizard: QWizard, name: str, value: int) -> None:
    """Type a number into a number field."""
    type_text(qtbot, wizard, name, str(value))


def next_page(qtbot: QtBot, wizard: QWizard) -> None:
    before = wizard.currentId()
    focus = QApplication.focusWidget() or wizard
    qtbot.keyClick(focus, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert wizard.currentId() == before + 1, focus.objectName()


def stored(window: MainWindow, wizard: ParticipationWizard) -> dict[str, object]:
    assert wizard.participation_id is not None
    return dict(window.context.require_db().get_participation(wizard.participation_id).values)


def is_locked(wizard: ParticipationWizard, name: str) -> bool:
    field = wizard.fields[name]
    return not field.editor.isEnabled() and field.why_button.isVisibleTo(wizard)


def fill_table_row(qtbot: QtBot, table: QTableWidget, row: int, texts: list[str]) -> None:
    for column, text in enumerate(texts):
        table.setCurrentCell(row, column)
        qtbot.keyClick(table, Qt.Key.Key_F2)
        editor = QApplication.focusWidget()
        assert editor is not None
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)


def mnemonic_letters(top: QWidget) -> list[str]:
    """Underlined letters of every visible label, button, group box and menu title in ``top``
    (tool buttons take their text from actions, which carry no mnemonic)."""
    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QMainWindow, QToolButton

    texts = [
        w.text()
        for w in top.findChildren(QLabel) + top.findChildren(QAbstractButton)
        if w.isVisibleTo(top) and not isinstance(w, QToolButton)
    ]
    texts += [box.title() for box in top.findChildren(QGroupBox) if box.isVisibleTo(top)]
    if isinstance(top, QMainWindow):
        texts += [action.text() for action in top.menuBar().actions()]
    letters = []
    for text in texts:
        plain = text.replace("&&", "")
        if "&" in plain:
            letters.append(plain[plain.index("&") + 1].lower())
    return letters
