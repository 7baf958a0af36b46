"""The one background-job abstraction: callbacks on the UI thread, the thread released first."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from jsdesk.errors import UserError
from jsdesk.ui.background import BackgroundJob, Report


def test_background_job__work_reports_and_returns__progress_then_success_on_ui_thread(
    qtbot: QtBot,
) -> None:
    owner = QObject()
    ui_thread = threading.get_ident()
    seen: list[object] = []
    job_threads: list[int] = []

    def work(report: Report) -> object:
        job_threads.append(threading.get_ident())
        report("Leser", 1, 2)
        return 42

    def succeeded(result: object) -> None:
        seen.append(("ferdig", result, threading.get_ident() == ui_thread, job.running))

    job = BackgroundJob(
        owner,
        work,
        on_success=succeeded,
        on_failure=lambda exc: seen.append(("feil", exc)),
        on_progress=lambda phase, done, total: seen.append((phase, done, total)),
    )
    job.start()
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen == [("Leser", 1, 2), ("ferdig", 42, True, False)]
    assert job_threads and job_threads[0] != ui_thread


def test_background_job__user_error__failure_callback_with_the_error(qtbot: QtBot) -> None:
    owner = QObject()
    failures: list[BaseException] = []

    def work(_report: Report) -> object:
        raise UserError("Filen finnes ikke.")

    BackgroundJob(owner, work, on_success=lambda _result: None, on_failure=failures.append).start()
    qtbot.waitUntil(lambda: bool(failures))
    assert isinstance(failures[0], UserError) and failures[0].message == "Filen finnes ikke."
