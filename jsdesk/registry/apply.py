"""Match checked extract rows to participations and apply them through storage.

Third stage of an import. ``plan_import`` reads the database and works out, per
participation, which values are new, which would change an existing value, and
which rows belong to nobody in the database; it writes nothing. ``apply_plan``
then stores the new values (and the changes, only when the user accepted them)
with their source and import date, in one transaction
(``Database.import_register_values``). The queries are storage's.

Matching: a row belongs to every participation of the person with that
fødselsnummer (found through ``person_id``, so no number is compared in clear
text outside the row). A test result (PAD) belongs to a participation that was
still running on the test date or started after it: tests taken before the
start count, tests after an ended participation do not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jsdesk.domain import fnr as fnrmod
from jsdesk.forms import FormDefinition
from jsdesk.registry.check import CheckedExtract, FregValues, GoodRow, PadResult, RowCheck
from jsdesk.registry.extract import Extract, ExtractKind
from jsdesk.storage import Database


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
    """What an import would do. ``unknown`` lists the first ``MAX_UNKNOWN`` rows that
    belong to no participation; ``unknown_count`` counts them all."""

    checked: CheckedExtract
    new_values: tuple[ValueChange, ...]
    changes: tuple[ValueChange, ...]
    unchanged: int
    unknown: tuple[UnknownPerson, ...]
    unknown_count: int


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


# Rows looked up in the database at a time, and unknown persons kept for showing.
BATCH = 5000
MAX_UNKNOWN = 1000

_NOT_IN_DATABASE = "finnes ikke i databasen"

Progress = Callable[[int, int, int], None]  # rows read, bytes read, file size


def plan_import(db: Database, checked: CheckedExtract) -> ImportPlan:
    """Work out what applying the good rows of a checked extract would do; writes nothing."""
    planner = _Planner(db)
    for first in range(0, len(checked.good), BATCH):
        rows = checked.good[first : first + BATCH]
        planner.add([(row, fnrmod.person_id_bytes(row.fodselsnummer, planner.key)) for row in rows])
    return planner.plan(checked, {})


def plan_extract(
    db: Database,
    extract: Extract,
    form: FormDefinition,
    *,
    allow_synthetic: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Check the extract and work out what applying it would do, in one pass.

    The rows stream from the file: they are checked and looked up in the database
    in batches of ``BATCH``, and only the rows that belong to a participation are
    kept, so memory follows the database, not the file. ``progress`` is called
    after each batch. Writes nothing.
    """
    planner = _Planner(db)
    check = RowCheck(
        extract, form, allow_synthetic=allow_synthetic, today=today, person_key=planner.key
    )
    batch: list[tuple[GoodRow, bytes]] = []

    def flush() -> None:
        planner.add(check.still_good(batch))
        batch.clear()
        if progress is not None:
            position = getattr(extract.rows, "position", extract.size)
            progress(check.row_count, position, extract.size)

    for item in check.rows():
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()
    late_bad = check.late_bad_rows()
    good = tuple(row for row in planner.kept() if row.line not in late_bad)
    return planner.plan(check.result(good), late_bad)


