"""The overview's submission actions: "Send inn …" (export dialog) and "Innsendinger …".

``install(window)`` adds both actions to a menu "I&nnsending" and the toolbar, enables
them only while the database is open (export never in a pilot sandbox), refreshes the
overview after an export, and pauses the idle lock and refuses to close the main window
while an export runs (the worker uses the open database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from jsdesk.ui.export_dialog import ExportDialog
    from jsdesk.ui.host import MainWindowHost
    from jsdesk.ui.submissions_view import SubmissionsDialog

# The dialogs (and the submission package under them: cryptography, asn1crypto,
# jsonschema-rs) are imported when first opened: at start-up they would add 394
# modules to the 246 of the main window and double its import time (measured with
# ``python -X importtime``; benchmarks/startup.py times the first window).
EXPORT_KEYS = "Ctrl+E"
HISTORY_KEYS = "Ctrl+H"


class SubmissionActions(QObject):
    """Owns the two actions and the dialogs they open (the newest of each, for tests)."""

    def __init__(self, window: MainWindowHost) -> None:
        super().__init__(window.as_widget())
        self.setObjectName("innsendingshandlinger")
        self.window = window
        self.export_dialog: ExportDialog | None = None
        self.submissions_dialog: SubmissionsDialog | None = None
        self.exporting = False
        window.as_widget().installEventFilter(self)
        self.action_export = window_action(window, "action_export", "&Send inn …", EXPORT_KEYS)
        self.action_export.triggered.connect(self.open_export)
        self.action_submissions = window_action(
            window, "action_submissions", "Innsen&dinger …", HISTORY_KEYS
        )
        self.action_submissions.triggered.connect(self.open_submissions)
        menu = window.menuBar().addMenu("I&nnsending")
        menu.setObjectName("innsendingsmeny")
        menu.addAction(self.action_export)
        menu.addAction(self.action_submissions)
        toolbar = window.toolbar
        if toolbar is not None:
            toolbar.addSeparator()
            toolbar.addAction(self.action_export)
            toolbar.addAction(self.action_submissions)
        window.context.unlocked.connect(lambda: self._set_enabled(True))
        window.context.locked.connect(lambda: self._set_enabled(False))
        self._set_enabled(window.context.is_open)

    def _set_enabled(self, enabled: bool) -> None:
        # A pilot sandbox holds trial data on a throwaway database: nothing to send in.
        self.action_export.setEnabled(enabled and not self.window.context.options.sandbox)
        self.action_submissions.setEnabled(enabled)

    @Slot()
    def open_export(self) -> ExportDialog | None:
        if not self.action_export.isEnabled():
            return None
        from jsdesk.ui.export_dialog import ExportDialog

        dialog = ExportDialog(self.window.context, self.window.as_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(self._exported)
        dialog.busy_changed.connect(self._busy)
        self.export_dialog = dialog
        dialog.destroyed.connect(lambda _obj=None: self._forget_export(dialog))
        dialog.show()
        dialog.activateWindow()
        return dialog

    def _forget_export(self, dialog: ExportDialog) -> None:
        if self.export_dialog is dialog:
            self.export_dialog = None

    @Slot(object)
    def _exported(self, result: object) -> None:
        self.window.refresh()
        self.window.context.changed.emit()
        from jsdesk.submission.create import SubmissionResult

        if isinstance(result, SubmissionResult):
            self.window.statusBar().showMessage(
                f"Innsendingsfilen {result.path.name} er laget; {result.record_count} poster er "
                "merket som innsendt.",
                15000,
            )

    @Slot(bool)
    def _busy(self, busy: bool) -> None:
        # The export thread uses the open database: no idle lock (and no closing of the
        # main window, see eventFilter) until it is done.
        self.exporting = busy
        if busy:
            self.window.pause_idle_lock()
        else:
            self.window.resume_idle_lock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.window.as_widget()
            and event.type() == QEvent.Type.Close
            and self.exporting
        ):
            event.ignore()
            self.window.statusBar().showMessage(
                "Vent til innsendingsfilen er ferdig før du avslutter.", 8000
            )
            return True
        return False

    @Slot()
    def open_submissions(self) -> SubmissionsDialog | None:
        if not self.window.context.is_open:
            return None
        from jsdesk.ui.submissions_view import SubmissionsDialog

        dialog = SubmissionsDialog(self.window.context, self.window.as_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.submissions_dialog = dialog
        dialog.destroyed.connect(lambda _obj=None: self._forget_submissions(dialog))
        dialog.show()
        dialog.activateWindow()
        return dialog

    def _forget_submissions(self, dialog: SubmissionsDialog) -> None:
        if self.submissions_dialog is dialog:
            self.submissions_dialog = None


def window_action(window: MainWindowHost, name: str, text: str, keys: str) -> QAction:
    """A window-wide action with its shortcut shown in the tooltip (also for report_actions)."""
    action = QAction(text, window.as_widget())
    action.setObjectName(name)
    action.setShortcut(QKeySequence(keys))
    action.setToolTip(f"{text.replace('&', '')} ({QKeySequence(keys).toString()})")
    window.addAction(action)
    return action


def install(window: MainWindowHost) -> SubmissionActions:
    return SubmissionActions(window)
