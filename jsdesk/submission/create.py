"""Make a submission from the database: choose the records, build, verify, write, mark.

The two steps are separate so the GUI can show the plan before anything happens
and run the export in a worker thread::
    plan = plan_submission(db, year=2025)            # what goes in, what is left out and why
    result = create_submission(db, plan, out_dir, progress=callback)

Order of the safety steps in ``create_submission``: the container is built and
verified in memory (signature, digests, schema, every record's rules); it is
written atomically (never a partial file, never overwriting); the written bytes
are read back and compared; only then is the submission recorded and its
records marked *innsendt* (one transaction). An interruption before that last step leaves the
database unchanged. (If the process dies between the file appearing and the
marking, the file is valid but the records stay unsent and go again in the
next submission; the receiver keeps the highest ``record_version`` per
``record_id``, so that is harmless.)
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from jsdesk import __version__
from jsdesk.domain.code_domains import MUNICIPALITIES
from jsdesk.domain.fnr import mask
from jsdesk.domain.period import Period
from jsdesk.errors import UserError, os_error_reason
from jsdesk.forms import Role
from jsdesk.rules import FormLookup, evaluate, form_by_version, in_form_words
from jsdesk.storage import Status
from jsdesk.storage.submissions import SubmissionRefused, SubmittedMeanwhile
from jsdesk.submission import cms
from jsdesk.submission.container import (
    build_container,
    remove_stale_partials,
    write_atomic,
)
from jsdesk.submission.credentials import (
    SigningCredentials,
    expiry_warning,
    load_credentials,
    load_recipient,
    require_recipient_usable,
    require_usable,
)
from jsdesk.submission.payload import FORMAT_VERSION, encode_payload
from jsdesk.submission.timestamp import (
    TIMESTAMP_URL_SETTING,
    TimestampUnavailable,
    check_timestamp,
    request_timestamp,
)
from jsdesk.submission.trust import CertificateProblem, TrustStore
from jsdesk.submission.verify import verify_bytes

if TYPE_CHECKING:
    from jsdesk.storage import Database, ParticipationRecord

log = logging.getLogger("jsdesk.submission")

INSTALLATION_ID_SETTING = "submission.installation_id"
MAX_REASON_FINDINGS = 3

# progress(phase, done, total); phases in order, Bokmål for direct display.
Progress = Callable[[str, int, int], None]
PHASE_COLLECT = "Henter poster"
PHASE_BUILD = "Bygger og signerer"
PHASE_VERIFY = "Kontrollerer filen"
PHASE_WRITE = "Skriver filen"
PHASE_MARK = "Markerer som innsendt"
SENT_MEANWHILE = "sendt inn av en annen innsending i mellomtiden"


@dataclass(frozen=True)
class Excluded:
    """A record left out of the submission, with the reason in Bokmål."""

    id: int
    masked_fnr: str
    status: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """What a submission will hold (participation ids) and what is left out, and why."""

    included: tuple[int, ...]
    excluded: tuple[Excluded, ...]
    period_from: date
    period_to: date
    selection: str  # "changed" or "all"
    test_data: bool
    unchanged: int = 0  # already sent and not changed since (left out, not listed)
    corrections: int = 0  # included records that replace an earlier submitted version


@dataclass(frozen=True)
class SubmissionResult:
    path: Path
    submission_id: str
    record_count: int
    encrypted: bool
    warnings: tuple[str, ...]
    dropped: tuple[Excluded, ...]  # records that changed after planning and no longer qualify
    sha256: str = ""  # hex digest of the file as written (for the receipt)
    period_from: date | None = None
    period_to: date | None = None


def plan_submission(
    db: Database,
    *,
    year: int | None = None,
    all_records: bool = False,
    today: date | None = None,
    forms: FormLookup = form_by_version,
) -> Plan:
    """Choose the records: complete and new/changed since last submission (or all in ``year``).

    ``forms`` gives the form a record's version is read with (by default the shipped forms).
    """
    today = today or date.today()
    included: list[int] = []
    corrections = 0
    excluded: list[Excluded] = []
    unchanged = 0
    starts: list[date] = []
    for summary in _summaries(db, year):
        status = Status(summary.status)
        if status == Status.INNSENDT and not all_records:
            unchanged += 1
            continue
        if status != Status.KOMPLETT:  # kladd, endret, innsendt: look at the full record
            record = db.get_participation(summary.id)
            if not record.complete:
                excluded.append(
                    Excluded(summary.id, summary.masked_fnr, str(status), _reason(record, forms))
                )
                continue
            corrections += record.submitted_version is not None
        included.append(summary.id)
        if summary.oppstartsdato is not None:
            starts.append(summary.oppstartsdato)
    if year is not None:
        period_from, period_to = date(year, 1, 1), date(year, 12, 31)
    else:
        period_from = min(starts, default=today)
        period_to = today
    return Plan(
        included=tuple(included),
        excluded=tuple(excluded),
        period_from=period_from,
        period_to=period_to,
        selection="all" if all_records else "changed",
        test_data=db.settings.test_installation,
        unchanged=unchanged,
        corrections=corrections,
    )


def _summaries(db: Database, year: int | None) -> Iterable[Any]:
    offset = 0
    while True:
        page = db.query_participations(
            year=year, order_by="id", descending=False, offset=offset, limit=1000
        )
        yield from page
        if len(page) < 1000:
            return
        offset += len(page)


def _reason(record: ParticipationRecord, forms: FormLookup) -> str:
    """Why a record is left out, in the form's words (labels, never internal names)."""
    form = forms(record.form_version)

    def words(finding: Mapping[str, Any]) -> str:
        return in_form_words(form, str(finding.get("variable")), str(finding.get("message")))

    errors = [f for f in record.findings if f.get("severity") == "error"]
    shown = [words(f) for f in errors[:MAX_REASON_FINDINGS]]
    more = len(errors) - len(shown)
    text = "; ".join(shown)
    if more > 0:
        text += f" (og {more} feil til)"
    waiting = record.open_warnings
    if waiting and len(shown) < MAX_REASON_FINDINGS:
        first = words(waiting[0])
        text += ("; " if text else "") + f"advarsel ikke godtatt: {first}"
        if len(waiting) > 1:
            text += f" (og {len(waiting) - 1} advarsler til)"
    return f"Ikke komplett for stadiet «{record.stage}»: {text or 'posten er ikke komplett'}"


