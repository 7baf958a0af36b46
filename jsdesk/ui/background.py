"""Slow work off the UI thread: a job runs in a ``QThread``, results come back as signals.

The job is a plain function that gets a ``report(phase, done, total)`` callback and
never touches widgets. Its return value, or the exception it raised, is delivered to
the UI thread by queued signals (the thread object lives in the UI thread), the way
Anki's ``aqt/operations`` hands results back.

Signals (on ``BackgroundJob``): ``progressed(str, int, int)`` from ``report``;
``succeeded(object)`` with the job's return value; ``failed(object)`` with the
exception. Exactly one of ``succeeded``/``failed`` is emitted per run.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

Report = Callable[[str, int, int], None]
Job = Callable[[Report], object]


class BackgroundJob(QThread):
    progressed = Signal(str, int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job

    def _report(self, phase: str, done: int, total: int) -> None:
        self.progressed.emit(phase, done, total)

    def run(self) -> None:  # in the worker thread
        try:
            result = self._job(self._report)
        except Exception as exc:  # handed to the UI thread, which decides (bugs re-raise there)
            self.failed.emit(exc)
            return
        self.succeeded.emit(result)
