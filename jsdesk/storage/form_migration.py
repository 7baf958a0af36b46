"""Moving records to a new form version: a dry-run report first, then one transaction.

Every record is validated with the form version it was entered in (the shipped
form, or the one the caller passes) and with the target version. The report says,
per record: which values the move removes (variables the new version no longer has),
which values no longer fit (new errors other than missing answers: codes that left the
list, periods that ended, new checks), and whether a record that was complete
becomes incomplete. ``Database.apply_form_migration`` then moves every record of
the plan in one transaction, with audit events, and refuses when a record changed
after the dry run was made. ``jsdesk form migrate`` prints the plan
(:mod:`jsdesk.commands.form`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jsdesk.domain.fnr import mask
from jsdesk.errors import UserError
from jsdesk.forms.model import FormDefinition, Role, VarType
from jsdesk.rules import Finding, FindingCode, FormLookup, evaluate, form_by_version

if TYPE_CHECKING:
    from jsdesk.storage import Database

_MISSING_ANSWER = frozenset({FindingCode.REQUIRED})


@dataclass(frozen=True)
class RecordMove:
    """What moving one record to the target version does."""

    participation_id: int
    masked_fnr: str
    record_version: int
    from_version: str
    values: dict[str, object]  # the values after the move
    removed: dict[str, object]  # variable -> value the move removes
    new_errors: tuple[Finding, ...]  # errors under the target that the old version had not
    was_valid: bool
    valid_after: bool

    @property
    def becomes_incomplete(self) -> bool:
        return self.was_valid and not self.valid_after

    @property
    def no_longer_fit(self) -> tuple[Finding, ...]:
        """New errors about values given (not about answers that are now required)."""
        return tuple(f for f in self.new_errors if f.code not in _MISSING_ANSWER)

    @property
    def newly_required(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.new_errors if f.code in _MISSING_ANSWER)

    @property
    def changes_values(self) -> bool:
        return bool(self.removed)


@dataclass(frozen=True)
class UnreadableRecord:
    participation_id: int
    form_version: str
    reason: str


@dataclass(frozen=True)
class MigrationPlan:
    target: FormDefinition
    moves: tuple[RecordMove, ...]
    already_on_target: int
    unreadable: tuple[UnreadableRecord, ...]

    @property
    def changed(self) -> tuple[RecordMove, ...]:
        return tuple(move for move in self.moves if move.changes_values)

    @property
    def becoming_incomplete(self) -> tuple[RecordMove, ...]:
        return tuple(move for move in self.moves if move.becomes_incomplete)

    @property
    def with_values_not_fitting(self) -> tuple[RecordMove, ...]:
        return tuple(move for move in self.moves if move.no_longer_fit)


def plan_migration(
    db: Database,
    target: FormDefinition,
    *,
    today: dt.date | None = None,
    forms: FormLookup = form_by_version,
) -> MigrationPlan:
    """The dry run: what moving every record to ``target`` would do. Writes nothing.

    Each record is read with the form ``forms`` gives for its version (by default the
    shipped forms)."""
    rules_context = db.settings.rules_context()
    moves: list[RecordMove] = []
    unreadable: list[UnreadableRecord] = []
    already = 0
    record_forms: dict[str, FormDefinition | str] = {}
    for record in db.iter_participations():
        if record.form_version == target.version:
            already += 1
            continue
        if record.form_version not in record_forms:
            try:
                record_forms[record.form_version] = forms(record.form_version)
            except UserError as exc:
                record_forms[record.form_version] = exc.message
        old = record_forms[record.form_version]
        if isinstance(old, str):
            unreadable.append(
                UnreadableRecord(
                    record.id,
                    record.form_version,
                    f"skjemaversjon {record.form_version} finnes ikke i denne jsdesk",
                )
            )
            continue
        values, removed = _fit_values(record.values, target)
        before = evaluate(old, record.values, **rules_context, today=today)
        after = evaluate(target, values, **rules_context, today=today)
        known = {(f.variable, f.index, f.code) for f in before.errors}
        new_errors = tuple(f for f in after.errors if (f.variable, f.index, f.code) not in known)
        fnr = record.values.get(old.role_name(Role.IDENTITY))
        moves.append(
            RecordMove(
                participation_id=record.id,
                masked_fnr=mask(fnr) if isinstance(fnr, str) else "*" * 11,
                record_version=record.record_version,
                from_version=record.form_version,
                values=values,
                removed=removed,
                new_errors=new_errors,
                was_valid=before.valid,
                valid_after=after.valid,
            )
        )
    return MigrationPlan(target, tuple(moves), already, tuple(unreadable))


def _fit_values(
    values: Mapping[str, object], target: FormDefinition
) -> tuple[dict[str, object], dict[str, object]]:
    """Values without the variables (and group fields) the target form does not have."""
    kept: dict[str, object] = {}
    removed: dict[str, object] = {}
    for name, value in values.items():
        if not target.has_variable(name) or target.variable(name).group is not None:
            removed[name] = value
            continue
        variable = target.variable(name)
        if variable.type is VarType.GROUP and isinstance(value, list):
            fields = {field.name for field in variable.fields}
            entries: list[object] = []
            dropped_fields: set[str] = set()
            for entry in value:
                if isinstance(entry, dict):
                    dropped_fields.update(key for key in entry if key not in fields)
                    entries.append({k: v for k, v in entry.items() if k in fields})
                else:
                    entries.append(entry)
            if dropped_fields:
                removed[name] = value
            kept[name] = entries
            continue
        kept[name] = value
    return kept, removed


def report_lines(plan: MigrationPlan) -> list[str]:
    """The dry-run report in Bokmål, one line per fact."""
    target = plan.target.version
    lines = [
        f"Flytting til skjemaversjon {target}: {len(plan.moves)} registreringer flyttes, "
        f"{plan.already_on_target} er allerede på {target}.",
    ]
    for item in plan.unreadable:
        lines.append(f"  Kan ikke flyttes: deltakelse {item.participation_id} ({item.reason}).")
    if not plan.moves:
        return lines
    lines.append(
        f"Verdier fjernes i: {len(plan.changed)}; "
        f"blir ufullstendige: {len(plan.becoming_incomplete)}; "
        f"med verdier som ikke lenger passer: {len(plan.with_values_not_fitting)}."
    )
    for move in plan.moves:
        facts = []
        if move.removed:
            facts.append("verdier fjernes: " + ", ".join(sorted(move.removed)))
        if move.becomes_incomplete:
            facts.append("blir ufullstendig")
        if not facts and not move.new_errors:
            continue
        head = (
            f"  Deltakelse {move.participation_id} ({move.masked_fnr}, fra {move.from_version}): "
            + ("; ".join(facts) if facts else "nye feil")
        )
        lines.append(head)
        for finding in move.no_longer_fit:
            where = finding.variable + (f"[{finding.index}]" if finding.index is not None else "")
            lines.append(f"    passer ikke lenger: {where}: {finding.message}")
        for finding in move.newly_required:
            lines.append(f"    mangler nå: {finding.variable}: {finding.message}")
    return lines
