"""Window sizes that fit the screen, remembered between runs, and the last folders used.

Every window and dialog is sized from its screen's *available* geometry (the screen
minus the taskbar): a 1366×768 laptop with a taskbar has 1366×728 for windows, so a
preferred size is shrunk to fit and the content scrolls instead. Size and position are
kept in ``QSettings`` (organisation and application "jsdesk") under ``vinduer/<name>``
and restored only when they still fit the screen the window opens on. The last folder
chosen for each purpose (``mapper/<purpose>``) is kept the same way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

ORGANISATION = "jsdesk"
APPLICATION = "jsdesk"
# Room for the window frame the window manager adds around the client area.
FRAME_MARGIN = QSize(16, 40)


def settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


def screen_of(widget: QWidget) -> QScreen | None:
    parent = widget.parentWidget()
    screen = (parent.window().screen() if parent is not None else None) or widget.screen()
    return screen or QGuiApplication.primaryScreen()


def available_geometry(widget: QWidget) -> QRect:
    screen = screen_of(widget)
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 728)


def fit_size(preferred: QSize, available: QRect) -> QSize:
    """``preferred`` shrunk so that the window with its frame fits ``available``."""
    return QSize(
        min(preferred.width(), available.width() - FRAME_MARGIN.width()),
        min(preferred.height(), available.height() - FRAME_MARGIN.height()),
    )


def place(widget: QWidget, name: str, preferred: QSize) -> None:
    """Restore ``widget``'s remembered geometry when it fits, else size it to fit.

    Call before the first ``show()``. The geometry is kept again whenever the window is
    hidden (closed, or hidden by the idle lock).
    """
    widget.installEventFilter(_Rememberer(widget, name))
    available = available_geometry(widget)
    saved = settings().value(f"vinduer/{name}")
    if isinstance(saved, QByteArray | bytes) and widget.restoreGeometry(QByteArray(saved)):
        frame = widget.frameGeometry()
        if available.contains(frame) or available.contains(widget.geometry()):
            return
    size = fit_size(preferred, available)
    widget.resize(size)
    centre = available.center()
    top_left = QPoint(
        max(available.left(), centre.x() - (size.width() + FRAME_MARGIN.width()) // 2),
        max(available.top(), centre.y() - (size.height() + FRAME_MARGIN.height()) // 2),
    )
    widget.move(top_left)


def remember(widget: QWidget, name: str) -> None:
    settings().setValue(f"vinduer/{name}", widget.saveGeometry())


class _Rememberer(QObject):
    """Keeps a window's geometry under ``vinduer/<name>`` each time it is hidden."""

    def __init__(self, widget: QWidget, name: str) -> None:
        super().__init__(widget)
        self._widget = widget
        self._name = name

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Hide:
            remember(self._widget, self._name)
        return False


def last_folder(purpose: str, default: str = "") -> str:
    """The folder last chosen for ``purpose`` when it still exists, else ``default``."""
    value = settings().value(f"mapper/{purpose}")
    if isinstance(value, str) and value and Path(value).is_dir():
        return value
    return default


def remember_folder(purpose: str, chosen: str | Path) -> None:
    """Keep the folder of ``chosen`` (a folder, or a file in one) for ``purpose``."""
    path = Path(chosen)
    folder = path if path.is_dir() else path.parent
    settings().setValue(f"mapper/{purpose}", str(folder))
