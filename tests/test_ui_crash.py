"""A change typed in the wizard survives the process being killed right afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from ui_support import PASSPHRASE, make_db, person

from jsdesk.storage import Database

CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from jsdesk.ui.app import create_main_window

    window = create_main_window(["jsdesk", "--db", sys.argv[1]])
    app = QApplication.instance()
    while window.stack.currentWidget() is window.loading:
        app.processEvents()
    wizard = window.open_participation(int(sys.argv[2]))
    wizard.go_to_page(2)
    button = wizard.findChild(object, "omsorgsansvar_barn_1")
    QTest.keyClick(button, Qt.Key.Key_Space)
    print(wizard.saved_label.text(), flush=True)
    while True:  # keep running with the wizard open until killed
        app.processEvents()
        QTest.qWait(20)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_wizard__process_killed_after_change__change_there_on_reopening(tmp_path: Path) -> None:
    db_path = tmp_path / "jsdesk.db"
    (pid,) = make_db(db_path, [person(date(1979, 11, 2), 301, "2024-05-06")])
    env = {**os.environ, "JSDESK_PASSPHRASE": PASSPHRASE, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), str(pid)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("Lagret kl. "), line + (child.stderr.read() if child.stderr else "")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    with Database.open(db_path, PASSPHRASE) as db:
        assert db.get_participation(pid).values["omsorgsansvar_barn"] == 1