def create_submission(
    db: Database,
    plan: Plan,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    recipient: x509.Certificate | None = None,
    credentials: SigningCredentials | None = None,
    now: datetime | None = None,
    timestamp_url: str | None = None,
    forms: FormLookup = form_by_version,
) -> SubmissionResult:
    """Build, verify and write the submission file for ``plan``; then mark its records sent.

    ``recipient`` defaults to the configured recipient certificate and
    ``timestamp_url`` to the configured time-stamping service (``""``: none);
    with a reachable one the signature is CAdES B-T, otherwise B-B with a
    warning. A production
    installation refuses to write an unencrypted file or to sign with a test
    certificate. Every record is evaluated again with the form ``forms`` gives for its
    version (by default the shipped forms). Safe to call from a worker thread (it
    touches no widgets).
    """
    report = progress or (lambda _phase, _done, _total: None)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    settings = db.settings
    creds = credentials or load_credentials(db.signing_store)
    if creds is None:
        raise UserError(
            "Ingen signeringssertifikat er satt opp. Importer virksomhetssertifikatet med "
            "'jsdesk cert import FIL.p12' (eller lag et testsertifikat med "
            "'jsdesk cert create-test' i en testinstallasjon)."
        )
    require_usable(creds.certificate, now)
    warnings = [w for w in (expiry_warning(creds.certificate, now),) if w]
    recipient = recipient or load_recipient(db)
    if recipient is not None:
        require_recipient_usable(recipient)
    if not settings.test_installation:
        if creds.is_test:
            raise UserError(
                "Dette er en produksjonsinstallasjon, men signeringssertifikatet er et "
                "testsertifikat. Importer virksomhetssertifikatet med 'jsdesk cert import'."
            )
        if recipient is None:
            raise UserError(
                "Ekte innsendinger skal krypteres til mottakeren, men intet mottakersertifikat "
                "er satt opp. Bruk --encrypt-to SERT.pem eller 'jsdesk cert recipient SERT.pem'."
            )
    if not plan.included:
        raise UserError("Ingen poster å sende inn: ingen komplette, nye eller endrede poster.")
    if not out_dir.is_dir():
        raise UserError(f"Mappen {out_dir} finnes ikke.")

    records, dropped, read_as = _collect(db, plan, report, forms)
    if not records:
        raise UserError(
            "Ingen poster å sende inn: alle planlagte poster er endret og ufullstendige, "
            "eller sendt inn av en annen innsending i mellomtiden."
        )
    submission_id = str(uuid.uuid4())
    header = _header(db, plan, records, submission_id, now)

    report(PHASE_BUILD, 0, 1)
    payload = encode_payload(header, [r for _pid, _version, r in records])
    try:
        trust = TrustStore.load(installation=db.local_folder).with_anchors(
            [creds.certificate, *creds.chain]
        )
    except CertificateProblem as exc:
        raise UserError(f"Klarerte sertifikater kan ikke leses: {exc.message}") from exc
    url = timestamp_url if timestamp_url is not None else db.get_setting(TIMESTAMP_URL_SETTING)
    try:
        container = build_container(
            payload,
            creds.certificate,
            creds.key,
            creds.chain,
            timestamper=_timestamper(url, trust) if url else None,
        )
    except TimestampUnavailable as exc:
        warnings.append(f"{exc.message} Filen er signert uten tidsstempel (CAdES B-B).")
        container = build_container(payload, creds.certificate, creds.key, creds.chain)
    report(PHASE_BUILD, 1, 1)

    report(PHASE_VERIFY, 0, 1)
    check = verify_bytes(container, trust=trust, forms=forms)
    if not check.ok:
        raise UserError(
            "Innsendingsfilen besto ikke egenkontrollen og er ikke lagret:\n  "
            + "\n  ".join(check.lines())
        )
    data = cms.envelope(container, recipient) if recipient is not None else container
    report(PHASE_VERIFY, 1, 1)

    report(PHASE_WRITE, 0, 1)
    path = out_dir / file_name(
        settings.kommunenummer, now, submission_id, plan.test_data, recipient
    )
    remove_stale_partials(out_dir)
    expected = hashlib.sha256(data).digest()

    def compare_written(written: Path) -> None:
        if hashlib.sha256(written.read_bytes()).digest() != expected:
            raise UserError(f"Filen {path.name} ble ikke skrevet riktig til disken. Prøv igjen.")

    try:
        # A file not encrypted to the register holds the numbers in clear: owner only.
        write_atomic(path, data, before_rename=compare_written, private=recipient is None)
    except OSError as exc:
        raise UserError(
            f"Kan ikke skrive {path}: {os_error_reason(exc)}. Ingen poster er merket som innsendt."
        ) from exc
    report(PHASE_WRITE, 1, 1)

    report(PHASE_MARK, 0, 1)
    try:
        db.record_submission(
            submission_id,
            file_name=path.name,
            record_count=len(records),
            test=plan.test_data,
            period=f"{plan.period_from.isoformat()}/{plan.period_to.isoformat()}",
            details={
                "selection": plan.selection,
                "encrypted": recipient is not None,
                "corrections": sum(1 for _p, _v, r in records if r["correction"]),
                "signer": creds.subject,
                "sha256": expected.hex(),
            },
            created_at=now,
            records={pid: version for pid, version, _r in records},
            read_as=read_as,
        )
    except SubmittedMeanwhile as exc:
        # Another login's submission took some of these records first: this file must
        # not reach the register beside it. Made again, it holds only what is left.
        path.unlink(missing_ok=True)
        raise UserError(
            f"{exc.message} Filen {path.name} er slettet. Lag innsendingen på nytt: da "
            "kommer bare med det som ennå ikke er sendt inn.",
            1,
        ) from exc
    except SubmissionRefused as exc:
        # On a shared database only members of jsdesk_innsender submit: nothing was
        # registered, so the file must not reach the register either.
        path.unlink(missing_ok=True)
        raise UserError(
            f"{exc.message} Innsendingen er ikke registrert, og filen {path.name} er slettet.",
            1,
        ) from exc
    report(PHASE_MARK, 1, 1)
    log.info("Innsending %s laget med %d poster", submission_id, len(records))
    return SubmissionResult(
        path=path,
        submission_id=submission_id,
        record_count=len(records),
        encrypted=recipient is not None,
        warnings=tuple(warnings),
        dropped=tuple(dropped),
        sha256=expected.hex(),
        period_from=plan.period_from,
        period_to=plan.period_to,
    )


