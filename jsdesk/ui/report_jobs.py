"""Running report work off the UI thread and choosing where an export goes (the
folder last chosen for a report or list, else the documents folder).

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
from jsdesk.ui.window_state import last_folder, remember_folder

# ``mapper/<purpose>`` of the folder the reports and lists were last exported to.
FOLDER_PURPOSE = "rapporter"


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
    """The folder a report or list was last exported to, else the documents folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    fallback = documents if documents and Path(documents).is_dir() else str(Path.home())
    return last_folder(FOLDER_PURPOSE, fallback)


def choose_file(parent: QWidget, title: str, name: str, filters: str) -> Path | None:
    """A save-file dialog in ``default_folder()``; None when cancelled. The folder chosen
    is where the next one opens."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(Path(default_folder()) / name), filters
    )
    if not chosen:
        return None
    remember_folder(FOLDER_PURPOSE, chosen)
    return Path(chosen)
