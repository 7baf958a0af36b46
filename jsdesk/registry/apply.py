"""Match checked extract rows to participations and apply them through storage.

Third stage of an import. ``plan_import`` reads the database and works out, per
participation, which values are new, which would change an existing value, and
which rows belong to nobody in the database; it writes nothing. ``apply_plan``
then stores the new values (and the changes, only when the user accepted them)
with their source and import date.

Matching: a row belongs to every participation of the person with that
fødselsnummer (found through ``person_id``, so no number is compared in clear
text outside the row). A test result (PAD) belongs to a participation that was
still running on the test date or started after it: tests taken before the
start count, tests after an ended participation do not.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jsdesk.domain import fnr as fnrmod
from jsdesk.forms import FormDefinition
from jsdesk.registry.check import CheckedExtract, FregValues, GoodRow, PadResult
from jsdesk.registry.extract import ExtractKind
from jsdesk.storage import Database

PROVENANCE_PREFIX = "registerkilde:"
IMPORT_LOG_KEY = "registerimporter"
_PAGE = 1000


@dataclass(frozen=True)
class ValueChange:
    """One value an import would set. ``old is None`` means the field was empty."""

    participation_id: int
    masked_fnr: str
    variable: str
    old: object
    new: object
    line: int

    @property
    def is_change(self) -> bool:
        return self.old is not None


@dataclass(frozen=True)
class UnknownPerson:
    """A row that belongs to no participation; ``reason`` says why, in Bokmål."""

    line: int
    masked_fnr: str
    reason: str


@dataclass(frozen=True)
class ImportPlan:
    checked: CheckedExtract
    new_values: tuple[ValueChange, ...]
    changes: tuple[ValueChange, ...]
    unchanged: int
    unknown: tuple[UnknownPerson, ...]


@dataclass(frozen=True)
class ImportOutcome:
    participations: int
    values_set: int
    changes_applied: int
    changes_left: int


@dataclass
class _Participation:
    id: int
    oppstartsdato: dt.date | None
    avslutningsdato: dt.date | None
    rows: list[GoodRow] = field(default_factory=list)


def plan_import(db: Database, checked: CheckedExtract) -> ImportPlan:
    """Work out what applying the good rows would do; writes nothing."""
    by_person = _participations_by_person(db)
    unknown: list[UnknownPerson] = []
    touched: dict[int, _Participation] = {}
    for row in checked.good:
        candidates = by_person.get(fnrmod.person_id(row.fodselsnummer), [])
        reason = "finnes ikke i databasen"
        if isinstance(row, PadResult) and candidates:
            candidates = [p for p in candidates if _covers(p, row.provedato)]
            reason = "har ingen deltakelse som pågikk på prøvedatoen"
        if not candidates:
            unknown.append(UnknownPerson(row.line, fnrmod.mask(row.fodselsnummer), reason))
            continue
        for participation in candidates:
            participation.rows.append(row)
            touched[participation.id] = participation
    new_values: list[ValueChange] = []
    changes: list[ValueChange] = []
    unchanged = 0
    for pid in sorted(touched):
        stored = db.get_participation(pid).values
        for change in _value_changes(pid, stored, touched[pid].rows):
            if change.old == change.new:
                unchanged += 1
            elif change.is_change:
                changes.append(change)
            else:
                new_values.append(change)
    return ImportPlan(checked, tuple(new_values), tuple(changes), unchanged, tuple(unknown))


def apply_plan(
    db: Database,
    plan: ImportPlan,
    *,
    accept_changes: bool,
    source_name: str,
    today: dt.date | None = None,
) -> ImportOutcome:
    """Store the plan's new values, and its changes when ``accept_changes``."""
    day = today or dt.date.today()
    chosen = list(plan.new_values) + (list(plan.changes) if accept_changes else [])
    per_participation: dict[int, list[ValueChange]] = defaultdict(list)
    for item in chosen:
        per_participation[item.participation_id].append(item)
    source = plan.checked.kind.value
    for pid, items in sorted(per_participation.items()):
        stored = db.get_participation(pid).values
        values = _merged_values(stored, items)
        db.set_values(pid, values)
        _record_provenance(db, pid, values, source=source, file_name=source_name, day=day)
    outcome = ImportOutcome(
        participations=len(per_participation),
        values_set=len(plan.new_values),
        changes_applied=len(plan.changes) if accept_changes else 0,
        changes_left=0 if accept_changes else len(plan.changes),
    )
    _log_import(db, plan, outcome, source_name=source_name, day=day)
    return outcome


# --- matching -----------------------------------------------------------------------------


def _participations_by_person(db: Database) -> dict[uuid.UUID, list[_Participation]]:
    result: dict[uuid.UUID, list[_Participation]] = defaultdict(list)
    total = db.count_participations()
    for offset in range(0, total, _PAGE):
        page = db.query_participations(order_by="id", descending=False, offset=offset, limit=_PAGE)
        for summary in page:
            if summary.person_id is None:
                continue
            result[uuid.UUID(str(summary.person_id))].append(
                _Participation(
                    summary.id,
                    _date_or_none(summary.oppstartsdato),
                    _date_or_none(summary.avslutningsdato),
                )
            )
    return result


