"""Participations: create, change (autosave), query, delete, accept warnings.

Each public method is one transaction committed before it returns, with one
audit event per change. The rule engine decides stage, validity and
completeness; storage keeps status in step with it and with submissions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session, object_session

from jsdesk.errors import UserError
from jsdesk.forms import FormDefinition, Role
from jsdesk.rules import form_by_version
from jsdesk.storable import refuse_unstorable
from jsdesk.storage import audit, queries
from jsdesk.storage.assess import Assessment, assess, mask
from jsdesk.storage.backend import backend_of
from jsdesk.storage.models import (
    AcceptedWarning,
    Participation,
    RegisterImport,
    RegisterProvenance,
    Setting,
    Status,
    utc_now,
)
from jsdesk.storage.sessions import DatabaseCore
from jsdesk.storage.types import (
    CHUNK,
    PERSON_CHUNK,
    AcceptedWarningInfo,
    FieldConflict,
    ImportedRecord,
    PageKey,
    ParticipationRecord,
    ParticipationSummary,
    RecordChange,
    RecordConflict,
    StoredDates,
    SummaryPage,
    columns_for,
    completeness_of,
    existing_periods,
    open_problems,
    overlap_message,
    overlaps,
    status_for,
)

if TYPE_CHECKING:
    from jsdesk.domain.fnr import PersonKey
    from jsdesk.storage.form_migration import MigrationPlan
    from jsdesk.storage.settings import Settings


# What the stored findings of every participation were computed with. A new value makes
# the next open assess every record again (``refresh_assessments``): the installation's
# municipality became part of the check with this value.
ASSESSMENT_BASIS_SETTING = "vurderingsgrunnlag"
ASSESSMENT_BASIS = "installasjonens-kommune"


class ParticipationsMixin(DatabaseCore):
    """Record operations of ``Database`` (see ``jsdesk.storage.database``)."""

    if TYPE_CHECKING:

        @property
        def settings(self) -> Settings: ...

        @property
        def person_key(self) -> PersonKey: ...

    # --- helpers ----------------------------------------------------------------

    def _assess(self, values: Mapping[str, object], form: FormDefinition) -> Assessment:
        context = self.settings.rules_context()
        context["person_key"] = self.person_key  # made if a database never got one
        return assess(values, form, **context)

    @staticmethod
    def _form(version: str, given: FormDefinition | None, *, strict: bool = True) -> FormDefinition:
        """The form to evaluate a record of ``version`` with: the caller's, or the shipped one.

        With ``strict``, a given form of another version is a bug (the wizard passes
        the form of the record it shows); without, it is used only for its version.
        """
        if given is not None and given.version == version:
            return given
        if given is not None and strict:
            raise ValueError(f"form {given.version} given for a record of form {version}")
        return form_by_version(version)  # UserError for a version this jsdesk lacks

    def _refuse_synthetic(self, result: Assessment) -> None:
        if result.synthetic and not self.settings.test_installation:
            raise UserError(
                f"Fødselsnummeret {mask(result.fnr)} er et syntetisk testnummer. Syntetiske "
                "numre godtas bare i en testinstallasjon; denne databasen er for ekte data.",
                1,
            )

    def _refuse_overlap(
        self,
        session: Session,
        result: Assessment,
        own_id: int,
        periods: Mapping[str, list[StoredDates]] | None = None,
    ) -> None:
        """Refuse a period overlapping another participation of the same person.

        ``periods``: the stored periods of some persons, read once for many rows (a
        person not in it is looked up here).
        """
        if not result.fnr:
            return
        if periods is None or result.fnr not in periods:
            periods = existing_periods(session, {result.fnr}, exclude=own_id)
        for other_id, other_start, other_end in periods.get(result.fnr, []):
            if other_id == own_id:
                continue
            if overlaps(result.oppstartsdato, result.avslutningsdato, other_start, other_end):
                raise UserError(overlap_message(result.fnr, other_id, other_start, other_end), 1)

    @staticmethod
    def _apply(row: Participation, result: Assessment) -> None:
        # Accepted warnings matter only when there are warnings (saves a query per write).
        session = object_session(row)
        warned = any(f.get("severity") == "warning" for f in result.findings)
        accepted = _accepted_of(session, row.id) if warned and session is not None else set()
        columns = columns_for(result, row.record_version, row.submitted_version, accepted)
        for name, value in columns.items():
            setattr(row, name, value)

    def _write_changes(
        self,
        session: Session,
        row: Participation,
        new_values: dict[str, Any],
        result: Assessment,
        changes: Iterable[tuple[str, object, object]],
        now: datetime,
        *,
        periods: Mapping[str, list[StoredDates]] | None = None,
        events: list[audit.NewEvent] | None = None,
    ) -> None:
        """Store changed values on ``row`` (a new record version) with one audit event each.

        With ``events`` the audit events are added to that list for the caller to append
        (one chain append for many rows); ``periods`` as for ``_refuse_overlap``.
        """
        self._refuse_overlap(session, result, row.id, periods)
        row.values = new_values
        row.record_version += 1
        row.changed_at = now
        self._apply(row, result)
        new_events = [
            audit.NewEvent("endret", participation_id=row.id, variable=var, old=old, new=new)
            for var, old, new in changes
        ]
        if events is None:
            audit.append_many(session, now, new_events)
        else:
            events.extend(new_events)

    def _rows_of(self, session: Session, pids: list[int]) -> list[Participation]:
        """The participations ``pids`` (in that order), read CHUNK at a time."""
        found: dict[int, Participation] = {}
        for first in range(0, len(pids), CHUNK):
            chunk = pids[first : first + CHUNK]
            found.update(
                (row.id, row)
                for row in session.scalars(select(Participation).where(Participation.id.in_(chunk)))
            )
        missing = [pid for pid in pids if pid not in found]
        if missing:
            raise UserError(f"Fant ingen deltakelse med nummer {missing[0]}.", 1)
        return [found[pid] for pid in pids]

    def _get_row(self, session: Session, pid: int, *, lock: bool = False) -> Participation:
        # FOR UPDATE on a shared database (SQLite's writer holds the whole file already).
        row = session.get(Participation, pid, with_for_update=lock or None)
        if row is None:
            raise UserError(f"Fant ingen deltakelse med nummer {pid}.", 1)
        return row

    # --- create and change -------------------------------------------------------

    def create_participation(self, values: Mapping[str, object], *, form_version: str) -> int:
        """Store a new participation; refuses overlapping periods for the same fnr."""
        return self.add_participation(values, form=form_by_version(form_version)).participation_id

    def add_participation(
        self, values: Mapping[str, object], *, form: FormDefinition
    ) -> RecordChange:
        """Store a new participation of ``form``; returns its id and what was computed."""
        now = utc_now()
        with self.write() as session:
            stored, refused = self._store_new(session, [values], form, now)
        if refused:
            raise UserError(refused[0][1], 1)
        ((record, result),) = stored
        assert result.evaluation is not None
        return RecordChange(record.id, now, 1, record.status, result.evaluation)

    def import_records(
        self, records: Iterable[Mapping[str, object]], *, form_version: str
    ) -> list[ImportedRecord]:
        """Store several records in ONE transaction: all of them, or none.

        Invalid records are stored as *kladd* with their findings. A record that
        must be refused (overlapping participation, synthetic number in a
        production installation) rolls back the whole batch; the ``UserError``
        lists every refused record by its position (1-based).
        """
        form = form_by_version(form_version)
        with self.write() as session:
            stored, refused = self._store_new(session, list(records), form, utc_now())
            if refused:
                lines = [f"post {position}: {message}" for position, message in refused]
                raise UserError(
                    "Ingen poster er lagret fra denne filen fordi disse må avvises:\n  "
                    + "\n  ".join(lines),
                    1,
                )
        return [record for record, _ in stored]

    def _store_new(
        self,
        session: Session,
        records: list[Mapping[str, object]],
        form: FormDefinition,
        now: datetime,
    ) -> tuple[list[tuple[ImportedRecord, Assessment]], list[tuple[int, str]]]:
        """Assess, check and insert new participations with multi-row inserts.

        Returns what was stored and, instead, (position, message) for every record
        that must be refused; when any is refused nothing is inserted.
        """
        prepared: list[tuple[int, dict[str, object], Assessment]] = []
        refused: list[tuple[int, str]] = []
        for position, values in enumerate(records, start=1):
            clean = {k: v for k, v in values.items() if v is not None}
            try:
                refuse_unstorable(clean)
            except UserError as exc:
                refused.append((position, exc.message))
                continue
            result = self._assess(clean, form)
            try:
                self._refuse_synthetic(result)
            except UserError as exc:
                refused.append((position, exc.message))
                continue
            prepared.append((position, clean, result))
        periods = existing_periods(session, {r.fnr for _, _, r in prepared if r.fnr})
        for position, _, result in prepared:
            if not result.fnr:
                continue
            known = periods.setdefault(result.fnr, [])
            start, end = result.oppstartsdato, result.avslutningsdato
            for other_id, other_start, other_end in known:
                if overlaps(start, end, other_start, other_end):
                    message = overlap_message(result.fnr, other_id, other_start, other_end)
                    refused.append((position, message))
                    break
            else:
                known.append((f"post {position} i samme fil", start, end))
        if refused or not prepared:
            return [], sorted(refused)
        rows = [
            {
                **columns_for(result, 1, None),
                "values": clean,
                "form_version": form.version,
                "record_version": 1,
                "submitted_version": None,
                "created_at": now,
                "changed_at": now,
            }
            for _, clean, result in prepared
        ]
        # Ids are assigned here (this transaction holds the write lock) so that the
        # insert runs as one executemany, and never reuse the id of a deleted
        # participation that scrubbed audit events still refer to.
        ids = backend_of(session).participation_ids(session, len(rows))
        for pid, row in zip(ids, rows, strict=True):
            row["id"] = pid
        session.execute(insert(Participation), rows)
        audit.append_many(
            session,
            now,
            [
                audit.NewEvent("opprettet", participation_id=pid, new=clean)
                for pid, (_, clean, _) in zip(ids, prepared, strict=True)
            ],
        )
        return [
            (
                ImportedRecord(
                    position=position,
                    id=pid,
                    status=Status(str(row["status"])),
                    stage=result.stage,
                    findings=tuple(result.findings),
                ),
                result,
            )
            for pid, row, (position, _, result) in zip(ids, rows, prepared, strict=True)
        ], []

    def set_value(
        self, pid: int, variable: str, value: object, *, form: FormDefinition | None = None
    ) -> RecordChange:
        """Change one field and commit at once (autosave); returns what was stored."""
        return self.set_values(pid, {variable: value}, form=form)

    def set_values(
        self,
        pid: int,
        values: Mapping[str, object],
        *,
        form: FormDefinition | None = None,
        base_version: int | None = None,
        base: Mapping[str, object] | None = None,
    ) -> RecordChange:
        """Change several fields in ONE transaction; ``None`` clears a field.

        The record is evaluated once, with ``form`` when given (it must be the
        record's form version; the wizard passes the form it shows) or else the
        shipped form of the record's version. The returned ``RecordChange`` holds
        that evaluation, the status, the record version and the time, so the
        caller need not read the record back.

        No lost updates: with ``base_version`` (the version the caller's values were
        read at) and ``base`` (the caller's old values of the fields it changes), a
        newer stored version is merged when the other writer changed other fields, and
        refused with ``RecordConflict`` (nothing written) when it changed one of these
        to something else. The row is locked while it is read and written.
        """
        refuse_unstorable(values)
        now = utc_now()
        with self.write() as session:
            row = self._get_row(session, pid, lock=True)
            if base_version is not None and row.record_version != base_version:
                _refuse_conflicts(row, values, base or {})
            new_values = dict(row.values)
            changes: list[tuple[str, object, object]] = []
            for variable, value in values.items():
                old = new_values.get(variable)
                if old == value:
                    continue
                changes.append((variable, old, value))
                if value is None:
                    new_values.pop(variable, None)
                else:
                    new_values[variable] = value
            record_form = self._form(row.form_version, form)
            result = self._assess(new_values, record_form)
            assert result.evaluation is not None
            if not changes:
                return RecordChange(
                    pid,
                    row.changed_at,
                    row.record_version,
                    Status(row.status),
                    result.evaluation,
                    written=False,
                )
            identity = record_form.role_name(Role.IDENTITY)
            if any(var == identity for var, _, _ in changes):
                self._refuse_synthetic(result)
            self._write_changes(session, row, new_values, result, changes, now)
            return RecordChange(pid, now, row.record_version, Status(row.status), result.evaluation)

    def apply_form_migration(self, plan: MigrationPlan) -> int:
        """Move every record of ``plan`` to its target form version in ONE transaction.

        Returns how many moved. Refuses (and changes nothing) when a record was
        changed or deleted after the dry run (``plan_migration``), or when the
        target version is not one jsdesk can open records with.
        """
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
        now = utc_now()
        with self.write() as session:
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
                self._apply(row, self._assess(move.values, plan.target))
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

    def refresh_assessments(self) -> int:
        """Assess every participation again when its stored findings were computed on an
        older basis (``ASSESSMENT_BASIS``); returns how many changed validity or status.

        Values and record versions stay as they are; one audit event records the run.
        A record of a form version this jsdesk lacks keeps what it had.
        """
        with self.read() as session:
            if _json_setting(session, ASSESSMENT_BASIS_SETTING) == ASSESSMENT_BASIS:
                return 0
        now = utc_now()
        changed = 0
        with self.write() as session:
            for row in session.scalars(select(Participation).order_by(Participation.id)):
                try:
                    form = self._form(row.form_version, None)
                except UserError:
                    continue
                before = (row.valid, row.status)
                self._apply(row, self._assess(row.values, form))
                changed += (row.valid, row.status) != before
            _put_json_setting(session, ASSESSMENT_BASIS_SETTING, ASSESSMENT_BASIS, now)
            audit.append(
                session,
                at=now,
                action="regler kjørt på nytt",
                variable=ASSESSMENT_BASIS_SETTING,
                new={"grunnlag": ASSESSMENT_BASIS, "endret": changed},
            )
        return changed

    def accept_warning(
        self, pid: int, variable: str, code: str, reason: str, index: int | None = None
    ) -> datetime:
        """Record that the caseworker accepted a warning, with a reason."""
        reason = reason.strip()
        if not reason:
            raise UserError("Skriv en kort begrunnelse for å godta advarselen.", 1)
        refuse_unstorable({"begrunnelse": reason})
        now = utc_now()
        user = audit.os_user()
        with self.write() as session:
            row = self._get_row(session, pid)
            session.add(
                AcceptedWarning(
                    participation_id=pid,
                    variable=variable,
                    index=index,
                    code=str(code),
                    reason=reason,
                    user=user,
                    accepted_at=now,
                )
            )
            row.record_version += 1
            row.changed_at = now
            session.flush()
            problems = open_problems(row.findings, _accepted_of(session, pid))
            row.status = status_for(
                row.valid, row.record_version, row.submitted_version, problems=len(problems)
            )
            audit.append(
                session,
                at=now,
                action="advarsel godtatt",
                participation_id=pid,
                variable=variable,
                new={"kode": str(code), "indeks": index, "begrunnelse": reason},
            )
        return now

    def delete_participation(self, pid: int, *, reason: str) -> None:
        """Delete a participation registered by mistake and scrub its values everywhere.

        The row and its accepted warnings go, audit events about it lose their
        values, and one audit event records the deletion, when and by whom.
        """
        reason = reason.strip()
        if not reason:
            raise UserError("Skriv en begrunnelse for å slette deltakelsen.", 1)
        refuse_unstorable({"begrunnelse": reason})
        with self.write() as session:
            self._get_row(session, pid)
            session.execute(delete(AcceptedWarning).where(AcceptedWarning.participation_id == pid))
            session.execute(
                delete(RegisterProvenance).where(RegisterProvenance.participation_id == pid)
            )
            session.execute(delete(Participation).where(Participation.id == pid))
            audit.scrub(session, pid)
            audit.append(
                session,
                at=utc_now(),
                action="slettet",
                participation_id=pid,
                new={"begrunnelse": reason},
            )
        self.backend.after_delete(self, pid)

    # --- register extracts (FREG, PAD) -----------------------------------------------

    def participations_of_persons(
        self, person_ids: Iterable[str]
    ) -> dict[str, list[tuple[int, date | None, date | None]]]:
        """person_id -> (id, start, end) of each of that person's participations.

        Reads the indexed ``person_id`` column, the ids asked about given to the
        database in one parameter (``Backend.one_of``) per ``PERSON_CHUNK`` of them, so
        the cost follows the number of persons asked about, not the size of the database.
        """
        wanted = sorted(set(person_ids))
        found: dict[str, list[tuple[int, date | None, date | None]]] = {}
        with self.read() as session:
            for first in range(0, len(wanted), PERSON_CHUNK):
                query = select(
                    Participation.id,
                    Participation.person_id,
                    Participation.oppstartsdato,
                    Participation.avslutningsdato,
                ).where(
                    self.backend.one_of(
                        Participation.person_id, wanted[first : first + PERSON_CHUNK]
                    )
                )
                for pid, person, start, end in session.execute(query):
                    found.setdefault(str(person), []).append((pid, start, end))
        return found

    def values_of(self, pids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored values of the given participations (one read transaction)."""
        wanted = sorted(set(pids))
        found: dict[int, dict[str, Any]] = {}
        with self.read() as session:
            for first in range(0, len(wanted), CHUNK):
                query = select(Participation.id, Participation.values).where(
                    Participation.id.in_(wanted[first : first + CHUNK])
                )
                found.update((pid, dict(values)) for pid, values in session.execute(query))
        return found

    def provenance(self, pid: int) -> dict[str, dict[str, str]]:
        """Where the register values of a participation came from: variable -> facts
        (``kilde``, ``fil``, ``importert`` as an ISO date)."""
        with self.read() as session:
            rows = session.scalars(
                select(RegisterProvenance).where(RegisterProvenance.participation_id == pid)
            )
            return {
                row.variable: {
                    "kilde": row.source,
                    "fil": row.file_name,
                    "importert": row.imported_on.isoformat(),
                }
                for row in rows
            }

    def register_imports(self) -> list[dict[str, object]]:
        """The registry imports this login made (every one on the local file), oldest
        first: what ``import_register_values`` was given as ``log_entry``, with the time
        and the login."""
        with self.read() as session:
            rows = session.scalars(select(RegisterImport).order_by(RegisterImport.id))
            return [
                {**row.details, "tidspunkt": row.imported_at.isoformat(), "innlogging": row.login}
                for row in rows
            ]

    def import_register_values(
        self,
        updates: Mapping[int, Mapping[str, object]],
        *,
        facts: Mapping[str, str],
        log_entry: Mapping[str, object],
        form: FormDefinition | None = None,
    ) -> None:
        """Store a register import in ONE transaction: all of it, or nothing.

        ``updates`` maps participation id to the values to set (merged into what is
        stored, with an audit event per changed value); each of those variables gets
        ``facts`` (source, file, date) as its provenance; ``log_entry`` is added to
        the import history. Records of ``form``'s version are evaluated with it (a
        pilot sandbox's draft form), others with the shipped form of their version.
        """
        now = utc_now()
        imported = {
            "source": facts["kilde"],
            "file_name": facts["fil"],
            "imported_on": date.fromisoformat(facts["importert"]),
        }
        pids = sorted(updates)
        with self.write() as session:
            for first in range(0, len(pids), CHUNK):
                chunk = {pid: updates[pid] for pid in pids[first : first + CHUNK]}
                self._import_chunk(session, chunk, imported, form, now)
            session.add(
                RegisterImport(
                    imported_at=now,
                    login=self.backend.audit_user(session) or audit.os_user(),
                    details=dict(log_entry),
                )
            )
            audit.append(
                session,
                at=now,
                action="registerimport",
                variable=str(log_entry.get("kilde", "")),
                new={"fil": log_entry.get("fil"), "deltakelser": len(updates)},
            )

    def _import_chunk(
        self,
        session: Session,
        updates: Mapping[int, Mapping[str, object]],
        imported: Mapping[str, object],
        form: FormDefinition | None,
        now: datetime,
    ) -> None:
        """Part of ``import_register_values``: up to CHUNK participations read, changed
        and audited together, their provenance replaced (then flushed, so memory holds
        one chunk)."""
        rows = self._rows_of(session, list(updates))
        periods = existing_periods(session, {row.fnr for row in rows if row.fnr})
        events: list[audit.NewEvent] = []
        by_variables: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for row in rows:
            values = updates[row.id]
            new_values = dict(row.values)
            changes = [
                (name, new_values.get(name), value)
                for name, value in values.items()
                if new_values.get(name) != value
            ]
            for name, _old, value in changes:
                if value is None:
                    new_values.pop(name, None)
                else:
                    new_values[name] = value
            if changes:
                refuse_unstorable({name: value for name, _old, value in changes})
                record_form = self._form(row.form_version, form, strict=False)
                result = self._assess(new_values, record_form)
                self._write_changes(
                    session, row, new_values, result, changes, now, periods=periods, events=events
                )
            by_variables[tuple(sorted(values))].append(row.id)
        audit.append_many(session, now, events)
        for variables, pids in by_variables.items():
            if not variables:
                continue
            session.execute(
                delete(RegisterProvenance).where(
                    RegisterProvenance.participation_id.in_(pids),
                    RegisterProvenance.variable.in_(variables),
                )
            )
            session.execute(
                insert(RegisterProvenance),
                [
                    {"participation_id": pid, "variable": name, **imported}
                    for pid in pids
                    for name in variables
                ],
            )
        session.flush()

    # --- read ---------------------------------------------------------------------

    def get_participation(self, pid: int) -> ParticipationRecord:
        with self.read() as session:
            row = self._get_row(session, pid)
            return _record(row, _warnings_of(session, [pid]).get(pid, ()))

    def query_participations(
        self,
        *,
        search: str | None = None,
        status: Status | str | None = None,
        stage: str | None = None,
        year: int | None = None,
        order_by: str = "changed_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 100,
    ) -> list[ParticipationSummary]:
        """One page of participations for the overview, filtered and sorted."""
        shape, params = queries.filters(search, status, stage, year)
        query = queries.summary_query(shape, order_by, descending)
        params["offset"], params["limit"] = offset, limit
        with self.read_connection() as conn:
            rows = list(conn.execute(query, params))
            accepted = _accepted_for(conn, [row[0] for row in rows if row[-1]])
            return [
                queries.summary(*row).with_accepted(accepted.get(row[0], frozenset()))
                for row in rows
            ]

    def overview_page(
        self,
        *,
        search: str | None = None,
        status: Status | str | None = None,
        stage: str | None = None,
        year: int | None = None,
        order_by: str = "changed_at",
        descending: bool = True,
        after: PageKey | None = None,
        before: PageKey | None = None,
        from_end: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> SummaryPage:
        """One page of the overview, filtered and sorted as ``query_participations``, with
        the keys of its first and last row.

        ``after`` (``before``): the ``limit`` rows right after (before) that key, found
        through the key (keyset paging: as fast deep in the list as at its top, and a
        participation saved meanwhile neither repeats nor hides another). Without a key:
        ``offset`` rows skipped from the start, or from the end with ``from_end`` (a jump:
        the skipped rows' keys are counted in the sort index, then the page is read
        after the last of them).
        """
        if after is not None and before is not None:
            raise ValueError("a page is either after or before a key")
        shape, params = queries.filters(search, status, stage, year)
        with self.read_connection() as conn:
            seek = _Seek(shape, params, order_by, descending, conn.dialect.name)
            key = after or before
            if key is not None:
                rows = seek.rows(conn, key, backward=before is not None, limit=limit)
            elif offset > 0:
                # A jump: the key of the row before the page, then the page after it.
                probe = queries.key_query(shape, order_by, descending != from_end)
                found = conn.execute(probe, {**params, "offset": offset - 1}).first()
                rows = (
                    []
                    if found is None
                    else seek.rows(
                        conn, PageKey(found[0], found[1]), backward=from_end, limit=limit
                    )
                )
            else:
                query = queries.summary_query(shape, order_by, descending != from_end, True)
                rows = list(conn.execute(query, {**params, "offset": 0, "limit": limit}))
                if from_end:
                    rows.reverse()
            accepted = _accepted_for(conn, [row[0] for row in rows if row[-2]])
        summaries = tuple(
            queries.summary(*row[:-1]).with_accepted(accepted.get(row[0], frozenset()))
            for row in rows
        )
        keys = [PageKey(row[-1], row[0]) for row in rows]
        return SummaryPage(summaries, keys[0] if keys else None, keys[-1] if keys else None)

    def count_participations(
        self,
        *,
        search: str | None = None,
        status: Status | str | None = None,
        stage: str | None = None,
        year: int | None = None,
    ) -> int:
        shape, params = queries.filters(search, status, stage, year)
        with self.read_connection() as conn:
            return int(conn.execute(queries.count_query(shape), params).scalar_one())

    def iter_participations(
        self, ids: Iterable[int] | None = None, *, chunk: int = 500
    ) -> Iterator[ParticipationRecord]:
        """Full records (all, or the given ids) in id order, e.g. for submissions.

        Read in chunks, each in its own short read transaction, so that a long
        export never holds the database and memory stays flat.
        """
        with self.read() as session:
            query = select(Participation.id).order_by(Participation.id)
            if ids is not None:
                query = query.where(Participation.id.in_(list(ids)))
            all_ids = list(session.scalars(query))
        for start in range(0, len(all_ids), chunk):
            part = all_ids[start : start + chunk]
            with self.read() as session:
                warnings = _warnings_of(session, part)
                rows = session.scalars(
                    select(Participation)
                    .where(Participation.id.in_(part))
                    .order_by(Participation.id)
                )
                records = [_record(row, warnings.get(row.id, ())) for row in rows]
            yield from records


@dataclass(frozen=True)
class _Seek:
    """Keyset reads of one filtered sort order (see ``queries``)."""

    shape: queries.Shape
    params: dict[str, Any]
    order_by: str
    descending: bool
    dialect: str

    def rows(self, conn: Connection, key: PageKey, *, backward: bool, limit: int) -> list[Any]:
        """Up to ``limit`` rows right after ``key`` (before it if ``backward``), in the
        sort order: the rest of the key's value, the values past it, then the following
        segments, until the page is full."""
        order = queries.segments(self.order_by, self.descending, self.dialect)
        if backward:
            order = order[::-1]
        start = order.index(queries.segment_of(self.order_by, key.value))
        walk_descending = self.descending != backward
        steps = [(order[start], queries.SEEK_TIE)]
        if order[start] != queries.SEGMENT_NULLS:
            steps.append((order[start], queries.SEEK_PAST))
        steps += [(segment, queries.SEEK_NONE) for segment in order[start + 1 :]]
        rows: list[Any] = []
        for segment, seek in steps:
            query = queries.keyset_query(self.shape, self.order_by, walk_descending, segment, seek)
            bound = {**self.params, "limit": limit - len(rows)}
            if seek == queries.SEEK_TIE:
                bound["key_id"] = key.id
            if seek != queries.SEEK_NONE and segment != queries.SEGMENT_NULLS:
                bound["key_value"] = key.value
            rows.extend(conn.execute(query, bound))
            if len(rows) >= limit:
                break
        if backward:
            rows.reverse()
        return rows


def _refuse_conflicts(
    row: Participation, values: Mapping[str, object], base: Mapping[str, object]
) -> None:
    """Raise ``RecordConflict`` for the fields another writer set to something else."""
    stored = row.values
    conflicts = tuple(
        FieldConflict(name, base.get(name), mine, stored.get(name))
        for name, mine in values.items()
        if stored.get(name) != base.get(name) and stored.get(name) != mine
    )
    if conflicts:
        raise RecordConflict(row.id, row.record_version, conflicts)


def _accepted_for(
    conn: Connection, pids: list[int]
) -> dict[int, frozenset[tuple[str, str, int | None]]]:
    """Accepted warnings of these participations (one IN query per chunk)."""
    found: dict[int, set[tuple[str, str, int | None]]] = {}
    table = AcceptedWarning.__table__
    for start in range(0, len(pids), CHUNK):
        query = select(
            table.c.participation_id, table.c.variable, table.c.code, table.c.index
        ).where(table.c.participation_id.in_(pids[start : start + CHUNK]))
        for pid, variable, code, index in conn.execute(query):
            found.setdefault(pid, set()).add((variable, code, index))
    return {pid: frozenset(keys) for pid, keys in found.items()}


def _accepted_of(session: Session, pid: int) -> set[tuple[str, str, int | None]]:
    query = select(AcceptedWarning.variable, AcceptedWarning.code, AcceptedWarning.index)
    rows = session.execute(query.where(AcceptedWarning.participation_id == pid))
    return {(variable, code, index) for variable, code, index in rows}


def _warnings_of(session: Session, pids: list[int]) -> dict[int, tuple[AcceptedWarningInfo, ...]]:
    found: dict[int, list[AcceptedWarningInfo]] = {}
    query = (
        select(AcceptedWarning)
        .where(AcceptedWarning.participation_id.in_(pids))
        .order_by(AcceptedWarning.id)
    )
    for w in session.scalars(query):
        found.setdefault(w.participation_id, []).append(
            AcceptedWarningInfo(
                variable=w.variable,
                index=w.index,
                code=w.code,
                reason=w.reason,
                user=w.user,
                accepted_at=w.accepted_at,
            )
        )
    return {pid: tuple(items) for pid, items in found.items()}


def _record(row: Participation, warnings: tuple[AcceptedWarningInfo, ...]) -> ParticipationRecord:
    return ParticipationRecord(
        id=row.id,
        values=dict(row.values),
        form_version=row.form_version,
        stage=row.stage,
        status=Status(row.status),
        accepted_warnings=warnings,
        record_version=row.record_version,
        created_at=row.created_at,
        changed_at=row.changed_at,
        valid=row.valid,
        findings=tuple(row.findings),
        completeness=completeness_of(row.completeness),
        person_id=row.person_id,
        submitted_version=row.submitted_version,
    )


def _json_setting(session: Session, key: str) -> object:
    row = session.get(Setting, key)
    return None if row is None or row.value is None else json.loads(row.value)


def _put_json_setting(session: Session, key: str, value: object, now: datetime) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=json.dumps(value, ensure_ascii=False), changed_at=now))
    else:
        row.blob, row.value, row.changed_at = None, json.dumps(value, ensure_ascii=False), now