def _timestamper(url: str, trust: TrustStore) -> Callable[[bytes], bytes]:
    """Fetch a token for a signature value and accept it only from a TSA the installation trusts."""

    def stamp(signature: bytes) -> bytes:
        token = request_timestamp(url, signature)
        try:
            check_timestamp(token, signature, trust)
        except (cms.SignatureProblem, CertificateProblem) as exc:
            raise TimestampUnavailable(f"Tidsstempelet brukes ikke: {exc.message}") from exc
        return token

    return stamp


def file_name(
    kommunenummer: str,
    now: datetime,
    submission_id: str,
    test_data: bool,
    recipient: x509.Certificate | None,
) -> str:
    prefix = "TEST-" if test_data else ""
    suffix = ".asice.p7m" if recipient is not None else ".asice"
    return f"{prefix}jobbsjanse-{kommunenummer}-{now:%Y%m%dT%H%M%SZ}-{submission_id[:8]}{suffix}"


def _collect(
    db: Database, plan: Plan, report: Progress, forms: FormLookup
) -> tuple[list[tuple[int, int, dict[str, Any]]], list[Excluded], dict[int, int | None]]:
    """The payload records, re-evaluated now; records that stopped qualifying are dropped.

    Also the submitted version each record had as read (``record_submission``'s
    ``read_as``: a record another submission marks meanwhile is not sent twice)."""

    installation = _installation_id(db)
    rules_context = db.settings.rules_context()
    planned = plan.included
    total = len(planned)
    records: list[tuple[int, int, dict[str, Any]]] = []
    dropped: list[Excluded] = []
    read_as: dict[int, int | None] = {}
    for done, record in enumerate(db.iter_participations(planned), start=1):
        if plan.selection == "changed" and record.status == Status.INNSENDT:
            # Sent meanwhile by another submission (another login of a shared database)
            # and not changed since: it is not sent twice.
            dropped.append(Excluded(record.id, "", str(record.status), SENT_MEANWHILE))
            continue
        form = forms(record.form_version)
        evaluation = evaluate(form, record.values, **rules_context)
        if not evaluation.valid or record.open_warnings:
            fnr = record.values.get(form.role_name(Role.IDENTITY))
            masked = mask(fnr) if isinstance(fnr, str) else ""
            dropped.append(Excluded(record.id, masked, str(record.status), _reason(record, forms)))
            continue
        values = {**record.values, **evaluation.derived}
        # The person id is keyed to this installation: the register makes its own
        # from the fødselsnummer, which the file carries (docs/person-id.md).
        local = form.role_variable(Role.PERSON_ID)
        if local is not None:
            values.pop(local.name, None)
        correction = record.submitted_version is not None
        read_as[record.id] = record.submitted_version
        records.append(
            (
                record.id,
                record.record_version,
                {  # the payload record; see resources/submission.schema.json
                    "record_id": str(uuid.uuid5(installation, str(record.id))),
                    "record_version": record.record_version,
                    "form_version": record.form_version,
                    "stage": str(evaluation.stage),
                    "status": str(record.status),
                    "correction": correction,
                    "values": {k: v for k, v in values.items() if v is not None},
                    "accepted_warnings": [
                        {
                            "variable": w.variable,
                            "code": w.code,
                            "index": w.index,
                            "reason": w.reason,
                        }
                        for w in record.accepted_warnings
                    ],
                },
            )
        )
        if done % 250 == 0 or done == total:
            report(PHASE_COLLECT, done, total)
    return records, dropped, read_as


