"""The first start with «Felles database», against the real PostgreSQL test server.

The caseworker types the server's address, their login and the CA file, is told in
Bokmål what is wrong (wrong password, a CA that did not sign the server, no such
database, a database IT has not set up), chooses their own password instead of IT's
one-time one, and the next start asks only for the password. ``--db`` and
``JSDESK_DB`` still win over the stored choice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pg_support import SUPERUSER, SUPERUSER_PASSWORD, PgServer, _write_tls
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from ui_support import wait_started

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server
from jsdesk.ui.app import create_main_window
from jsdesk.ui.main_window import SHARED_DB_SETTING, MainWindow
from jsdesk.ui.window_state import settings as stored_settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def onetime(pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A set-up shared database with the login «kari» and IT's one-time password."""
    init_server(pg_url, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
    password = add_user(pg_url, None, "kari", bydeler=["030101"])
    assert password
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    monkeypatch.delenv("JSDESK_DB", raising=False)
    monkeypatch.setattr("jsdesk.storage.default_db_path", lambda: tmp_path / "lokal.db")
    return password


def _start(qtbot: QtBot, *args: str) -> MainWindow:
    window = create_main_window(["jsdesk", *args])
    qtbot.addWidget(window)
    wait_started(qtbot, window)
    return window


def _type(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _try(qtbot: QtBot, window: MainWindow, **fields: str) -> str:
    form = window.setup_panel.shared
    for name, text in fields.items():
        _type(qtbot, getattr(form, name), text)
    qtbot.keyClick(form.connect_button, Qt.Key.Key_Space)
    wait_started(qtbot, window)  # the server is asked off the UI thread
    return form.error.text()


def _press_return(qtbot: QtBot, window: MainWindow, edit: QLineEdit) -> None:
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.waiting_for_server and edit.isEnabled(), timeout=20000)


def test_first_start__shared_database__errors_one_time_password_then_next_start(
    qtbot: QtBot, pg_server: PgServer, pg_url: str, onetime: str, tmp_path: Path
) -> None:
    database = urlsplit(pg_url).path[1:]
    window = _start(qtbot)
    panel = window.setup_panel
    assert window.stack.currentWidget() is panel
    assert panel.pages.currentWidget() is panel.local  # «Lokal fil» is the default
    qtbot.keyClick(panel.choose_shared, Qt.Key.Key_Space)
    assert panel.choose_shared.isChecked() and panel.pages.currentWidget() is panel.shared

    # Nothing typed yet: the first missing field is named.
    assert "serverens adresse" in _try(qtbot, window)
    good = {
        "host": "localhost",
        "port": str(pg_server.port),
        "database": database,
        "user": "kari",
        "ca_file": str(pg_server.ca),
    }
    assert "feil brukernavn eller passord for «kari»" in _try(
        qtbot, window, **good, password="feil passord"
    )
    other_ca, _cert, _key = _write_tls(tmp_path)
    assert "ikke utstedt av CA-sertifikatet" in _try(
        qtbot, window, ca_file=str(other_ca), password=onetime
    )
    assert "«finnes_ikke» finnes ikke" in _try(
        qtbot, window, ca_file=str(pg_server.ca), database="finnes_ikke"
    )
    bare = "t" + database[1:][::-1]
    pg_server.sql(f'CREATE DATABASE "{bare}"')
    try:
        assert "ikke satt opp for jsdesk" in _try(qtbot, window, database=bare)
    finally:
        pg_server.sql(f'DROP DATABASE "{bare}" WITH (FORCE)')
    assert stored_settings().value(SHARED_DB_SETTING) is None  # nothing kept yet
    assert window.context.db is None

    # The right answers: IT's one-time password must be replaced by her own.
    _try(qtbot, window, database=database)
    assert window.stack.currentWidget() is window.password_panel
    choose = window.password_panel
    _type(qtbot, choose.password, "kort")
    qtbot.keyClick(choose.password, Qt.Key.Key_Return)
    _type(qtbot, choose.repeat, "kort")
    qtbot.keyClick(choose.repeat, Qt.Key.Key_Return)
    assert "minst 12 tegn" in choose.error.text()
    _type(qtbot, choose.password, "karis eget passord")
    _type(qtbot, choose.repeat, "karis eget passord")
    qtbot.keyClick(choose.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.overview, timeout=20000)
    assert not window.context.require_db().must_change_password
    stored = stored_settings().value(SHARED_DB_SETTING)
    assert isinstance(stored, str) and "kari@localhost" in stored
    assert onetime not in stored and "karis eget" not in stored
    assert "sslmode=verify-full" in stored
    window.close()
    with pytest.raises(UserError, match="feil brukernavn"):  # the one-time one is gone
        Database.connect(pg_server.url("kari", onetime, database))

    # The next start opens the shared database and asks only for the password.
    window = _start(qtbot)
    unlock = window.unlock_panel
    assert window.stack.currentWidget() is unlock
    assert "Felles database" in unlock.where.text() and "Passord" in unlock.label.text()
    qtbot.keyClicks(unlock.secret, "feil")
    _press_return(qtbot, window, unlock.secret)
    assert "feil brukernavn eller passord" in unlock.error.text()
    _type(qtbot, unlock.secret, "karis eget passord")
    _press_return(qtbot, window, unlock.secret)
    assert window.stack.currentWidget() is window.overview
    assert window.context.require_db().backend.shared
    window.close()

    # --db (and JSDESK_DB) still choose another database.
    window = _start(qtbot, "--db", str(tmp_path / "annen.db"))
    assert window.stack.currentWidget() is window.setup_panel
    window.close()


@pytest.fixture(scope="module")
def server_without_tls() -> Iterator[PgServer]:
    """A second real server, set up without TLS (``ssl = off``)."""
    from pg_support import REQUIRE_ENV, postgres_bin, running_server

    if postgres_bin() is None and not os.environ.get(REQUIRE_ENV):
        pytest.skip("PostgreSQL er ikke installert (apt-get install postgresql)")
    with running_server(tls=False) as server:
        yield server


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    monkeypatch.delenv("JSDESK_DB", raising=False)
    monkeypatch.setattr("jsdesk.storage.default_db_path", lambda: tmp_path / "lokal.db")


def test_first_start__server_without_tls__refused_nothing_sent_or_kept(
    qtbot: QtBot, server_without_tls: PgServer, fresh: None
) -> None:
    window = _start(qtbot)
    qtbot.keyClick(window.setup_panel.choose_shared, Qt.Key.Key_Space)
    message = _try(
        qtbot,
        window,
        host="localhost",
        port=str(server_without_tls.port),
        database="postgres",
        user=SUPERUSER,
        ca_file=str(server_without_tls.ca),
        password=SUPERUSER_PASSWORD,
    )
    assert "Serveren localhost tilbyr ikke kryptert forbindelse (TLS)" in message
    assert "Be IT slå på TLS" in message
    assert window.context.db is None and stored_settings().value(SHARED_DB_SETTING) is None
    window.close()


def test_start__url_without_verified_tls__refused_on_the_unlock_panel(
    qtbot: QtBot, pg_server: PgServer, oslo_server: str, fresh: None
) -> None:
    plain = oslo_server.replace("sslmode=verify-full", "sslmode=require")
    window = _start(qtbot, "--db", plain)
    unlock = window.unlock_panel
    assert window.stack.currentWidget() is unlock and window.context.db is None
    assert "kobler seg bare til en felles database over kryptert forbindelse" in unlock.error.text()
    assert "sslmode=require" in unlock.error.text()
    assert "eier-passord" not in unlock.error.text()  # the URL's password is never shown
    window.close()
