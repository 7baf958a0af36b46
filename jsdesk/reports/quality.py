"""Data quality ("Mangler og feil"): every open problem in every participation.

The list holds every open problem the rule engine stored with a record
(``findings``), with the form's own labels and part titles: every error and every
warning not accepted with a reason, but no warning on register data. Which findings
are open is asked of ``storage.types.open_problems``, as the record's status is, so
a record not yet submitted is komplett exactly when it has no line here.

Above it: how many participations miss or have wrong each variable. Beside it:
the register's completeness per variable for a period (share answered, share
«Ukjent»), where "expected" is what the rule engine required: answered plus
reported missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from jsdesk.domain.period import Period
from jsdesk.forms import FormDefinition, Stage, Variable
from jsdesk.progress import Progress, collection_paused, no_progress
from jsdesk.rules import FormLookup, form_by_version
from jsdesk.rules.findings import FindingCode, Severity
from jsdesk.storage.assess import MISSING_MARK, UNKNOWN_MARK
from jsdesk.storage.types import open_problems

if TYPE_CHECKING:
    from jsdesk.storage import Database
    from jsdesk.storage.reporting import FindingsRow
    from jsdesk.storage.types import WarningKey

SEVERITY_TEXT = {Severity.ERROR: "Feil", Severity.WARNING: "Advarsel"}
STAGE_PLURAL = {Stage.AKTIV: "aktive", Stage.AVSLUTTET: "avsluttede"}


@dataclass(frozen=True)
class QualityItem:
    """One open problem: where it is and the form's own words for it."""

    participation_id: int
    masked_fnr: str
    fnr: str | None
    oppstartsdato: date | None
    stage: str
    status: str
    part: int
    part_title: str
    variable: str
    label: str
    index: int | None
    severity: Severity
    code: str
    message: str

    @property
    def severity_text(self) -> str:
        return SEVERITY_TEXT[self.severity]


@dataclass(frozen=True)
class VariableCount:
    """ "Fravær mangler i 12 avsluttede deltakelser": one line above the list."""

    variable: str
    label: str
    count: int
    text: str


@dataclass(frozen=True)
class QualityList:
    items: tuple[QualityItem, ...]
    counts: tuple[VariableCount, ...]


@dataclass(frozen=True)
class Completeness:
    variable: str
    label: str
    part: int
    expected: int  # answered + reported missing by the rules
    answered: int
    unknown: int

    @property
    def answered_share(self) -> float | None:
        return 100.0 * self.answered / self.expected if self.expected else None

    @property
    def unknown_share(self) -> float | None:
        return 100.0 * self.unknown / self.expected if self.expected else None


def quality_list(
    db: Database, *, progress: Progress | None = None, forms: FormLookup = form_by_version
) -> QualityList:
    """Every error and unaccepted warning in every participation, in id order, in the
    words of the form ``forms`` gives for each record's version (by default the shipped
    forms)."""
    report = progress or no_progress
    report("Henter deltakelser med feil", 0, 2)
    with collection_paused():
        rows = db.findings_rows()
        accepted = db.accepted_warning_keys()
        report("Setter opp listen", 1, 2)
        items = list(_items(rows, accepted, forms))
        counts = variable_counts(items)
    report("Ferdig", 2, 2)
    return QualityList(tuple(items), counts)


def _items(
    rows: Sequence[FindingsRow], accepted: Mapping[int, set[WarningKey]], forms: FormLookup
) -> list[QualityItem]:
    items: list[QualityItem] = []
    append = items.append
    known: dict[str, dict[str, Place]] = {}
    severities = {str(s): s for s in Severity}
    none_accepted: set[WarningKey] = set()
    for row in rows:
        places = known.get(row.form_version)
        if places is None:
            places = known[row.form_version] = _places(forms(row.form_version))
        # The record's status asks the same function: the list and the status agree.
        for finding in open_problems(row.findings, accepted.get(row.id, none_accepted)):
            severity = severities[str(finding.get("severity"))]
            name = str(finding.get("variable"))
            index = finding.get("index")
            index = index if isinstance(index, int) else None
            code = str(finding.get("code"))
            part, part_title, label = places.get(name) or (0, "", name)
            append(
                QualityItem(
                    participation_id=row.id,
                    masked_fnr=row.masked_fnr,
                    fnr=row.fnr,
                    oppstartsdato=row.oppstartsdato,
                    stage=row.stage,
                    status=row.status,
                    part=part,
                    part_title=part_title,
                    variable=name,
                    label=label,
                    index=index,
                    severity=severity,
                    code=code,
                    message=str(finding.get("message", "")),
                )
            )
    return items


# Where a variable is shown: (part number, part title, the form's label).
Place = tuple[int, str, str]


def _places(form: FormDefinition) -> dict[str, Place]:
    """Every variable of ``form`` (group fields included) with its part and label."""
    return {
        v.name: (v.part, form.part(v.part).title if v.part else "", v.label)
        for v in form.all_variables()
    }


def variable_counts(items: Sequence[QualityItem]) -> tuple[VariableCount, ...]:
    """Participations per variable and kind of problem, the most frequent first."""
    seen: set[tuple[str, str, str, int]] = set()
    tally: Counter[tuple[str, str, str]] = Counter()
    labels: dict[str, str] = {}
    for item in items:
        missing = item.code == FindingCode.REQUIRED
        kind = f"missing:{item.stage}" if missing else str(item.severity)
        key = (item.variable, kind, item.label, item.participation_id)
        if key in seen:
            continue
        seen.add(key)
        tally[(item.variable, kind, item.label)] += 1
        labels[item.variable] = item.label
    result = []
    for (variable, kind, label), count in tally.most_common():
        noun = "deltakelse" if count == 1 else "deltakelser"
        if kind.startswith("missing:"):
            stage = kind.split(":", 1)[1]
            adjective = STAGE_PLURAL.get(Stage(stage), stage) if count != 1 else _singular(stage)
            text = f"«{short_label(label)}» mangler i {count} {adjective} {noun}"
        elif kind == Severity.ERROR:
            text = f"«{short_label(label)}»: feil i {count} {noun}"
        else:
            text = f"«{short_label(label)}»: advarsel i {count} {noun}"
        result.append(VariableCount(variable, label, count, text))
    return tuple(result)


def _singular(stage: str) -> str:
    return {Stage.AKTIV: "aktiv", Stage.AVSLUTTET: "avsluttet"}.get(Stage(stage), stage)


def short_label(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def completeness(
    db: Database,
    form: FormDefinition,
    period: Period,
    *,
    bydel: str | None = None,
    progress: Progress | None = None,
) -> tuple[int, tuple[Completeness, ...]]:
    """Participations active in the period, and per input variable what was answered.

    Each record's answered, «Ukjent» and missing variables were stored when it was saved
    (``field_states``, from the rules' assessment and the record's form); this counts them.
    """
    report = progress or no_progress
    report("Teller svar", 0, 1)
    total, counts = db.field_state_counts(first=period.start, last=period.end, bydel=bydel)
    report("Ferdig", 1, 1)
    return total, tuple(_completeness(v, counts) for v in form.variables if v.is_input)


def _completeness(variable: Variable, counts: Mapping[str, int]) -> Completeness:
    answered = counts.get(variable.name, 0)
    return Completeness(
        variable=variable.name,
        label=variable.label,
        part=variable.part,
        expected=answered + counts.get(MISSING_MARK + variable.name, 0),
        answered=answered,
        unknown=counts.get(UNKNOWN_MARK + variable.name, 0),
    )
