"""Logging and crash reports that never carry personal data.

``install`` is called by ``main()`` for the GUI and for every command: a rotating
log file in the user's log folder, ``faulthandler`` writing to a crash file beside
it, and ``sys.excepthook`` / ``threading.excepthook`` that log an unexpected error
and tell the user where the details are. Every handler carries ``ScrubbingFilter``:
identity numbers (11 digits, with or without a separator) and the values Python
quotes in messages (``'Kari Nordmann'``, the usual way user input reaches an
exception text) are masked before anything is written. Tracebacks are rendered
without local variables.

This module does not import Qt: the GUI registers its crash dialog with
``set_reporter`` and routes Qt's messages here (``jsdesk.ui.app``).
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TextIO

from platformdirs import user_log_dir

LOG_FILE = "jsdesk.log"
CRASH_FILE = "krasj.log"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 4

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{6}[ .-]?\d{5}(?!\d)")
# A quoted value in a message: Python's repr ('…' or "…") and Norwegian quotes («…»).
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|«[^»\n]*»")
MASK = "***********"
QUOTED_MASK = "'…'"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def redact(text: str) -> str:
    """Mask every 11-digit sequence (with or without a separator after the date part)."""
    return _ELEVEN_DIGITS.sub(MASK, text)


def scrub(text: str) -> str:
    """``redact`` plus every quoted value masked (names and other free text)."""
    return _QUOTED.sub(QUOTED_MASK, redact(text))


def scrub_traceback(text: str) -> str:
    """``scrub`` for the messages; frame and source lines (indented) keep their quoted file
    names and only have identity numbers masked."""
    return "\n".join(
        redact(line) if line.startswith("  ") else scrub(line) for line in text.split("\n")
    )


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` (with its causes), scrubbed; no local variables."""
    lines = traceback.TracebackException.from_exception(exc, capture_locals=False).format()
    return scrub_traceback("".join(lines)).rstrip("\n")


class ScrubbingFilter(logging.Filter):
    """Renders message and traceback once, scrubbed, so no handler sees the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub_traceback(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_traceback(record.stack_info)
        return True


_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"


def log_dir() -> Path:
    """``JSDESK_LOG_DIR``, or the user's log folder (``~/.local/state/jsdesk/log``,
    ``%LOCALAPPDATA%\\jsdesk\\Logs``)."""
    chosen = os.environ.get("JSDESK_LOG_DIR")
    return Path(chosen) if chosen else Path(user_log_dir("jsdesk", appauthor=False))


@dataclass(frozen=True)
class CrashReport:
    """What the user is told about an unexpected error."""

    kind: str  # the exception's class name: says what failed, carries no values
    details: str  # scrubbed traceback, for "Kopier detaljer"
    log_path: Path | None

    def one_line(self) -> str:
        where = (
            f"Detaljer uten personopplysninger står i loggfilen {self.log_path}."
            if self.log_path is not None
            else "Loggfilen kunne ikke skrives."
        )
        return (
            f"Feil: Det oppstod en uventet feil i jsdesk ({self.kind}). Det du har lagret, "
            f"er i behold. {where}"
        )


def print_report(report: CrashReport) -> None:
    """The command line's report: one line on stderr (when there is a stderr)."""
    if sys.stderr is not None:
        print(report.one_line(), file=sys.stderr)


Reporter = Callable[[CrashReport], None]


@dataclass
class LogSetup:
    """What ``install`` changed, so that ``close`` can put it back (tests, embedding)."""

    log_path: Path | None
    crash_path: Path | None
    handler: logging.Handler | None
    reporter: Reporter = print_report
    _crash_file: IO[str] | None = None
    _saved_excepthook: Callable[..., object] = field(default=sys.excepthook)
    _saved_threading_hook: Callable[..., object] = field(default=threading.excepthook)
    _saved_levels: tuple[int, int] = (logging.WARNING, logging.NOTSET)
    _filtered: list[tuple[logging.Handler, logging.Filter]] = field(default_factory=list)
    _faulthandler_was_enabled: bool = False

    def report(self, exc: BaseException) -> CrashReport:
        """Log ``exc`` (scrubbed) and tell the user through the current reporter."""
        logging.getLogger("jsdesk").critical("Uventet feil", exc_info=exc)
        report = CrashReport(type(exc).__name__, format_exception(exc), self.log_path)
        try:
            self.reporter(report)
        except Exception:  # the dialog itself failed: fall back to one line
            logging.getLogger("jsdesk").exception("Feilmeldingen kunne ikke vises")
            print_report(report)
        return report

    def close(self) -> None:
        root = logging.getLogger()
        if self.handler is not None:
            root.removeHandler(self.handler)
            self.handler.close()
        for handler, added in self._filtered:
            handler.removeFilter(added)
        root.setLevel(self._saved_levels[0])
        logging.getLogger("jsdesk").setLevel(self._saved_levels[1])
        logging.captureWarnings(False)
        sys.excepthook = self._saved_excepthook
        threading.excepthook = self._saved_threading_hook
        if self._crash_file is not None:
            faulthandler.disable()
            self._crash_file.close()
            if self._faulthandler_was_enabled and sys.__stderr__ is not None:
                faulthandler.enable(file=sys.__stderr__)
        global _active
        if _active is self:
            _active = None


