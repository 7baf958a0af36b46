"""Waiting for the shared database's server without freezing the window.

The login to the shared database (the first start's «Felles database», the password
asked at start and after the idle lock) runs off the UI thread: while a server that
takes the connection but never answers is waited for, the event loop keeps running
(a timer ticks, the busy bar repaints), the button waits, Esc or «Avbryt» stops the
waiting, and the answer (a Bokmål message on the form) arrives.

The silent server is a socket on this machine that accepts and never speaks; the
waiting is shortened with the URL's ``connect_timeout`` (or the default, lowered here).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import PgServer
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from ui_support import wait_started

from jsdesk.storage import backend
from jsdesk.ui.app import create_main_window
from jsdesk.ui.lock_panels import SharedDatabaseForm
from jsdesk.ui.main_window import SHARED_DB_SETTING, MainWindow
from jsdesk.ui.window_state import settings as stored_settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

WAIT_S = 2  # the connect timeout for these tests (the product's default is 10 s)


class _Paints(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, watched: QWidget) -> None:
        super().__init__(watched)
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


class _Ticks:
    """A 50 ms timer on the UI thread: it ticks only while the event loop runs."""

    def __init__(self, parent: QObject) -> None:
        self.count = 0
        self.timer = QTimer(parent)
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on this machine that takes connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def first_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    monkeypatch.delenv("JSDESK_DB", raising=False)
    monkeypatch.setattr("jsdesk.storage.default_db_path", lambda: tmp_path / "lokal.db")


def _type(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _fill_shared_form(
    qtbot: QtBot, window: MainWindow, port: int, pg_server: PgServer
) -> SharedDatabaseForm:
    """Choose «Felles database» and type kari's login to 127.0.0.1 on ``port``."""
    qtbot.keyClick(window.setup_panel.choose_shared, Qt.Key.Key_Space)
    form = window.setup_panel.shared
    for edit, text in (
        (form.host, "127.0.0.1"),
        (form.port, str(port)),
        (form.database, "jsdesk"),
        (form.user, "kari"),
        (form.ca_file, str(pg_server.ca)),
        (form.password, "karis passord"),
    ):
        _type(qtbot, edit, text)
    return form


def _wait_answered(qtbot: QtBot, window: MainWindow) -> tuple[float, int, int]:
    """Wait for the login's answer while counting ticks and the busy bar's paints;
    returns the seconds waited, the ticks and the paints."""
    bars = [window.setup_panel.shared.checking.bar, window.unlock_panel.checking.bar]
    paints = [_Paints(bar) for bar in bars]
    ticks = _Ticks(window)
    started = time.monotonic()
    qtbot.waitUntil(lambda: not window.waiting_for_server, timeout=60_000)
    waited = time.monotonic() - started
    ticks.timer.stop()
    return waited, ticks.count, sum(p.count for p in paints)


def _assert_kept_running(waited: float, ticks: int, paints: int) -> None:
    assert waited >= WAIT_S * 0.8  # the server was really waited for
    # A frozen loop ticks once at the end; a running one about waited/0.05 times (a
    # loaded machine gets fewer, but far more than a handful).
    assert ticks >= max(5, waited / 0.05 / 5), (waited, ticks)
    assert paints >= 3, paints  # the busy bar moved while waiting


def test_first_start__silent_server__window_keeps_running__esc_stops__answer_arrives(
    qtbot: QtBot,
    pg_server: PgServer,
    silent_port: int,
    first_start: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend, "CONNECT_TIMEOUT", WAIT_S)
    window = create_main_window(["jsdesk"])
    qtbot.addWidget(window)
    wait_started(qtbot, window)
    panel = window.setup_panel
    form = _fill_shared_form(qtbot, window, silent_port, pg_server)

    # Esc stops the waiting at once; the late answer is dropped.
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert window.waiting_for_server
    assert form.checking.isVisible() and not form.connect_button.isEnabled()
    assert "Kobler til 127.0.0.1" in form.checking.text.text()
    assert not panel.choose_local.isEnabled()  # no second way in while waiting
    qtbot.keyClick(form.password, Qt.Key.Key_Return)  # pressed again: still one check
    assert window.waiting_for_server
    focus = window.focusWidget()
    assert focus is form.checking.cancel_button
    qtbot.keyClick(focus, Qt.Key.Key_Escape)
    assert not window.waiting_for_server
    assert "Avbrutt" in form.error.text() and form.connect_button.isEnabled()
    assert not form.checking.isVisible() and panel.choose_local.isEnabled()
    qtbot.waitUntil(lambda: not window.talking_to_server, timeout=60_000)
    assert "Avbrutt" in form.error.text()
    assert window.stack.currentWidget() is panel and window.context.db is None

    # Asked again and waited for: the window answers all along, then says why.
    qtbot.keyClick(form.connect_button, Qt.Key.Key_Space)
    assert window.waiting_for_server
    _assert_kept_running(*_wait_answered(qtbot, window))
    message = form.error.text()
    assert f"Serveren 127.0.0.1 svarer ikke på port {silent_port}" in message
    assert f"ventet i {WAIT_S} s" in message
    assert form.connect_button.isEnabled() and not form.checking.isVisible()
    assert window.context.db is None and window.context.db_url is None
    assert stored_settings().value(SHARED_DB_SETTING) is None
    window.close()


def test_start__silent_shared_database__avbryt_then_answer_on_the_unlock_panel(
    qtbot: QtBot, pg_server: PgServer, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = (
        f"postgresql://kari@127.0.0.1:{silent_port}/jsdesk?sslmode=verify-full"
        f"&sslrootcert={pg_server.ca}&connect_timeout={WAIT_S}"
    )
    monkeypatch.setenv("JSDESK_PASSPHRASE", "karis passord")
    window = create_main_window(["jsdesk", "--db", url])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not window.loading)
    unlock = window.unlock_panel
    # The password came with the start: the unlock panel says the server is asked.
    assert window.stack.currentWidget() is unlock and window.waiting_for_server
    assert unlock.checking.isVisible() and not unlock.unlock_button.isEnabled()
    assert "Felles database" in unlock.where.text()
    qtbot.keyClick(unlock.checking.cancel_button, Qt.Key.Key_Space)
    assert not window.waiting_for_server and "Avbrutt" in unlock.error.text()
    assert unlock.unlock_button.isEnabled() and unlock.secret.hasFocus()

    qtbot.keyClicks(unlock.secret, "karis passord")
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    assert window.waiting_for_server and unlock.checking.isVisible()
    _assert_kept_running(*_wait_answered(qtbot, window))
    assert f"svarer ikke på port {silent_port}" in unlock.error.text()
    assert window.stack.currentWidget() is unlock and unlock.unlock_button.isEnabled()
    window.close()


def test_first_start__nothing_listening__told_at_once(
    qtbot: QtBot, pg_server: PgServer, first_start: None
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, not listening: connections are refused
        window = create_main_window(["jsdesk"])
        qtbot.addWidget(window)
        wait_started(qtbot, window)
        form = _fill_shared_form(qtbot, window, closed, pg_server)
        qtbot.keyClick(form.password, Qt.Key.Key_Return)
        wait_started(qtbot, window)
    assert f"Fikk ikke kontakt med serveren 127.0.0.1 på port {closed}" in form.error.text()
    window.close()
