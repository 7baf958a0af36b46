"""Slow work off the UI thread: one abstraction for every dialog that needs it.

A job is a plain function that gets a ``report(phase, done, total)`` callback and
never touches widgets. ``BackgroundJob`` runs it in a ``QThread`` and calls back on
the UI thread, the way Anki's ``aqt/operations`` hands results back:
``on_progress(phase, done, total)`` for each report, then exactly one of
``on_success(result)`` or ``on_failure(exception)``. The thread has finished and
is released before that last callback runs, so ``running`` is already False in
it; dialogs do no teardown of their own. A failure that is not a ``UserError`` (a
bug) is raised again on the UI thread after ``on_failure`` has let the dialog
recover, so it reaches the application's error handling instead of being hidden.

While any job runs, Python's automatic (cyclic) garbage collection waits
(``jsdesk.progress.collection_paused``): a job that builds 100,000 rows makes the
collector walk every object of the application, in one call that holds the GIL,
200-300 ms in which the window's thread cannot run.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from jsdesk.errors import UserError
from jsdesk.progress import Progress, collection_paused

Report = Progress  # what a job calls to tell how far it has come
Job = Callable[[Report], object]


class _Worker(QThread):
    """Runs the job; signals (queued to the UI thread) carry progress and the outcome."""

    progressed = Signal(str, int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Job, parent: QObject) -> None:
        super().__init__(parent)
        self._job = job

    def _report(self, phase: str, done: int, total: int) -> None:
        self.progressed.emit(phase, done, total)

    def run(self) -> None:  # in the worker thread
        try:
            with collection_paused():
                result = self._job(self._report)
        except Exception as exc:  # handed to the UI thread, which decides (bugs re-raise there)
            self.failed.emit(exc)
            return
        self.succeeded.emit(result)


class BackgroundJob(QObject):
    """One run of ``job`` in a worker thread, with success, failure and progress callbacks."""

    def __init__(
        self,
        parent: QObject,
        job: Job,
        *,
        on_success: Callable[[object], None],
        on_failure: Callable[[BaseException], None],
        on_progress: Report | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_success = on_success
        self._on_failure = on_failure
        self._worker: _Worker | None = _Worker(job, self)
        if on_progress is not None:
            self._worker.progressed.connect(on_progress)
        self._worker.succeeded.connect(self._succeeded)
        self._worker.failed.connect(self._failed)

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self) -> BackgroundJob:
        assert self._worker is not None, "a BackgroundJob runs once"
        self._worker.start()
        return self

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the worker has finished (for closing the window, and tests)."""
        return self._worker is None or self._worker.wait(timeout_ms)

    def _release(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self.deleteLater()

    def _succeeded(self, result: object) -> None:
        self._release()
        self._on_success(result)

    def _failed(self, exc: object) -> None:
        self._release()
        assert isinstance(exc, BaseException)
        self._on_failure(exc)
        if not isinstance(exc, UserError):
            raise exc  # a bug: not renamed; the application's error handling takes it