def _covers(participation: _Participation, test_date: dt.date) -> bool:
    end = participation.avslutningsdato
    return end is None or test_date <= end


def _date_or_none(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- what changes -------------------------------------------------------------------------


def _value_changes(
    pid: int, stored: Mapping[str, object], rows: Sequence[GoodRow]
) -> list[ValueChange]:
    changes: list[ValueChange] = []
    existing_tests = _tests_by_key(stored.get("proveresultater"))
    for row in rows:
        masked = fnrmod.mask(row.fodselsnummer)
        if isinstance(row, FregValues):
            for variable, new in row.values().items():
                changes.append(
                    ValueChange(pid, masked, variable, stored.get(variable), new, row.line)
                )
        else:
            entry = row.entry()
            old = existing_tests.get((entry["provedato"], entry["provetype"]))
            changes.append(ValueChange(pid, masked, "proveresultater", old, entry, row.line))
    return changes


def _tests_by_key(value: object) -> dict[tuple[object, object], dict[str, object]]:
    if not isinstance(value, list):
        return {}
    result = {}
    for entry in value:
        if isinstance(entry, dict):
            result[(entry.get("provedato"), entry.get("provetype"))] = dict(entry)
    return result


def _merged_values(stored: Mapping[str, object], items: Sequence[ValueChange]) -> dict[str, object]:
    """The values to write: plain fields as given, test results merged into the list."""
    values: dict[str, object] = {}
    tests = _tests_by_key(stored.get("proveresultater"))
    tests_changed = False
    for item in items:
        if item.variable == "proveresultater":
            assert isinstance(item.new, dict)
            tests[(item.new["provedato"], item.new["provetype"])] = item.new
            tests_changed = True
        else:
            values[item.variable] = item.new
    if tests_changed:
        values["proveresultater"] = sorted(
            tests.values(), key=lambda e: (str(e.get("provedato")), str(e.get("provetype")))
        )
    return values


def describe_value(form: FormDefinition, variable: str, value: object) -> str:
    """A value as the user knows it: codes with their text, dates as DD.MM.YYYY."""
    if value is None:
        return "(tom)"
    if variable == "proveresultater" and isinstance(value, dict):
        day = _date_or_none(value.get("provedato"))
        when = f"{day:%d.%m.%Y}" if day else str(value.get("provedato"))
        kind = _code_text(form, "provetype", value.get("provetype"))
        result = _code_text(form, "proveresultat", value.get("proveresultat"))
        return f"{when} {kind}: {result}"
    return str(value)


def _code_text(form: FormDefinition, variable: str, code: object) -> str:
    if isinstance(code, int) and form.has_variable(variable):
        return form.variable(variable).code_text(code)
    return str(code)


# --- provenance ---------------------------------------------------------------------------


def provenance(db: Database, pid: int) -> dict[str, dict[str, str]]:
    """Where the registry values of a participation came from: variable -> source facts."""
    stored = db.get_setting(PROVENANCE_PREFIX + str(pid))
    return dict(stored) if isinstance(stored, dict) else {}


def _record_provenance(
    db: Database,
    pid: int,
    values: Mapping[str, object],
    *,
    source: str,
    file_name: str,
    day: dt.date,
) -> None:
    facts = provenance(db, pid)
    for variable in values:
        facts[variable] = {"kilde": source, "fil": file_name, "importert": day.isoformat()}
    _set_setting(db, PROVENANCE_PREFIX + str(pid), facts)


def _log_import(
    db: Database, plan: ImportPlan, outcome: ImportOutcome, *, source_name: str, day: dt.date
) -> None:
    stored = db.get_setting(IMPORT_LOG_KEY)
    history = list(stored) if isinstance(stored, list) else []
    history.append(
        {
            "kilde": plan.checked.kind.value,
            "fil": source_name,
            "importert": day.isoformat(),
            "rader": plan.checked.row_count,
            "feilrader": len(plan.checked.bad_lines),
            "ukjente_personer": len(plan.unknown),
            "deltakelser": outcome.participations,
            "nye_verdier": outcome.values_set,
            "endringer_tatt_inn": outcome.changes_applied,
            "endringer_ikke_tatt_inn": outcome.changes_left,
        }
    )
    _set_setting(db, IMPORT_LOG_KEY, history)


def _set_setting(db: Database, key: str, value: object) -> None:
    db.set_setting(key, value)
    # set_setting drops the cached installation settings; reading them again here,
    # outside any transaction, keeps a later set_values from reading them inside its
    # own write transaction (which storage cannot do yet).
    _ = db.settings


__all__ = [
    "ExtractKind",
    "ImportOutcome",
    "ImportPlan",
    "UnknownPerson",
    "ValueChange",
    "apply_plan",
    "describe_value",
    "plan_import",
    "provenance",
]
