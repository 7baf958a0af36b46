"""What the overview's dialogs and actions may ask of the main window.

``import_dialog``, ``submission_actions``, ``report_actions`` and ``update_actions``
add actions to the main window and react to their work through this protocol
(``MainWindow`` implements it), instead of importing ``main_window`` or probing the
window with ``hasattr``/``findChild``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenuBar, QStatusBar, QToolBar, QWidget

    from jsdesk.ui.context import AppContext
    from jsdesk.ui.participations_model import ParticipationsModel
    from jsdesk.ui.wizard import ParticipationWizard


class MainWindowHost(Protocol):
    """The main window as its dialogs see it."""

    @property
    def context(self) -> AppContext: ...

    @property
    def toolbar(self) -> QToolBar | None: ...

    @property
    def model(self) -> ParticipationsModel:
        """The overview's list of participations (what the list export writes)."""
        ...

    def as_widget(self) -> QWidget: ...

    def menuBar(self) -> QMenuBar: ...

    def statusBar(self) -> QStatusBar: ...

    def addAction(self, action: QAction) -> None: ...

    def pause_idle_lock(self) -> None:
        """Long work uses the open database: no idle lock until ``resume_idle_lock``."""
        ...

    def resume_idle_lock(self) -> None: ...

    def refresh(self) -> None:
        """Read the overview's page again."""
        ...

    def reload_wizards(self, participation_ids: frozenset[int]) -> None:
        """Open wizards of these participations read their record again."""
        ...

    def open_participation(self, participation_id: int | None) -> ParticipationWizard | None:
        """Open the wizard on a participation (None: a new one); None when locked."""
        ...
