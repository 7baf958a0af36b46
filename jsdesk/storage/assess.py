"""What storage derives from a record's values: stage, validity, completeness.

Delegates to the rule engine (``jsdesk.rules.evaluate``) with the form the
record was entered with (given by the caller), and to ``jsdesk.domain.fnr`` for the identity
columns (person_id, birth date) that make search fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from jsdesk.domain import fnr as fnr_module
from jsdesk.forms import FormDefinition, Role
from jsdesk.rules import Evaluation, FindingCode, evaluate
from jsdesk.rules.values import is_unanswered, parse_iso_date

if TYPE_CHECKING:
    from jsdesk.rules import Finding

log = logging.getLogger("jsdesk.storage")

# ``Participation.field_states``: what the register's completeness figures count, stored
# with each record when it is saved. The names of the form's input variables, separated
# by spaces: every answered one as it is, an answered one that is «Ukjent» once more after
# UNKNOWN_MARK, and one the rules report missing (REQUIRED) after MISSING_MARK.
UNKNOWN_MARK = "?"
MISSING_MARK = "!"


@dataclass(frozen=True)
class Assessment:
    stage: str
    valid: bool
    completeness: dict[int, bool]
    findings: list[dict[str, Any]] = field(default_factory=list)
    fnr: str | None = None
    synthetic: bool = False
    person_id: str | None = None
    birth_date: date | None = None
    fodselsar: int | None = None
    oppstartsdato: date | None = None
    avslutningsdato: date | None = None
    evaluation: Evaluation | None = None  # what the rule engine returned
    field_states: str = ""


def assess(
    values: Mapping[str, object],
    form: FormDefinition,
    *,
    allow_synthetic: bool,
    installation: str | None = None,
    person_key: fnr_module.PersonKey | None = None,
) -> Assessment:
    """Evaluate ``values`` under ``form`` (once); never raises for bad values.

    ``installation`` is the installation's kommunenummer: a participation of another
    municipality is an error (the rule engine asks the municipality domain).

    The stage and fodselsar computed here from the values alone are replaced by
    the rule engine's (it knows the form's part 4 and the FREG-derived year).
    """
    raw_fnr = values.get(form.role_name(Role.IDENTITY))
    fnr_text: str | None = None
    synthetic = False
    person: str | None = None
    birth: date | None = None
    birth_year: int | None = None
    if isinstance(raw_fnr, str) and raw_fnr.strip():
        try:
            fnr_text = fnr_module.normalise(raw_fnr)
        except fnr_module.FnrError:
            fnr_text = raw_fnr.strip()
        else:
            if person_key is not None:
                person = str(fnr_module.person_id(fnr_text, person_key))
            try:
                info = fnr_module.analyse(fnr_text)
            except fnr_module.FnrError:
                pass
            else:
                synthetic, birth, birth_year = info.synthetic, info.birth_date, info.birth_year
    start = parse_iso_date(values.get(form.role_name(Role.START)))
    end_role = form.role_variable(Role.END)
    end = parse_iso_date(values.get(end_role.name)) if end_role is not None else None
    given_year = values.get("fodselsar")
    fodselsar = birth_year if birth_year is not None else given_year
    base = Assessment(
        stage="avsluttet" if end is not None else "aktiv",
        valid=False,
        completeness={},
        fnr=fnr_text,
        synthetic=synthetic,
        person_id=person,
        birth_date=birth,
        fodselsar=fodselsar if isinstance(fodselsar, int) else None,
        oppstartsdato=start,
        avslutningsdato=end,
    )
    evaluation = evaluate(
        form,
        values,
        allow_synthetic=allow_synthetic,
        installation=installation,
        person_key=person_key,
    )
    parts = {part.number: True for part in form.parts}
    for finding in evaluation.errors:
        if form.has_variable(finding.variable):
            parts[form.variable(finding.variable).part] = False
    derived_year = evaluation.derived.get("fodselsar")
    findings = [_stored(f) for f in evaluation.findings]
    return Assessment(
        stage=str(evaluation.stage),
        valid=evaluation.valid,
        completeness=parts,
        findings=findings,
        fnr=fnr_text,
        synthetic=synthetic,
        person_id=person,
        birth_date=birth,
        fodselsar=derived_year if isinstance(derived_year, int) else base.fodselsar,
        oppstartsdato=start,
        avslutningsdato=end,
        evaluation=evaluation,
        field_states=field_states(form, values, findings),
    )


def field_states(
    form: FormDefinition, values: Mapping[str, object], findings: Iterable[Mapping[str, Any]]
) -> str:
    """The record's answered, «Ukjent» and missing input variables (``UNKNOWN_MARK``).

    Answered is what the rule engine counts as given (``is_unanswered``: not missing,
    null, "" or []), «Ukjent» what the form says (``Variable.is_unknown``), missing what
    the rules reported as REQUIRED in ``findings`` (stored findings).
    """
    inputs = [v for v in form.variables if v.is_input]
    names: list[str] = []
    for variable in inputs:
        value = values.get(variable.name)
        if is_unanswered(value):
            continue
        names.append(variable.name)
        if variable.is_unknown(value):
            names.append(UNKNOWN_MARK + variable.name)
    required = {f.get("variable") for f in findings if f.get("code") == FindingCode.REQUIRED}
    names += [MISSING_MARK + v.name for v in inputs if v.name in required]
    return " ".join(names)


def mask(fnr: str | None) -> str:
    if not fnr:
        return ""
    if len(fnr) == 11 and fnr.isascii() and fnr.isdigit():
        return fnr[:6] + "*****"  # as stored: compact already (the overview's hot path)
    return fnr_module.mask(fnr)


def _stored(finding: Finding) -> dict[str, Any]:
    """A finding as stored with the record; a warning on register data (FREG, PAD) is marked
    so that it does not wait for acceptance (``results.open_warnings``)."""
    stored = dict(finding.to_json())
    if finding.register_data:
        stored["register_data"] = True
    return stored
