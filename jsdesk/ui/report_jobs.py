"""Running report work off the UI thread and choosing where an export goes.

The job object is parented to the long-lived ``AppContext``, not to the
window that asked: a window closed (or the database locked) while the job
runs then only loses the answer, and the thread is never destroyed running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from jsdesk.ui.background import BackgroundJob, Job
from jsdesk.ui.context import AppContext


def start_job(
    context: AppContext,
    job: Job,
    *,
    succeeded: Callable[[object], None],
    failed: Callable[[object], None],
    progressed: Callable[[str, int, int], None],
) -> BackgroundJob:
    return BackgroundJob(
        context, job, on_success=succeeded, on_failure=failed, on_progress=progressed
    ).start()


def default_folder() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


def choose_file(parent: QWidget, title: str, name: str, filters: str) -> Path | None:
    """A save-file dialog in the user's documents folder; None when cancelled."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(Path(default_folder()) / name), filters
    )
    return Path(chosen) if chosen else None
