"""Coverage inside QThread workers: coverage.py traces threads started by ``threading``
only, so a ``QThread.run`` body is not measured unless its thread installs the tracer.

``install()`` (called by conftest when coverage is running) wraps ``run`` of every
QThread subclass the first time one of its objects is started, so that the worker
thread first hands itself to coverage's thread hook. Nothing changes without coverage.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

_WRAPPED = "_jsdesk_coverage_wrapped"


def coverage_running() -> bool:
    try:
        import coverage
    except ImportError:
        return False
    return coverage.Coverage.current() is not None


def install() -> bool:
    """Measure QThread workers from now on; False (and nothing done) without coverage."""
    if not coverage_running():
        return False
    from PySide6.QtCore import QThread

    original_start = QThread.start
    if getattr(original_start, _WRAPPED, False):
        return True

    @functools.wraps(original_start)
    def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        _wrap_run(type(self))
        return original_start(self, *args, **kwargs)

    setattr(start, _WRAPPED, True)
    QThread.start = start  # type: ignore[method-assign]
    return True


def _wrap_run(cls: type) -> None:
    run: Callable[..., Any] = cls.run  # type: ignore[attr-defined]
    if getattr(run, _WRAPPED, False):
        return

    @functools.wraps(run)
    def traced_run(self: Any) -> Any:
        hook = threading._trace_hook  # type: ignore[attr-defined]  # set by coverage
        if hook is not None:
            sys.settrace(hook)
        return run(self)

    setattr(traced_run, _WRAPPED, True)
    cls.run = traced_run  # type: ignore[attr-defined]