def _installation_id(db: Database) -> uuid.UUID:
    """A random id per installation; record ids are derived from it and the local id."""
    stored = db.get_setting(INSTALLATION_ID_SETTING)
    if isinstance(stored, str):
        return uuid.UUID(stored)
    created = uuid.uuid4()
    db.set_setting(INSTALLATION_ID_SETTING, str(created))
    return created


def _header(
    db: Database,
    plan: Plan,
    records: list[tuple[int, int, dict[str, Any]]],
    submission_id: str,
    now: datetime,
) -> dict[str, object]:
    settings = db.settings
    name = MUNICIPALITIES.name_of(settings.kommunenummer, Period.day(now.date())) or (
        MUNICIPALITIES.name_of(settings.kommunenummer, Period.day(plan.period_to))
    )
    if not name:
        raise UserError(
            f"Kommunenummeret {settings.kommunenummer} i innstillingene finnes ikke i "
            "kommunelisten; rett det før innsending."
        )
    return {
        "format_version": FORMAT_VERSION,
        "form_versions": sorted({r["form_version"] for _p, _v, r in records}),
        "kommunenummer": settings.kommunenummer,
        "kommunenavn": name,
        "bydel": settings.own_bydel,
        "reporting_period": {
            "from": plan.period_from.isoformat(),
            "to": plan.period_to.isoformat(),
        },
        "selection": plan.selection,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submission_id": submission_id,
        "software_version": f"jsdesk {__version__}",
        "record_count": len(records),
        "test_data": plan.test_data,
    }
