"""Submissions from the database: which records, statuses, corrections, refusals, safety.

On both back ends: a copy of a local file, or a shared database (bydel Gamle Oslo) that
its login, a member of ``jsdesk_innsender``, fills; the signing certificate is kept where
the program keeps it (``db.signing_store``: on this machine for a shared database)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from small_disk import small_filesystem
from storage_helpers import Installation
from submission_support import PASSPHRASE, copy_db, credentials, fill, make_template_db

from jsdesk.errors import UserError
from jsdesk.storage import Database, Status
from jsdesk.submission import cms, create
from jsdesk.submission.container import PAYLOAD_NAME
from jsdesk.submission.create import create_submission, plan_submission
from jsdesk.submission.credentials import create_test_credentials
from jsdesk.submission.verify import verify_bytes, verify_file


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"))


BYDEL = "030105"


@pytest.fixture
def db(installation: Installation, template: Path, tmp_path: Path) -> Iterator[Database]:
    """30 demo records and a test signing certificate: a copy of the module's local file,
    or a new shared database (bydel Gamle Oslo) filled by its submitting login."""
    if installation.backend == "sqlite":
        database = Database.open(copy_db(template, tmp_path / "db"), PASSPHRASE)
    else:
        database = installation.create(bydel=BYDEL)
        fill(database, records=30, bydel=BYDEL)
    yield database
    database.close()


def _production(installation: Installation) -> Database:
    """A new production installation with no records and no signing certificate: a local
    file, or a shared database set up so by IT (``server init`` without test mode)."""
    if installation.backend == "sqlite":
        path = make_template_db(installation.folder / "prod", records=0, test_installation=False)
        return Database.open(path, PASSPHRASE)
    return installation.create(test=False, bydel=BYDEL)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "ut"
    folder.mkdir()
    return folder


def _statuses(db: Database) -> dict[int, Status]:
    return {r.id: r.status for r in db.query_participations(limit=10_000)}


def _payload(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as archive:
        document: dict[str, object] = json.loads(archive.read(PAYLOAD_NAME))
    return document


def test_plan__mixed_records__complete_in_incomplete_out_with_reason(db: Database) -> None:
    statuses = _statuses(db)
    plan = plan_submission(db)
    complete = {pid for pid, s in statuses.items() if s == Status.KOMPLETT}
    drafts = {pid for pid, s in statuses.items() if s == Status.KLADD}
    assert drafts, "the demo data should contain incomplete records"
    assert set(plan.included) == complete
    assert {e.id for e in plan.excluded} == drafts
    for item in plan.excluded:
        assert item.reason.startswith("Ikke komplett for stadiet")
        assert "*****" in item.masked_fnr


def test_create__test_installation__file_verifies_and_records_become_innsendt(
    db: Database, out: Path
) -> None:
    before = _statuses(db)
    plan = plan_submission(db)
    phases: list[str] = []
    result = create_submission(db, plan, out, progress=lambda p, _d, _t: phases.append(p))
    assert result.path.name.startswith("TEST-jobbsjanse-0301-")
    assert result.path.name.endswith(".asice")
    assert [p.name for p in out.iterdir()] == [result.path.name]
    report = verify_file(result.path, trusted=[credentials().certificate])
    assert report.exit_code == 0, report.lines()
    assert report.test_data and report.record_count == len(plan.included)
    after = _statuses(db)
    for pid, status in before.items():
        expected = Status.INNSENDT if pid in plan.included else status
        assert after[pid] == expected
    assert phases[0] == create.PHASE_COLLECT and phases[-1] == create.PHASE_MARK
    history = db.list_submissions()
    assert [h.file_name for h in history] == [result.path.name]
    assert history[0].record_count == len(plan.included) and history[0].test


def test_create__payload__header_and_records_complete(db: Database, out: Path) -> None:
    result = create_submission(db, plan_submission(db, year=2024), out)
    document = _payload(result.path)
    header = document["header"]
    assert isinstance(header, dict)
    assert header["kommunenummer"] == "0301" and header["bydel"] == "030105"
    assert header["test_data"] is True
    assert header["reporting_period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert header["software_version"].startswith("jsdesk ")
    records = document["records"]
    assert isinstance(records, list) and records
    first = records[0]
    assert "kommunenavn" in first["values"] and "fodselsar" in first["values"]  # derived
    assert all("person_id" not in r["values"] for r in records)  # keyed locally, not sent
    assert first["record_version"] >= 1 and first["correction"] is False


def test_create__nothing_new__refused_and_plan_counts_unchanged(db: Database, out: Path) -> None:
    first = create_submission(db, plan_submission(db), out)
    plan = plan_submission(db)
    assert plan.included == () and plan.unchanged == first.record_count
    with pytest.raises(UserError, match="Ingen poster"):
        create_submission(db, plan, out)
    assert len(list(out.iterdir())) == 1


def test_create__edited_after_submission__next_file_carries_correction(
    db: Database, out: Path
) -> None:
    first = create_submission(db, plan_submission(db), out)
    sent = _payload(first.path)["records"]
    assert isinstance(sent, list)
    pid = plan_submission(db, all_records=True).included[0]
    db.set_value(pid, "fravar", 3 if db.get_participation(pid).values.get("fravar") != 3 else 2)
    record = db.get_participation(pid)
    if not record.valid:
        pytest.fail("the edit should keep the record valid")
    assert record.status == Status.ENDRET
    plan = plan_submission(db)
    assert plan.included == (pid,) and plan.corrections == 1
    second = create_submission(db, plan, out)
    (correction,) = _payload(second.path)["records"]  # type: ignore[misc]
    original = next(r for r in sent if r["record_id"] == correction["record_id"])
    assert correction["correction"] is True
    assert correction["record_version"] > original["record_version"]
    assert db.get_participation(pid).status == Status.INNSENDT


def test_create__all_flag__resends_already_submitted(db: Database, out: Path) -> None:
    first = create_submission(db, plan_submission(db), out)
    plan = plan_submission(db, all_records=True)
    assert len(plan.included) == first.record_count
    second = create_submission(db, plan, out)
    assert _payload(second.path)["header"]["selection"] == "all"  # type: ignore[index]


def test_plan__period__only_participations_in_that_year(db: Database) -> None:
    plan = plan_submission(db, year=2023)
    for pid in plan.included:
        record = db.get_participation(pid)
        start = str(record.values["oppstartsdato"])
        end = record.values.get("avslutningsdato")
        assert start <= "2023-12-31" and (end is None or str(end) >= "2023-01-01")


def test_create__expired_certificate__refused_nothing_written(db: Database, out: Path) -> None:
    old = create_test_credentials("0301", days=10, now=datetime.now(UTC) - timedelta(days=30))
    before = _statuses(db)
    with pytest.raises(UserError, match="utløp"):
        create_submission(db, plan_submission(db), out, credentials=old)
    assert list(out.iterdir()) == []
    assert _statuses(db) == before


def test_create__certificate_expires_soon__warning(db: Database, out: Path) -> None:
    soon = create_test_credentials("0301", days=20)
    result = create_submission(db, plan_submission(db), out, credentials=soon)
    assert any("utløper" in w for w in result.warnings)


def test_create__self_check_fails__no_file_no_status_change(
    db: Database, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _statuses(db)

    def broken(data: bytes, **kwargs: object) -> object:
        report = verify_bytes(data[:-3], **kwargs)  # type: ignore[arg-type]
        return report

    monkeypatch.setattr(create, "verify_bytes", broken)
    with pytest.raises(UserError, match="egenkontrollen"):
        create_submission(db, plan_submission(db), out)
    assert list(out.iterdir()) == []
    assert _statuses(db) == before
    assert db.list_submissions() == []


@pytest.mark.full_disk
def test_create__disk_full_while_writing__bokmal_message_no_file_then_export_works(
    db: Database, tmp_path: Path, out: Path
) -> None:
    before = _statuses(db)
    plan = plan_submission(db)
    # A real full disk: a 4 KiB tmpfs, smaller than the submission file (checked below).
    with small_filesystem(tmp_path / "liten", 4) as small:
        with pytest.raises(UserError) as caught:
            create_submission(db, plan, small)
        assert list(small.iterdir()) == []  # nothing half-written, no temporary file
    message = caught.value.message
    assert "disken er full" in message and "Ingen poster er merket som innsendt" in message
    assert "No space" not in message
    assert _statuses(db) == before
    assert db.list_submissions() == []
    # The program keeps working: the same export to a folder with room succeeds.
    result = create_submission(db, plan, out)
    assert result.path.stat().st_size > 4 * 1024
    assert len(db.list_submissions()) == 1


def test_create__encrypted_to_recipient__p7m_that_decrypts_and_verifies(
    db: Database, out: Path
) -> None:
    recipient = credentials("mottaker")
    result = create_submission(db, plan_submission(db), out, recipient=recipient.certificate)
    assert result.encrypted and result.path.name.endswith(".asice.p7m")
    raw = result.path.read_bytes()
    assert b"fodselsnummer" not in raw
    report = verify_bytes(raw, trusted=[credentials().certificate], decrypt_with=recipient)
    assert report.exit_code == 0, report.lines()
    inner = cms.open_envelope(raw, recipient.certificate, recipient.key)  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(inner)) as archive:
        assert archive.namelist()[0] == "mimetype"


def test_create__production_with_test_certificate__refused(
    installation: Installation, out: Path
) -> None:
    today = datetime.now().date()
    plan = create.Plan((1,), (), today, today, "changed", test_data=False)
    with (
        _production(installation) as production,
        pytest.raises(UserError, match="testsertifikat"),
    ):
        create_submission(
            production,
            plan,
            out,
            credentials=credentials(),
            recipient=credentials("mottaker").certificate,
        )
    assert list(out.iterdir()) == []


def test_create__no_credentials__clear_message(installation: Installation, out: Path) -> None:
    with (
        _production(installation) as production,
        pytest.raises(UserError, match="jsdesk cert import"),
    ):
        create_submission(production, plan_submission(production), out)


@pytest.mark.skipif(
    os.name != "posix", reason="POSIX file modes (Windows: test_storage_owner_only)"
)
def test_create__unencrypted_test_file__owner_only_despite_umask(db: Database, out: Path) -> None:
    import stat

    old = os.umask(0o022)
    try:
        result = create_submission(db, plan_submission(db), out)
    finally:
        os.umask(old)
    assert not result.encrypted
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