class _Planner:
    """Match good rows to participations, a batch at a time; keeps only matched rows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.key = db.person_key
        self.touched: dict[int, _Participation] = {}
        self.unknown: list[UnknownPerson] = []
        self.unknown_count = 0
        self.last_line = 0

    def add(self, rows: Sequence[tuple[GoodRow, bytes]]) -> None:
        """Match rows in line order, each with its ``fnr.person_id_bytes``."""
        if not rows:
            return
        persons = [_uuid_text(person) for _row, person in rows]
        by_person = _participations_by_person(self.db, persons)
        self.last_line = max(self.last_line, rows[-1][0].line)
        for (row, _bytes), person in zip(rows, persons, strict=True):
            known = by_person.get(person)
            candidates, reason = (
                ([], _NOT_IN_DATABASE) if known is None else _candidates(row, known)
            )
            if not candidates:
                self.unknown_count += 1
                if len(self.unknown) < MAX_UNKNOWN:
                    self.unknown.append(
                        UnknownPerson(row.line, fnrmod.mask(row.fodselsnummer), reason)
                    )
                continue
            for participation in candidates:
                self.touched.setdefault(participation.id, participation).rows.append(row)

    def kept(self) -> tuple[GoodRow, ...]:
        lines: dict[int, GoodRow] = {}
        for participation in self.touched.values():
            lines.update((row.line, row) for row in participation.rows)
        return tuple(lines[line] for line in sorted(lines))

    def plan(self, checked: CheckedExtract, late_bad: Mapping[int, GoodRow]) -> ImportPlan:
        """The plan, leaving out rows a later row made bad (``late_bad``: line -> that row)."""
        for line, later in late_bad.items():
            if line > self.last_line:
                continue  # dropped before it was looked up
            by_person = _participations_by_person(
                self.db, [str(fnrmod.person_id(later.fodselsnummer, self.key))]
            )
            if not _candidates(later, next(iter(by_person.values()), []))[0]:
                self.unknown_count -= 1
        self.unknown = [item for item in self.unknown if item.line not in late_bad]
        new_values: list[ValueChange] = []
        changes: list[ValueChange] = []
        unchanged = 0
        stored_values = self.db.values_of(self.touched)
        for pid in sorted(self.touched):
            rows = [row for row in self.touched[pid].rows if row.line not in late_bad]
            for change in _value_changes(pid, stored_values[pid], rows):
                if change.old == change.new:
                    unchanged += 1
                elif change.is_change:
                    changes.append(change)
                else:
                    new_values.append(change)
        return ImportPlan(
            checked,
            tuple(new_values),
            tuple(changes),
            unchanged,
            tuple(self.unknown),
            self.unknown_count,
        )


def apply_plan(
    db: Database,
    plan: ImportPlan,
    *,
    accept_changes: bool,
    source_name: str,
    today: dt.date | None = None,
    form: FormDefinition | None = None,
) -> ImportOutcome:
    """Store the plan's new values, and its changes when ``accept_changes``.

    ``form`` is the form the extract was checked with; records of its version are
    evaluated with it (storage takes the shipped form for other versions).
    """
    day = today or dt.date.today()
    chosen = list(plan.new_values) + (list(plan.changes) if accept_changes else [])
    per_participation: dict[int, list[ValueChange]] = defaultdict(list)
    for item in chosen:
        per_participation[item.participation_id].append(item)
    stored = db.values_of(per_participation)
    updates = {pid: _merged_values(stored[pid], items) for pid, items in per_participation.items()}
    outcome = ImportOutcome(
        participations=len(per_participation),
        values_set=len(plan.new_values),
        changes_applied=len(plan.changes) if accept_changes else 0,
        changes_left=0 if accept_changes else len(plan.changes),
    )
    facts = {"kilde": plan.checked.kind.value, "fil": source_name, "importert": day.isoformat()}
    log_entry = _log_entry(plan, outcome, facts)
    db.import_register_values(updates, facts=facts, log_entry=log_entry, form=form)
    return outcome


# --- matching -----------------------------------------------------------------------------


def _participations_by_person(
    db: Database, person_ids: Iterable[str]
) -> dict[str, list[_Participation]]:
    """The participations of the given persons, by person id as text (storage's indexed
    lookup)."""
    found = db.participations_of_persons(person_ids)
    return {
        person: [
            _Participation(pid, _date_or_none(start), _date_or_none(end))
            for pid, start, end in rows
        ]
        for person, rows in found.items()
    }


def _uuid_text(person: bytes) -> str:
    """A person id's 16 bytes as the stored text (``str(uuid.UUID(bytes=person))``)."""
    h = person.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _candidates(
    row: GoodRow, participations: list[_Participation]
) -> tuple[list[_Participation], str]:
    """The participations a row belongs to, and why none when there are none."""
    if isinstance(row, PadResult) and participations:
        covering = [p for p in participations if _covers(p, row.provedato)]
        return covering, "har ingen deltakelse som pågikk på prøvedatoen"
    return participations, _NOT_IN_DATABASE


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
    return db.provenance(pid)


def _log_entry(
    plan: ImportPlan, outcome: ImportOutcome, facts: Mapping[str, str]
) -> dict[str, object]:
    return {
        **facts,
        "rader": plan.checked.row_count,
        "feilrader": plan.checked.bad_row_count,
        "ukjente_personer": plan.unknown_count,
        "deltakelser": outcome.participations,
        "nye_verdier": outcome.values_set,
        "endringer_tatt_inn": outcome.changes_applied,
        "endringer_ikke_tatt_inn": outcome.changes_left,
    }


__all__ = [
    "ExtractKind",
    "ImportOutcome",
    "ImportPlan",
    "UnknownPerson",
    "ValueChange",
    "apply_plan",
    "describe_value",
    "plan_extract",
    "plan_import",
    "provenance",
]
