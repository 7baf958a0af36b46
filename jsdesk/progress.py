"""How slow work tells how far it has come: ``progress(phase, done, total)``.

``phase`` is a Bokmål text for direct display; ``done`` of ``total`` steps are done.
Work run off the UI thread gets its callback from ``jsdesk.ui.background``; a caller
that does not want to know passes none, and the work reports to ``no_progress``.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """A ``Progress`` that shows nothing."""
    return None
