"""Start-up: options, QApplication, locale, the first window, then the event loop."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from jsdesk.argparse_nb import install_bokmal_argparse
from jsdesk.errors import ExitCode, UserError
from jsdesk.paths import resources_dir
from jsdesk.ui.context import AppContext, Options
from jsdesk.ui.crash_dialog import install_crash_reporting
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.qt_translator import install_qt_translations

APP_ICON = "jsdesk.png"  # the window's icon; the exe and installer use installer/jsdesk.ico


class _Parser(argparse.ArgumentParser):
    """Reports wrong options as a UserError (argparse's texts are Bokmål, see argparse_nb)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"Feil i kommandolinjen: {message}. Se «jsdesk --help».", ExitCode.USAGE)


def parse_options(argv: list[str]) -> Options:
    install_bokmal_argparse()
    parser = _Parser(
        prog=Path(argv[0]).name if argv else "jsdesk",
        description="jsdesk: rapportering til Jobbsjanseregisteret.",
    )
    parser.add_argument(
        "--db",
        metavar="FIL|URL",
        help="databasefilen som skal brukes, eller en felles database postgresql://…",
    )
    parser.add_argument("--form", type=Path, metavar="FIL", help="skjemadefinisjon (pilotmodus)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="pilotmodus: skjemaet fra --form på en midlertidig database",
    )
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv[1:])
    if args.form is not None and not args.sandbox:
        raise UserError(
            "--form brukes bare i pilotmodus: legg til --sandbox "
            "(skjemaet prøves da på en midlertidig database).",
            ExitCode.USAGE,
        )
    # Whether --db names a file or a shared database is storage's to tell (imported
    # only after the first window is shown).
    return Options(
        db=args.db,
        form_path=args.form,
        sandbox=args.sandbox,
        startup_probe=args.startup_probe,
    )


def application(argv: list[str]) -> QApplication:
    """The running QApplication, created with jsdesk's settings if there is none."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    install_crash_reporting()
    app.setApplicationName("jsdesk")
    app.setApplicationDisplayName("jsdesk")
    app.setWindowIcon(QIcon(str(resources_dir() / APP_ICON)))

    install_qt_translations(app)
    return app


def create_main_window(argv: list[str]) -> MainWindow:
    """Build and show the first window; ``start()`` follows from the event loop."""
    options = parse_options(argv)
    application(argv)
    window = MainWindow(AppContext(options))
    window.show()
    QTimer.singleShot(0, window.start)
    return window


def run_gui(argv: list[str]) -> int:
    """Start the GUI with ``sys.argv``-style arguments; returns the exit code.

    Options: ``--db PATH``, ``--form FILE --sandbox`` (pilot mode). With
    ``JSDESK_PASSPHRASE`` set and an initialised database the overview opens
    directly. An existing ``QApplication`` is reused.
    """
    check_display()
    return run(argv)


def check_display() -> None:
    """On Linux without X11 or Wayland, say so in one line instead of Qt's abort."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise UserError(
        "jsdesk finner ingen skjerm (verken DISPLAY eller WAYLAND_DISPLAY er satt). Start "
        "jsdesk fra et skrivebord, eller bruk kommandolinjen (jsdesk --help).",
        ExitCode.NO_DISPLAY,
    )


def run(argv: list[str]) -> int:
    window = create_main_window(argv)
    if window.context.options.startup_probe:
        # benchmarks/startup.py --frozen: the moment the first window is painted.
        window.repaint()
        print(time.time(), flush=True)
        window.close()
        return 0
    app = application(argv)
    code = app.exec()
    window.context.close()
    return window.exit_code or code
