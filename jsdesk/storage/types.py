"""The plain types the storage API returns (records, summaries, changes, conflicts) and
the pure helpers behind them: a record's status, its open problems, search dates.

(Not ``jsdesk.reports.results``, the «Resultater» report.)
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jsdesk.errors import UserError
from jsdesk.rules import Evaluation
from jsdesk.storage.assess import Assessment, mask
from jsdesk.storage.models import Participation, Status

WarningKey = tuple[str, str, int | None]  # variable, finding code, group row
CHUNK = 500  # ids per IN (...) list, well below SQLite's parameter limit
PERSON_CHUNK = 10_000  # person ids per query given as one parameter (Backend.one_of)


@dataclass(frozen=True)
class AcceptedWarningInfo:
    variable: str
    index: int | None
    code: str
    reason: str
    user: str
    accepted_at: datetime


@dataclass(frozen=True)
class ParticipationRecord:
    """One participation with every stored value."""

    id: int
    values: dict[str, Any]
    form_version: str
    stage: str
    status: Status
    accepted_warnings: tuple[AcceptedWarningInfo, ...]
    record_version: int
    created_at: datetime
    changed_at: datetime
    valid: bool = False
    findings: tuple[dict[str, Any], ...] = ()
    completeness: Mapping[int, bool] | None = None
    person_id: str | None = None
    submitted_version: int | None = None

    @property
    def open_warnings(self) -> list[Mapping[str, Any]]:
        """Warnings no one has accepted with a reason; they keep the record from komplett."""
        return open_warnings(self.findings, accepted_keys(self.accepted_warnings))

    @property
    def complete(self) -> bool:
        """No errors and every warning accepted: ready to be submitted."""
        return self.valid and not self.open_warnings


@dataclass(frozen=True)
class RecordChange:
    """What one write to a participation stored and computed (as Anki's ``OpChanges``).

    The caller shows this instead of reading the record back or evaluating again:
    ``evaluation`` is the rule engine's result for the values now stored.
    ``written`` is False when the values were already stored (nothing changed).
    """

    participation_id: int
    changed_at: datetime
    record_version: int
    status: Status
    evaluation: Evaluation
    written: bool = True


@dataclass(frozen=True)
class FieldConflict:
    """One field two people changed: what it was, what I typed, what the other stored."""

    variable: str
    base: object
    mine: object
    theirs: object


class PasswordNeeded(UserError):
    """The server asks for a password and none was given (neither typed nor in the URL):
    the caseworker is asked for it, not told that a password they never typed was wrong."""


class RecordConflict(UserError):
    """A save found a newer version with another value in a field it changes (nothing
    was written). ``version`` is the stored version to save over once resolved."""

    def __init__(self, participation_id: int, version: int, fields: tuple[FieldConflict, ...]):
        names = ", ".join(f.variable for f in fields)
        super().__init__(
            f"Noen andre har lagret en nyere versjon av deltakelse {participation_id} med en "
            f"annen verdi i {names}. Ingenting av ditt er overskrevet eller tapt: velg hvilken "
            "verdi som skal gjelde.",
            1,
        )
        self.participation_id = participation_id
        self.version = version
        self.fields = fields


@dataclass(frozen=True)
class ParticipationSummary:
    """What the overview table shows for one participation."""

    id: int
    person_id: str | None
    masked_fnr: str
    fodselsar: int | None
    stage: str
    status: Status
    oppstartsdato: date | None
    avslutningsdato: date | None
    completeness: dict[int, bool]
    changed_at: datetime
    form_version: str = ""
    findings: tuple[Mapping[str, Any], ...] = ()
    accepted: frozenset[WarningKey] = frozenset()

    def with_accepted(self, accepted: frozenset[WarningKey]) -> ParticipationSummary:
        return replace(self, accepted=accepted) if accepted else self

    @property
    def errors(self) -> list[Mapping[str, Any]]:
        return [f for f in self.findings if f.get("severity") == "error"]

    @property
    def open_warnings(self) -> list[Mapping[str, Any]]:
        return open_warnings(self.findings, self.accepted)

    @property
    def accepted_warnings(self) -> list[Mapping[str, Any]]:
        waiting = self.open_warnings
        return [f for f in self.findings if f.get("severity") == "warning" and f not in waiting]


@dataclass(frozen=True)
class PageKey:
    """Where one row sits in the overview's sort order: its sort value and its id.

    The next page starts after the last row's key, the previous one ends before the
    first row's key (keyset paging), so a participation saved meanwhile neither
    repeats nor hides another. The value (a fødselsnummer when sorted by it) is
    never shown: it is left out of ``repr``."""

    value: object = field(repr=False)
    id: int


@dataclass(frozen=True)
class SummaryPage:
    """One page of the overview and the keys of its first and last row (None if empty)."""

    rows: tuple[ParticipationSummary, ...]
    first: PageKey | None
    last: PageKey | None


@dataclass(frozen=True)
class ImportedRecord:
    """One record stored by ``import_records`` (position is 1-based in the batch)."""

    position: int
    id: int
    status: Status
    stage: str
    findings: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SubmissionInfo:
    id: str
    created_at: datetime
    file_name: str
    record_count: int
    test: bool
    period: str | None
    details: dict[str, Any]


ORDERABLE = {
    "id": Participation.id,
    "changed_at": Participation.changed_at,
    "created_at": Participation.created_at,
    "oppstartsdato": Participation.oppstartsdato,
    "avslutningsdato": Participation.avslutningsdato,
    "fodselsar": Participation.fodselsar,
    "birth_date": Participation.birth_date,
    "fnr": Participation.fnr,
    "masked_fnr": Participation.fnr,
    "status": Participation.status,
    "stage": Participation.stage,
}

_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$"),
)


def parse_search_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def open_problems(
    findings: Iterable[Mapping[str, Any]], accepted: Container[WarningKey]
) -> list[Mapping[str, Any]]:
    """The open problems among ``findings`` (as stored): every error, and every warning
    no one has accepted with a reason.

    A warning on register data (FREG, PAD; stored with ``register_data``) is not an open
    problem: the caseworker cannot change a value the municipality does not own, so it
    waits for no acceptance, keeps no record from komplett and is not in the quality list
    (it is still shown on its field). This one function decides both a record's status
    (``columns_for``, ``status_for``) and the quality list (``reports.quality``), so the
    two cannot disagree.
    """
    return [
        finding
        for finding in findings
        if finding.get("severity") == "error"
        or (
            finding.get("severity") == "warning"
            and not finding.get("register_data")
            and (finding.get("variable"), finding.get("code"), finding.get("index")) not in accepted
        )
    ]


def open_warnings(
    findings: Iterable[Mapping[str, Any]], accepted: Iterable[WarningKey]
) -> list[Mapping[str, Any]]:
    """The warnings among ``open_problems``: the ones that keep a valid record a kladd."""
    done = set(accepted)
    return [f for f in open_problems(findings, done) if f.get("severity") == "warning"]


def accepted_keys(warnings: Iterable[AcceptedWarningInfo]) -> set[WarningKey]:
    return {(w.variable, w.code, w.index) for w in warnings}


def status_for(
    valid: bool, record_version: int, submitted_version: int | None, *, problems: int = 0
) -> Status:
    """Komplett needs no errors and no open problem (``problems``: how many findings
    ``open_problems`` returns); submitted records keep their innsendt/endret status."""
    if submitted_version is not None:
        return Status.INNSENDT if submitted_version == record_version else Status.ENDRET
    return Status.KOMPLETT if valid and not problems else Status.KLADD


def completeness_of(raw: Mapping[str, Any] | None) -> dict[int, bool]:
    return {int(k): bool(v) for k, v in (raw or {}).items()}


def columns_for(
    result: Assessment,
    record_version: int,
    submitted_version: int | None,
    accepted: Iterable[WarningKey] = (),
) -> dict[str, object]:
    """Column values that follow from the assessment of a record's values (and the warnings
    accepted for it)."""
    problems = len(open_problems(result.findings, set(accepted)))
    return {
        "fnr": result.fnr,
        "person_id": result.person_id,
        "birth_date": result.birth_date,
        "fodselsar": result.fodselsar,
        "oppstartsdato": result.oppstartsdato,
        "avslutningsdato": result.avslutningsdato,
        "stage": result.stage,
        "valid": result.valid,
        "completeness": {str(k): v for k, v in result.completeness.items()},
        "findings": list(result.findings),
        "field_states": result.field_states,
        "status": status_for(result.valid, record_version, submitted_version, problems=problems),
    }


# (participation id, oppstartsdato, avslutningsdato) as stored: either date may be missing.
StoredDates = tuple[int | str, date | None, date | None]


def existing_periods(
    session: Session, fnrs: set[str], exclude: int | None = None
) -> dict[str, list[StoredDates]]:
    """Stored participation periods of these fødselsnumre (indexed look-ups in chunks)."""
    periods: dict[str, list[StoredDates]] = {}
    ordered = sorted(fnrs)
    for i in range(0, len(ordered), 500):
        query = select(
            Participation.id,
            Participation.fnr,
            Participation.oppstartsdato,
            Participation.avslutningsdato,
        ).where(Participation.fnr.in_(ordered[i : i + 500]))
        if exclude is not None:
            query = query.where(Participation.id != exclude)
        for pid, number, start, end in session.execute(query):
            periods.setdefault(str(number), []).append((pid, start, end))
    return periods


def overlaps(
    start: date | None, end: date | None, other_start: date | None, other_end: date | None
) -> bool:
    """Periods overlap; an unknown start or end counts as open-ended."""
    return (start or date.min) <= (other_end or date.max) and (other_start or date.min) <= (
        end or date.max
    )


def overlap_message(number: str, other: int | str, start: date | None, end: date | None) -> str:
    which = f"deltakelse nr. {other}" if isinstance(other, int) else str(other)
    return (
        f"Personen med fødselsnummer {mask(number)} har allerede en deltakelse som overlapper "
        f"({which}, {_period_text(start, end)}). En ny deltakelse kan først starte etter at "
        "den forrige er avsluttet."
    )


def _period_text(start: date | None, end: date | None) -> str:
    def fmt(day: date | None) -> str:
        return day.strftime("%d.%m.%Y") if day else "ukjent"

    if end is None:
        return f"oppstart {fmt(start)}, ikke avsluttet"
    return f"{fmt(start)}–{fmt(end)}"
