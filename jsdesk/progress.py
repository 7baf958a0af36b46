"""How slow work tells how far it has come: ``progress(phase, done, total)``; and
``collection_paused()``, which slow work that builds many objects runs in.

``phase`` is a Bokmål text for direct display; ``done`` of ``total`` steps are done.
Work run off the UI thread gets its callback from ``jsdesk.ui.background``; a caller
that does not want to know passes none, and the work reports to ``no_progress``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """A ``Progress`` that shows nothing."""
    return None


class _Collector:
    """How many blocks of slow work run, and whether automatic garbage collection was on
    before the first."""

    lock = threading.Lock()
    jobs = 0
    was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic (cyclic) garbage collection while this block, or another one in any
    thread, runs: work that builds 100,000 rows would otherwise make the collector walk
    every object of the program again and again (a third of the results' time at
    100,000 participations) and, off the UI thread, hold the GIL 200-300 ms at a time.
    What the block makes is freed by reference counting as before; only cycles wait."""
    with _Collector.lock:
        if _Collector.jobs == 0:
            _Collector.was_enabled = gc.isenabled()
            gc.disable()
        _Collector.jobs += 1
    try:
        yield
    finally:
        with _Collector.lock:
            _Collector.jobs -= 1
            if _Collector.jobs == 0 and _Collector.was_enabled:
                gc.enable()
