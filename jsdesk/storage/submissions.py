"""Submissions: the history of submission files and which record versions went into each.

Adding a submission and marking its records submitted is one transaction; a
record changed after the version that went into a file becomes *endret etter
innsending*, so its change goes in the next submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from jsdesk.errors import UserError
from jsdesk.storage import audit
from jsdesk.storage.backend import lock_submissions
from jsdesk.storage.errors import classify
from jsdesk.storage.models import Participation, Submission, SubmittedRecord, utc_now
from jsdesk.storage.sessions import DatabaseCore
from jsdesk.storage.types import CHUNK, SubmissionInfo, status_for


class SubmittedMeanwhile(UserError):
    """Another submission marked some of the same records after they were read for this one."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(
            f"En annen innsending tok med {len(ids)} av de samme postene i samme øyeblikk "
            f"(deltakelse {', '.join(str(i) for i in ids[:10])}"
            f"{' …' if len(ids) > 10 else ''}). Denne innsendingen er ikke registrert, og "
            "ingen poster er merket av den.",
            1,
        )
        self.ids = ids


class SubmissionRefused(UserError):
    """The database refused to record the submission (this login may not submit):
    nothing was registered and no record marked."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 1)


class SubmissionsMixin(DatabaseCore):
    """Submission operations of ``Database`` (see ``jsdesk.storage.database``)."""

    def record_submission(
        self,
        submission_id: str,
        *,
        file_name: str,
        record_count: int,
        test: bool,
        period: str | None = None,
        details: Mapping[str, Any] | None = None,
        created_at: datetime | None = None,
        records: Mapping[int, int] | Iterable[tuple[int, int]] = (),
        read_as: Mapping[int, int | None] | None = None,
    ) -> None:
        """Add a submission file to the history and mark its ``records`` submitted.

        ``records`` maps participation id to the record version that went into
        the file. History entry, status changes and audit events are ONE
        transaction: either the submission and all its records are marked, or
        nothing is.

        ``read_as`` gives the submitted version each record had when it was read for
        the file: when another submission (another login, at the same time) has marked
        one of them since, nothing is stored and ``SubmittedMeanwhile`` says which, so
        no record goes in two submissions. A login that may not mark them (on a shared
        database only members of ``jsdesk_innsender``) gets ``SubmissionRefused``.
        """
        try:
            self._record_submission(
                submission_id,
                file_name=file_name,
                record_count=record_count,
                test=test,
                period=period,
                details=details,
                created_at=created_at,
                records=records,
                read_as=read_as,
            )
        except SubmittedMeanwhile:
            raise
        except UserError as exc:
            if classify(exc.__cause__ or exc) == "denied":
                raise SubmissionRefused(exc.message) from exc
            raise

    def _record_submission(
        self,
        submission_id: str,
        *,
        file_name: str,
        record_count: int,
        test: bool,
        period: str | None,
        details: Mapping[str, Any] | None,
        created_at: datetime | None,
        records: Mapping[int, int] | Iterable[tuple[int, int]],
        read_as: Mapping[int, int | None] | None,
    ) -> None:
        now = created_at or utc_now()
        with self.write() as session:
            lock_submissions(session)
            if read_as:
                _refuse_submitted_meanwhile(session, read_as)
            session.add(
                Submission(
                    id=submission_id,
                    created_at=now,
                    file_name=file_name,
                    record_count=record_count,
                    test=test,
                    period=period,
                    details=dict(details or {}),
                )
            )
            audit.append(
                session,
                at=now,
                action="innsending laget",
                variable=submission_id,
                new={"fil": file_name, "antall": record_count, "test": test},
            )
            session.flush()
            _mark_submitted(session, submission_id, _pairs(records), now)

    def mark_submitted(
        self, pids_with_versions: Mapping[int, int] | Iterable[tuple[int, int]], submission_id: str
    ) -> None:
        """Mark the given record versions as submitted in ``submission_id``.

        A record changed since the version that went into the file becomes (or
        stays) *endret etter innsending*, so its change goes in the next submission.
        Prefer ``record_submission(..., records=...)``, which does this in the
        same transaction as adding the submission.
        """
        with self.write() as session:
            if session.get(Submission, submission_id) is None:
                raise ValueError(f"unknown submission {submission_id!r}: call record_submission")
            _mark_submitted(session, submission_id, _pairs(pids_with_versions), utc_now())

    def list_submissions(self) -> list[SubmissionInfo]:
        """Every submission, newest first."""
        with self.read() as session:
            return [
                SubmissionInfo(
                    id=s.id,
                    created_at=s.created_at,
                    file_name=s.file_name,
                    record_count=s.record_count,
                    test=s.test,
                    period=s.period,
                    details=dict(s.details),
                )
                for s in session.scalars(select(Submission).order_by(Submission.created_at.desc()))
            ]

    def submitted_participations(self, submission_id: str) -> dict[int, int]:
        """Participation id -> record version that went into ``submission_id``."""
        with self.read() as session:
            rows = session.execute(
                select(SubmittedRecord.participation_id, SubmittedRecord.record_version).where(
                    SubmittedRecord.submission_id == submission_id
                )
            )
            return {pid: version for pid, version in rows}


def _refuse_submitted_meanwhile(session: Session, read_as: Mapping[int, int | None]) -> None:
    ids = list(read_as)
    moved: list[int] = []
    for start in range(0, len(ids), CHUNK):
        query = select(Participation.id, Participation.submitted_version).where(
            Participation.id.in_(ids[start : start + CHUNK])
        )
        moved += [pid for pid, version in session.execute(query) if version != read_as[pid]]
    if moved:
        raise SubmittedMeanwhile(sorted(moved))


def _pairs(items: Mapping[int, int] | Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return list(items.items()) if isinstance(items, Mapping) else list(items)


def _mark_submitted(
    session: Session, submission_id: str, pairs: list[tuple[int, int]], now: datetime
) -> None:
    """Set submitted version and status, note the version, audit: a few bulk statements.

    Participations deleted meanwhile are skipped. One executemany per statement
    kind instead of one statement per record and kind.
    """
    if not pairs:
        return
    current: dict[int, tuple[bool, int]] = {}
    for start in range(0, len(pairs), CHUNK):
        part = [pid for pid, _ in pairs[start : start + CHUNK]]
        query = select(Participation.id, Participation.valid, Participation.record_version)
        for pid, valid, record_version in session.execute(query.where(Participation.id.in_(part))):
            current[pid] = (bool(valid), record_version)
    marked = [(pid, version) for pid, version in pairs if pid in current]
    if not marked:
        return
    session.execute(
        update(Participation),
        [
            {
                "id": pid,
                # The version read above: a record changed since is not overwritten
                # (version_id_col; a concurrent change fails the statement instead).
                "record_version": current[pid][1],
                "submitted_version": version,
                "status": str(status_for(current[pid][0], current[pid][1], version)),
            }
            for pid, version in marked
        ],
    )
    for start in range(0, len(marked), CHUNK):
        part = [pid for pid, _ in marked[start : start + CHUNK]]
        session.execute(
            delete(SubmittedRecord).where(
                SubmittedRecord.submission_id == submission_id,
                SubmittedRecord.participation_id.in_(part),
            )
        )
    session.execute(
        insert(SubmittedRecord),
        [
            {"submission_id": submission_id, "participation_id": pid, "record_version": version}
            for pid, version in marked
        ],
    )
    audit.append_many(
        session,
        now,
        [
            audit.NewEvent("innsendt", participation_id=pid, variable=submission_id, new=version)
            for pid, version in marked
        ],
    )
