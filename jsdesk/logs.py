"""Logging set-up that never writes personal data.

Every record passes through ``RedactingFilter``, which masks anything that looks
like a fødselsnummer (11 digits) or a date of birth pattern, so that a careless
log call cannot leak an identity number into the log file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from platformdirs import user_log_dir

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{6}[ .-]?\d{5}(?!\d)")


def redact(text: str) -> str:
    """Mask every 11-digit sequence (with or without a separator after the date part)."""
    return _ELEVEN_DIGITS.sub("***********", text)


class RedactingFilter(logging.Filter):
    """Masks identity numbers in the final message and in exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            exc.args = tuple(redact(str(arg)) for arg in exc.args)
        return True


def log_dir() -> Path:
    return Path(user_log_dir("jsdesk", appauthor=False))


def setup_logging(directory: Path | None = None, level: int = logging.INFO) -> Path:
    """Log to ``jsdesk.log`` in the user's log folder; returns the file path."""
    target = directory if directory is not None else log_dir()
    target.mkdir(parents=True, exist_ok=True)
    path = target / "jsdesk.log"
    root = logging.getLogger("jsdesk")
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    return path
