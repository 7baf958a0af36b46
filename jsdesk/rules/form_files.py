"""Form files with their rules compiled, and the forms shipped with jsdesk by version.

``load_form`` reads a form file (structure: :mod:`jsdesk.forms.loader`; the
``rules:`` section: :mod:`jsdesk.rules.rule_parsing`) and precompiles it for the
engine. ``check_form_file`` returns every problem for ``jsdesk form check``;
``load_form`` raises ``FormLoadError`` holding them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from jsdesk.errors import UserError
from jsdesk.forms.loader import read_form_file
from jsdesk.forms.model import FormDefinition, FormLoadError, FormProblem
from jsdesk.installed import installed_form_paths
from jsdesk.paths import forms_dir
from jsdesk.rules.engine import prepare
from jsdesk.rules.rule_parsing import parse_rules

log = logging.getLogger("jsdesk.forms")


def check_form_file(path: Path) -> list[FormProblem]:
    """Every problem in the form file at ``path`` (empty when it is sound)."""
    _form, problems = read_form_file(path, parse_rules)
    return problems


def load_form(path: Path) -> FormDefinition:
    """The form in ``path``, precompiled; FormLoadError lists every problem found."""
    form, problems = read_form_file(path, parse_rules)
    if problems or form is None:
        raise FormLoadError(problems)
    prepare(form)
    return form


def shipped_form_paths() -> list[Path]:
    """The form files shipped with jsdesk (``forms/*.yaml``), sorted by name."""
    folder = forms_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.yaml"))


@functools.cache
def _shipped_forms() -> tuple[FormDefinition, ...]:
    """The shipped forms and those of installed update packages in effect today."""
    forms: list[FormDefinition] = []
    shipped = shipped_form_paths()
    for path in installed_form_paths():
        try:
            form = load_form(path)
        except FormLoadError as exc:  # checked when installed; the shipped forms remain
            log.warning("Installert skjema %s brukes ikke: %s", path, exc)
            continue
        forms.append(form)
    for path in shipped:
        try:
            forms.append(load_form(path))
        except FormLoadError as exc:
            raise UserError(
                "Et skjema som følger med jsdesk er ødelagt. Installer jsdesk på nytt.\n"
                + "\n".join(str(p) for p in exc.problems)
            ) from exc
    if not forms:
        raise UserError(f"Fant ingen skjemadefinisjoner i {forms_dir()}. Installer jsdesk på nytt.")
    return tuple(forms)


def forget_cached_forms() -> None:
    """Load the forms again on next use (an update package with a form was installed)."""
    _shipped_forms.cache_clear()


def default_form() -> FormDefinition:
    """The shipped form in force today (the newest one that has taken effect)."""
    forms = _shipped_forms()
    today = date.today()
    current = [f for f in forms if f.valid_from <= today] or list(forms)
    return max(current, key=lambda f: f.valid_from)


FormLookup = Callable[[str], FormDefinition]
"""The forms a caller opens records with: form version -> form, UserError when unknown.

``form_by_version`` knows the shipped forms; the pilot sandbox passes its own lookup
(its draft form first, ``AppContext.form_for_version``) to whatever evaluates records,
so no process-wide state decides which form a record is checked against."""


def form_by_version(version: str) -> FormDefinition:
    """The shipped or installed form with this version; UserError when there is none."""
    for form in reversed(_shipped_forms()):  # a shipped form wins over an installed one
        if form.version == version:
            return form
    raise UserError(f"Skjemaversjon «{version}» finnes ikke i denne utgaven av jsdesk.")