_active: LogSetup | None = None


def active() -> LogSetup | None:
    """The set-up ``install`` made in this process, if any."""
    return _active


def set_reporter(reporter: Reporter) -> None:
    """Let the GUI show its crash dialog instead of the command line's one line."""
    if _active is not None:
        _active.reporter = reporter


def _file_handler(path: Path) -> logging.Handler:
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    return handler


def install(directory: Path | None = None, level: int = logging.INFO) -> LogSetup:
    """Set up logging, crash files and exception hooks for this process."""
    global _active
    if _active is not None:
        _active.close()
    target = directory if directory is not None else log_dir()
    root = logging.getLogger()
    app_logger = logging.getLogger("jsdesk")
    saved_levels = (root.level, app_logger.level)
    handler: logging.Handler | None
    log_path: Path | None = target / LOG_FILE
    crash_path: Path | None = target / CRASH_FILE
    crash_file: TextIO | None = None
    try:
        target.mkdir(parents=True, exist_ok=True)
        handler = _file_handler(target / LOG_FILE)
        crash_file = (target / CRASH_FILE).open("a", encoding="utf-8")
    except OSError:
        # An unwritable log folder must not stop the program: log nowhere.
        handler, log_path, crash_path = logging.NullHandler(), None, None
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # other libraries: warnings and errors only
    app_logger.setLevel(level)
    filtered: list[tuple[logging.Handler, logging.Filter]] = []
    for each in root.handlers:  # every handler, also those added before us
        if not any(isinstance(f, ScrubbingFilter) for f in each.filters):
            added = ScrubbingFilter()
            each.addFilter(added)
            filtered.append((each, added))
    logging.captureWarnings(True)
    faulthandler_was_enabled = faulthandler.is_enabled()
    if crash_file is not None:
        # Only file names, line numbers and function names: no values.
        faulthandler.enable(file=crash_file, all_threads=True)
    setup = LogSetup(
        log_path=log_path,
        crash_path=crash_path,
        handler=handler,
        _crash_file=crash_file,
        _saved_excepthook=sys.excepthook,
        _saved_threading_hook=threading.excepthook,
        _saved_levels=saved_levels,
        _filtered=filtered,
        _faulthandler_was_enabled=faulthandler_was_enabled,
    )
    sys.excepthook = _excepthook
    threading.excepthook = _threading_excepthook
    _active = setup
    return setup


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if _active is None or not isinstance(exc, Exception):
        sys.__excepthook__(exc_type, exc, tb)
        return
    _active.report(exc.with_traceback(tb))


def _threading_excepthook(args: threading.ExceptHookArgs) -> None:
    # Not the main thread: no dialog from here; the log has it, scrubbed.
    if args.exc_value is not None:
        logging.getLogger("jsdesk").critical(
            "Uventet feil i tråden %s",
            args.thread.name if args.thread else "?",
            exc_info=args.exc_value,
        )


def setup_logging(directory: Path | None = None, level: int = logging.INFO) -> Path:
    """Log to ``jsdesk.log`` in ``directory`` (the self-test's own folder); returns the path."""
    target = directory if directory is not None else log_dir()
    target.mkdir(parents=True, exist_ok=True)
    path = target / LOG_FILE
    app_logger = logging.getLogger("jsdesk")
    if not any(isinstance(h, logging.FileHandler) for h in app_logger.handlers):
        handler = _file_handler(path)
        handler.addFilter(ScrubbingFilter())
        app_logger.addHandler(handler)
    app_logger.setLevel(level)
    return path
