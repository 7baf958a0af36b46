"""A dialog that does not close while its background job runs.

Esc, «Lukk» and the window's close button all come here: while the job runs the dialog
stays open and says why (a worker whose dialog is gone would report to nobody, and the
file it writes would be left half made).
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog


class BusyGuardedDialog(QDialog):
    """Subclasses say when they are busy (``busy_message``) and how to say so."""

    def busy_message(self) -> str | None:
        """Why the dialog cannot close now, or None when it can."""
        return None

    def show_busy_message(self, message: str) -> None:
        """Show ``message`` in the dialog (its status line)."""
        raise NotImplementedError

    def _closing_refused(self) -> bool:
        message = self.busy_message()
        if message is None:
            return False
        self.show_busy_message(message)
        return True

    def reject(self) -> None:
        if not self._closing_refused():
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_refused():
            event.ignore()
            return
        super().closeEvent(event)
