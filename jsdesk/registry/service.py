"""One call for a whole import, for the command line and the GUI's import action.

``import_extract`` runs the three stages (read, check, plan) and applies the
plan when the user's choices allow it. It never prints and never touches
widgets, so the GUI can run it in a worker thread and show the returned report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from jsdesk.forms import FormDefinition
from jsdesk.registry.apply import ImportOutcome, ImportPlan, Progress, apply_plan, plan_extract
from jsdesk.registry.check import CheckedExtract
from jsdesk.registry.extract import read_extract
from jsdesk.rules import default_form
from jsdesk.storage import Database


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did. ``outcome`` is None when nothing was applied."""

    checked: CheckedExtract
    plan: ImportPlan
    outcome: ImportOutcome | None

    @property
    def bad_row_count(self) -> int:
        return self.checked.bad_row_count

    @property
    def complete(self) -> bool:
        """Everything in the file was applied (or already equal)."""
        return (
            self.outcome is not None and not self.bad_row_count and self.outcome.changes_left == 0
        )


def import_extract(
    db: Database,
    path: Path,
    *,
    apply_good_rows: bool = False,
    accept_changes: bool = False,
    form: FormDefinition | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and (when allowed) apply the extract at ``path``.

    Nothing is applied when a row has a problem, unless ``apply_good_rows``.
    Changes to stored values are applied only with ``accept_changes``.
    Raises ``ExtractFileError`` when the file cannot be read as an extract.
    The file is streamed (``plan_extract``); ``progress`` is told how far it got.
    """
    day = today or dt.date.today()
    form = form or default_form()
    extract = read_extract(path)
    plan = plan_extract(
        db,
        extract,
        form,
        allow_synthetic=db.settings.test_installation,
        today=day,
        progress=progress,
    )
    checked = plan.checked
    if checked.problems and not apply_good_rows:
        return ImportReport(checked, plan, None)
    outcome = apply_plan(
        db, plan, accept_changes=accept_changes, source_name=path.name, today=day, form=form
    )
    return ImportReport(checked, plan, outcome)
