"""Two jsdesk processes on one participation of a shared database.

Kari works in the app's wizard in this process; Ola is a second, whole jsdesk program
(tests/gui_peer.py: the real start-up, password prompt, overview, wizard, autosave and
conflict dialog), driven with key events over a pipe. Each changes another field: both
changes stay. Both change the same field: whoever saves second gets the conflict dialog
with both values and chooses; nothing is lost, the autosave never writes an older value
back, and the audit trail (checked by ``jsdesk db check``) names both logins.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import PgServer
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QRadioButton
from pytestqt.qtbot import QtBot
from storage_helpers import FORM_VERSION, REPO_ROOT, record
from ui_support import press, wait_started

from jsdesk.cli import main as jsdesk_main
from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server
from jsdesk.ui.app import create_main_window
from jsdesk.ui.conflict_dialog import ConflictDialog
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PEER = Path(__file__).with_name("gui_peer.py")
OLA_PASSWORD = "ola sitt passord"
# A step of the other program (a login, a save) waits at most this long.
ANSWER_SECONDS = 90


class Peer:
    """The second jsdesk program: started like ``jsdesk --db URL``, its own settings and
    data folders, asked one step at a time (see tests/gui_peer.py)."""

    def __init__(self, arguments: list[str], home: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"JSDESK_PASSPHRASE", "JSDESK_DB"} and not key.startswith("PG")
        }
        for name in ("config", "data", "cache", "state"):
            env[f"XDG_{name.upper()}_HOME"] = str(home / name)
        env.update(
            HOME=str(home),
            JSDESK_DATA_DIR=str(home / "jsdesk-data"),
            JSDESK_LOG_DIR=str(home / "logs"),
        )
        self.process = subprocess.Popen(
            [sys.executable, str(PEER), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=REPO_ROOT,
        )
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            if line.startswith("PEER "):
                self._replies.put(line[5:])
        self._replies.put(None)

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line)

    def _why(self) -> str:
        tail = "".join(self._stderr[-20:]).strip()
        return f"; its stderr:\n{tail}" if tail else ""

    def ask(self, do: str, **arguments: object) -> dict[str, Any]:
        """Carry out one step in the other program; its reply (fails the test clearly
        when the program does not answer, ends, or cannot do the step)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"do": do, **arguments}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pytest.fail(f"the second jsdesk ended (exit {self.process.poll()}){self._why()}")
        try:
            line = self._replies.get(timeout=ANSWER_SECONDS)
        except queue.Empty:
            pytest.fail(
                f"the second jsdesk did not answer «{do}» within {ANSWER_SECONDS} s{self._why()}"
            )
        if line is None:
            self.process.wait(timeout=10)
            pytest.fail(
                f"the second jsdesk ended (exit {self.process.returncode}) before answering "
                f"«{do}»{self._why()}"
            )
        reply: dict[str, Any] = json.loads(line)
        if not reply.pop("ok"):
            pytest.fail(f"the second jsdesk could not do «{do}» {arguments}: {reply['error']}")
        return reply

    def close(self) -> int:
        """Close the wizard and the program with the keyboard; its exit code."""
        self.ask("close")
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=ANSWER_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the second jsdesk did not end after Ctrl+Q{self._why()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def start_peer(tmp_path: Path) -> Iterator[Callable[[str], Peer]]:
    """Starts the second program with ``--db URL``; it is ended after the test, also when
    the test failed."""
    started: list[Peer] = []

    def start(url: str) -> Peer:
        peer = Peer(["--db", url], tmp_path / f"andre-{len(started)}")
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.kill()


@pytest.fixture
def logins(pg_server: PgServer, pg_url: str) -> Iterator[tuple[str, str, str]]:
    """The owner's URL, kari's (with her password) and ola's (without: he types it)."""
    init_server(pg_url, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
    name = urlsplit(pg_url).path[1:]
    add_user(pg_url, None, "kari", bydeler=["030101"], new_password="kari sitt passord")
    add_user(pg_url, None, "ola", bydeler=["030101"], new_password=OLA_PASSWORD)
    yield pg_url, pg_server.url("kari", "kari sitt passord", name), pg_server.url("ola", db=name)


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
    qtbot.waitUntil(wizard.isVisible)
    qtbot.keyClick(wizard, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    return pid, window, wizard


def _ola_opens(start_peer: Callable[[str], Peer], ola: str, pid: int) -> Peer:
    """ola starts jsdesk on the shared database, types his password at the prompt and
    opens the participation from the overview (arrow keys, Enter)."""
    peer = start_peer(ola)
    shown = peer.ask("state")
    # No password given yet: the start screen asks for it, without an error.
    assert (shown["panel"], shown["error"]) == ("unlock", "")
    assert peer.ask("login", password=OLA_PASSWORD)["panel"] == "overview"
    assert peer.ask("open", id=pid)["title"] == f"Deltakelse {pid} – jsdesk"
    return peer


def _kari_saves(qtbot: QtBot, wizard: ParticipationWizard, name: str, *buttons: str) -> list[str]:
    """kari presses the radio button ``name``; a conflict dialog that opens is answered
    by pressing ``buttons`` (object names; "" is Esc). Returns what the dialog showed
    for each field, own value then the other's (empty: no dialog opened)."""
    seen: list[str] = []

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
        for conflict in dialog.conflicts:
            for side in ("mine", "theirs"):
                found = dialog.findChild(QRadioButton, f"conflict_{side}_{conflict.variable}")
                assert found is not None
                seen.append(found.text())
        for name in buttons or ("",):  # not expected: Esc, and the test sees ``seen``
            if not name:
                qtbot.keyClick(dialog, Qt.Key.Key_Escape)
                continue
            button = dialog.findChild(QPushButton, name)
            assert button is not None, name
            button.setFocus()
            qtbot.keyClick(button, Qt.Key.Key_Space)

    timer = QTimer(singleShot=True, interval=50)
    timer.timeout.connect(look)
    timer.start()
    try:
        press(qtbot, wizard, name)
    finally:
        timer.stop()
    return seen


def _stored(window: MainWindow, pid: int) -> dict[str, object]:
    return dict(window.context.require_db().get_participation(pid).values)


def _db_check(url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """``jsdesk db check --db URL`` (the command's own code, in this process)."""
    capsys.readouterr()
    code = jsdesk_main(["db", "check", "--db", url])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_two_jsdesk_processes__other_field_kept__same_field_asks_the_second__nothing_lost(
    qtbot: QtBot,
    logins: tuple[str, str, str],
    monkeypatch: pytest.MonkeyPatch,
    start_peer: Callable[[str], Peer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, kari, ola = logins
    pid, window, wizard = _kari_opens_a_new_participation(qtbot, kari, monkeypatch)
    peer = _ola_opens(start_peer, ola, pid)

    # 1. Each changes another field, both on the version they opened: both stay.
    assert _kari_saves(qtbot, wizard, "omsorgsansvar_barn_2") == []
    peer.ask("key", keys="Ctrl+1")
    assert peer.ask("type", name="oppstartsdato", text="01.04.2024")["conflict"] is None
    shown = peer.ask("fields", names=["omsorgsansvar_barn", "oppstartsdato"])
    assert shown["values"] == {"omsorgsansvar_barn": 2, "oppstartsdato": "2024-04-01"}
    assert shown["notes"]["omsorgsansvar_barn"] == "Endret av en annen saksbehandler."
    stored = _stored(window, pid)
    assert stored["omsorgsansvar_barn"] == 2 and stored["oppstartsdato"] == "2024-04-01"

    # 2. Both change one field; ola saves second, gets the dialog and keeps his value.
    assert _kari_saves(qtbot, wizard, "lese_skrive_morsmal_1") == []
    assert wizard.fields["oppstartsdato"].value() == "2024-04-01"  # ola's change shown
    peer.ask("key", keys="Ctrl+2")
    answered = peer.ask(
        "press", name="lese_skrive_morsmal_2", answer=["conflictAllMine", "conflictApply"]
    )
    assert answered["conflict"] == {"lese_skrive_morsmal": ["2 – Nei", "1 – Ja"]}
    assert answered["title"] == "Noen andre har endret de samme feltene – jsdesk"
    assert _stored(window, pid)["lese_skrive_morsmal"] == 2

    # 3. Again, kari second: she gets the dialog and keeps hers.
    seen = _kari_saves(qtbot, wizard, "lese_skrive_morsmal_9", "conflictAllMine", "conflictApply")
    assert seen == ["9 – Ukjent (vet ikke)", "2 – Nei"]
    assert _stored(window, pid)["lese_skrive_morsmal"] == 9

    # ola's next autosave (another field) does not write his older value back; his
    # wizard now shows kari's.
    assert peer.ask("press", name="lese_skrive_latinsk_alfabet_1")["conflict"] is None
    shown = peer.ask("fields", names=["lese_skrive_morsmal"])
    assert shown["values"] == {"lese_skrive_morsmal": 9}
    assert shown["notes"]["lese_skrive_morsmal"] == "Endret av en annen saksbehandler."
    # Nor does kari's.
    assert _kari_saves(qtbot, wizard, "deltatt_intro_2") == []
    assert wizard.fields["lese_skrive_latinsk_alfabet"].value() == 1
    stored = _stored(window, pid)
    assert {name: stored[name] for name in stored if name != "fodselsnummer"} == {
        "kommunenummer": "0301",
        "bydel": "030101",
        "oppstartsdato": "2024-04-01",
        "omsorgsansvar_barn": 2,
        "lese_skrive_morsmal": 9,
        "lese_skrive_latinsk_alfabet": 1,
        "deltatt_intro": 2,
    }
    assert peer.close() == 0
    window.close()

    # The audit trail is whole and names who changed what.
    assert ": ok" in _db_check(kari, capsys)
    with psycopg.connect(owner) as conn:
        changes = set(
            conn.execute(
                "SELECT os_user, variable FROM audit_events "
                "WHERE participation_id = %s AND variable IS NOT NULL",
                (pid,),
            ).fetchall()
        )
    assert {
        ("kari", "omsorgsansvar_barn"),
        ("ola", "oppstartsdato"),
        ("ola", "lese_skrive_morsmal"),
        ("kari", "lese_skrive_morsmal"),
        ("ola", "lese_skrive_latinsk_alfabet"),
        ("kari", "deltatt_intro"),
    } <= changes
    assert {user for user, _variable in changes} == {"kari", "ola"}


def test_conflict__take_theirs_or_close__the_newer_version_stays_own_value_in_the_note(
    qtbot: QtBot,
    logins: tuple[str, str, str],
    monkeypatch: pytest.MonkeyPatch,
    start_peer: Callable[[str], Peer],
) -> None:
    _owner, kari, ola = logins
    pid, window, wizard = _kari_opens_a_new_participation(qtbot, kari, monkeypatch)
    peer = _ola_opens(start_peer, ola, pid)
    peer.ask("key", keys="Ctrl+2")
    field = wizard.fields["lese_skrive_morsmal"]

    # «Ta alle den andres», then «Bruk valgene»: the other's value wins.
    assert peer.ask("press", name="lese_skrive_morsmal_2")["conflict"] is None
    seen = _kari_saves(qtbot, wizard, "lese_skrive_morsmal_1", "conflictAllTheirs", "conflictApply")
    assert seen == ["1 – Ja", "2 – Nei"]
    assert _stored(window, pid)["lese_skrive_morsmal"] == 2
    assert field.value() == 2
    assert "Den andre saksbehandlerens verdi gjelder. Din verdi var: 1" in field.message.text()

    # Closed with Esc: the other's newer value stays; the own one is in the note.
    assert peer.ask("press", name="lese_skrive_morsmal_9")["conflict"] is None
    seen = _kari_saves(qtbot, wizard, "lese_skrive_morsmal_1", "")
    assert seen == ["1 – Ja", "9 – Ukjent (vet ikke)"]
    assert _stored(window, pid)["lese_skrive_morsmal"] == 9
    assert field.value() == 9 and "Din verdi var: 1" in field.message.text()

    # The next autosave (another field) does not write the old value back.
    assert _kari_saves(qtbot, wizard, "omsorgsansvar_barn_2") == []
    stored = _stored(window, pid)
    assert stored["lese_skrive_morsmal"] == 9 and stored["omsorgsansvar_barn"] == 2
    assert peer.close() == 0
    window.close()
