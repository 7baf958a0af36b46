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
    from jsdesk.ui.app import run

    return run(argv)
