"""The Qt user interface. The only package that imports PySide6.

``run_gui`` is the entry point; the rest of the package is imported on demand so
that ``jsdesk`` commands that do not open a window pay nothing for Qt.
"""

from __future__ import annotations


def run_gui(argv: list[str]) -> int:
    """Start the GUI with ``sys.argv``-style arguments; returns the exit code.

    Options: ``--db PATH``, ``--form FILE --sandbox`` (pilot mode). With
    ``JSDESK_PASSPHRASE`` set and an initialised database the overview opens
    directly. An existing ``QApplication`` is reused.
    """
    check_display()
    from jsdesk.ui.app import run

    return run(argv)


def check_display() -> None:
    """On Linux without X11 or Wayland, say so in one line instead of Qt's abort."""
    import os
    import sys

    from jsdesk.errors import ExitCode, UserError

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise UserError(
        "jsdesk finner ingen skjerm (verken DISPLAY eller WAYLAND_DISPLAY er satt). Start "
        "jsdesk fra et skrivebord, eller bruk kommandolinjen (jsdesk --help).",
        ExitCode.NO_DISPLAY,
    )
