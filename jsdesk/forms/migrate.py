"""Moving records to a new form version: a dry-run report first, then one transaction.

Every record is validated with the form version it was entered in
(``form_by_version``) and with the target version. The report says, per record:
which values the move removes (variables the new version no longer has), which
values no longer fit (new errors other than missing answers: codes that left the
list, periods that ended, new checks), and whether a record that was complete
becomes incomplete. ``apply_migration`` then moves every record of the plan in
one transaction, with audit events, and refuses when a record changed after the
dry run was made.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jsdesk.domain.fnr import mask
from jsdesk.errors import UserError
from jsdesk.forms.model import FormDefinition, VarType
from jsdesk.rules import Finding, FindingCode, evaluate

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
    db: Database, target: FormDefinition, *, today: dt.date | None = None
) -> MigrationPlan:
    """The dry run: what moving every record to ``target`` would do. Writes nothing."""
    from jsdesk.rules import form_by_version

    allow_synthetic = db.settings.test_installation
    moves: list[RecordMove] = []
    unreadable: list[UnreadableRecord] = []
    already = 0
    forms: dict[str, FormDefinition | str] = {}
    for record in db.iter_participations():
        if record.form_version == target.version:
            already += 1
            continue
        if record.form_version not in forms:
            try:
                forms[record.form_version] = form_by_version(record.form_version)
            except UserError as exc:
                forms[record.form_version] = exc.message
        old = forms[record.form_version]
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
        before = evaluate(old, record.values, allow_synthetic=allow_synthetic, today=today)
        after = evaluate(target, values, allow_synthetic=allow_synthetic, today=today)
        known = {(f.variable, f.index, f.code) for f in before.errors}
        new_errors = tuple(f for f in after.errors if (f.variable, f.index, f.code) not in known)
        fnr = record.values.get("fodselsnummer")
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


def apply_migration(db: Database, plan: MigrationPlan) -> int:
    """Move every record of ``plan`` in one transaction; returns how many moved.

    Refuses (and changes nothing) when a record was changed or deleted after the
    dry run, or when the target version is not one jsdesk can open records with.
    """
    from jsdesk.rules import form_by_version
    from jsdesk.storage import audit
    from jsdesk.storage.assess import assess
    from jsdesk.storage.models import Participation, utc_now
    from jsdesk.storage.participations import ParticipationsMixin

    version = plan.target.version
    try:
        form_by_version(version)
    except UserError:
        raise UserError(
            f"Skjemaversjon {version} er ikke en av skjemaversjonene denne jsdesk leverer, så "
            "registreringene kan ikke flyttes dit (de kunne ikke åpnes etterpå). "
            "Rapporten over er bare en prøvekjøring. Ingenting er endret.",
            1,
        ) from None
    allow_synthetic = db.settings.test_installation
    now = utc_now()
    with db.write() as session:
        for move in plan.moves:
            row = session.get(Participation, move.participation_id)
            if row is None or row.record_version != move.record_version:
                raise UserError(
                    f"Deltakelse {move.participation_id} er endret eller slettet etter "
                    "prøvekjøringen. Ingenting er flyttet; kjør kommandoen på nytt.",
                    1,
                )
            row.values = dict(move.values)
            row.form_version = version
            row.record_version += 1
            row.changed_at = now
            ParticipationsMixin._apply(
                row, assess(move.values, version, allow_synthetic=allow_synthetic)
            )
            audit.append(
                session,
                at=now,
                action="skjemaversjon endret",
                participation_id=move.participation_id,
                variable="skjemaversjon",
                old=move.from_version,
                new=version,
            )
            for variable, value in move.removed.items():
                audit.append(
                    session,
                    at=now,
                    action="endret",
                    participation_id=move.participation_id,
                    variable=variable,
                    old=value,
                    new=move.values.get(variable),
                )
    return len(plan.moves)


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


def register_migrate(form_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``migrate`` to ``jsdesk form``'s subcommands."""
    parser = form_subparsers.add_parser(
        "migrate",
        help="flytt registreringene til en ny skjemaversjon (prøvekjøring først)",
        description=(
            "Viser hvilke registreringer som endres, hvilke som blir ufullstendige og hvilke "
            "verdier som ikke lenger passer, om alle registreringer flyttes til skjemaet i FIL. "
            "Med --apply flyttes de i én transaksjon, med hendelser i endringsloggen."
        ),
    )
    parser.add_argument("--to", type=Path, required=True, metavar="FIL", help="Ny skjemaversjon.")
    parser.add_argument(
        "--apply", action="store_true", help="Flytt registreringene (uten: bare prøvekjøring)."
    )
    from jsdesk.commands.db import add_db_argument

    add_db_argument(parser)
    parser.set_defaults(func=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from jsdesk.commands.db import open_database
    from jsdesk.forms.diff import load_form_for_user

    target = load_form_for_user(args.to)
    with open_database(args) as db:
        plan = plan_migration(db, target)
        for line in report_lines(plan):
            print(line)
        if not args.apply:
            if plan.moves:
                print("Prøvekjøring: ingenting er endret. Bruk --apply for å flytte.")
            return 0
        moved = apply_migration(db, plan)
        print(f"Flyttet {moved} registreringer til skjemaversjon {target.version}.")
    return 1 if plan.unreadable else 0
