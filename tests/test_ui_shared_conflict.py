"""Two jsdesk processes on one participation of a shared database: the
caseworker in the wizard keeps the other's change of another field, gets the conflict
dialog for the same field, and nothing is lost; the audit names both logins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import PgServer
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QRadioButton
from pytestqt.qtbot import QtBot
from storage_helpers import FORM_VERSION, REPO_ROOT, record
from ui_support import press, wait_started

from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server
from jsdesk.ui.app import create_main_window
from jsdesk.ui.conflict_dialog import ConflictDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

OTHER_PROCESS = """
import sys
from jsdesk.storage import Database
url, pid, name, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with Database.connect(url) as db:
    db.set_values(pid, {name: value})
"""


def _other_caseworker(url: str, pid: int, name: str, value: int) -> None:
    subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, url, str(pid), name, str(value)],
        check=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


@pytest.fixture
def logins(pg_server: PgServer, pg_url: str) -> Iterator[tuple[str, str, str]]:
    init_server(pg_url, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
    name = urlsplit(pg_url).path[1:]
    urls = []
    for login in ("kari", "ola"):
        add_user(pg_url, None, login, bydeler=["030101"], new_password=f"{login} sitt passord")
        urls.append(pg_server.url(login, f"{login} sitt passord", name))
    yield pg_url, urls[0], urls[1]


def _kari_opens_a_new_participation(
    qtbot: QtBot, kari: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, MainWindow, ParticipationWizard]:
    """kari creates a participation and opens it in the app's wizard on her login."""
    with Database.connect(kari) as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    window: MainWindow = create_main_window(["jsdesk", "--db", kari])
    qtbot.addWidget(window)
    wait_started(qtbot, window)
    assert window.stack.currentWidget() is window.overview
    wizard = window.open_participation(pid)
    assert wizard is not None
    return pid, window, wizard


def test_two_processes__other_field_merged__same_field_asks__nothing_lost(
    qtbot: QtBot, logins: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, kari, ola = logins
    pid, window, wizard = _kari_opens_a_new_participation(qtbot, kari, monkeypatch)
    qtbot.waitUntil(wizard.isVisible)
    qtbot.keyClick(wizard, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)

    # The other caseworker changes another field; kari's save keeps it and shows it.
    _other_caseworker(ola, pid, "ankomstar", 2016)
    press(qtbot, wizard, "omsorgsansvar_barn_2")
    stored = window.context.require_db().get_participation(pid).values
    assert stored["ankomstar"] == 2016 and stored["omsorgsansvar_barn"] == 2
    assert wizard.fields["ankomstar"].value() == 2016

    # Now both change the same field: kari is asked, and keeps her own value.
    _other_caseworker(ola, pid, "lese_skrive_morsmal", 2)
    seen: list[str] = []

    def choose_mine() -> None:
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, ConflictDialog) and w.isVisible()
        ]
        if not shown:
            QTimer.singleShot(50, choose_mine)  # not open yet
            return
        (dialog,) = shown
        mine = dialog.findChild(QRadioButton, "conflict_mine_lese_skrive_morsmal")
        theirs = dialog.findChild(QRadioButton, "conflict_theirs_lese_skrive_morsmal")
        assert mine is not None and theirs is not None
        seen.extend([mine.text(), theirs.text()])
        qtbot.keyClick(mine, Qt.Key.Key_Space)
        apply = dialog.findChild(QPushButton, "conflictApply")
        assert apply is not None
        apply.setFocus()
        qtbot.keyClick(apply, Qt.Key.Key_Space)

    QTimer.singleShot(50, choose_mine)
    press(qtbot, wizard, "lese_skrive_morsmal_1")
    assert seen and seen[0].startswith("1") and seen[1].startswith("2")
    stored = window.context.require_db().get_participation(pid).values
    assert stored["lese_skrive_morsmal"] == 1
    assert stored["ankomstar"] == 2016  # the other's earlier change still there
    window.close()

    with psycopg.connect(owner) as conn:
        writers = {
            row[0]
            for row in conn.execute(
                "SELECT os_user FROM audit_events WHERE participation_id = %s", (pid,)
            )
        }
    assert writers == {"kari", "ola"}


def _answer_conflict(qtbot: QtBot, buttons: list[str]) -> list[str]:
    """When the conflict dialog opens, press ``buttons`` in it (object names; "" is Esc);
    returns the two values it showed (own, the other's) for ``lese_skrive_morsmal``."""
    seen: list[str] = []

    def answer() -> None:
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, ConflictDialog) and w.isVisible()
        ]
        if not shown:
            QTimer.singleShot(50, answer)
            return
        (dialog,) = shown
        for side in ("mine", "theirs"):
            button = dialog.findChild(QRadioButton, f"conflict_{side}_lese_skrive_morsmal")
            assert button is not None
            seen.append(button.text())
        for name in buttons:
            if not name:
                qtbot.keyClick(dialog, Qt.Key.Key_Escape)
                continue
            button = dialog.findChild(QPushButton, name)
            assert button is not None, name
            button.setFocus()
            qtbot.keyClick(button, Qt.Key.Key_Space)

    QTimer.singleShot(50, answer)
    return seen


def test_conflict__take_theirs_or_close__the_newer_version_stays_own_value_in_the_note(
    qtbot: QtBot, logins: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _owner, kari, ola = logins
    pid, window, wizard = _kari_opens_a_new_participation(qtbot, kari, monkeypatch)
    qtbot.waitUntil(wizard.isVisible)
    qtbot.keyClick(wizard, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    field = wizard.fields["lese_skrive_morsmal"]

    # «Ta alle den andres», then «Bruk valgene»: the other's value wins.
    _other_caseworker(ola, pid, "lese_skrive_morsmal", 2)
    seen = _answer_conflict(qtbot, ["conflictAllTheirs", "conflictApply"])
    press(qtbot, wizard, "lese_skrive_morsmal_1")
    assert seen and seen[0].startswith("1") and seen[1].startswith("2")
    assert window.context.require_db().get_participation(pid).values["lese_skrive_morsmal"] == 2
    assert field.value() == 2
    assert "Den andre saksbehandlerens verdi gjelder. Din verdi var: 1" in field.message.text()

    # Closed with Esc: the other's newer value stays; the own one is in the note.
    _other_caseworker(ola, pid, "lese_skrive_morsmal", 9)
    seen = _answer_conflict(qtbot, [""])
    press(qtbot, wizard, "lese_skrive_morsmal_1")
    assert seen and seen[0].startswith("1") and seen[1].startswith("9")
    assert window.context.require_db().get_participation(pid).values["lese_skrive_morsmal"] == 9
    assert field.value() == 9 and "Din verdi var: 1" in field.message.text()

    # The next autosave (another field) does not write the old value back.
    press(qtbot, wizard, "omsorgsansvar_barn_2")
    stored = window.context.require_db().get_participation(pid).values
    assert stored["lese_skrive_morsmal"] == 9 and stored["omsorgsansvar_barn"] == 2
    window.close()
