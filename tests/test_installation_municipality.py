"""A participation belongs to the installation's municipality.

A kommunenummer that the installation's municipality did not have during the
participation (Drammen: 3005 until 2023, 3301 from 2024) is an error wherever the
record is checked as the installation's: storage (status, overview), ``records``
output, ``validate --kommune``, the submission plan and the file itself.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from engine_support import avsluttet_record, codes_for, run, tenor
from sqlalchemy import select
from storage_helpers import PASSPHRASE

from jsdesk.cli import main
from jsdesk.demo import generate_participations
from jsdesk.domain.code_domains import MUNICIPALITIES
from jsdesk.domain.period import Period
from jsdesk.rules import FindingCode, default_form, evaluate
from jsdesk.storage import Database, Status
from jsdesk.storage.models import AuditEvent

DRAMMEN = "3301"  # the installation's number today
TODAY = date(2026, 11, 29)


def drammen_2023(**changes: object) -> dict[str, object]:
    """A complete record that started and ended in 2023 (Drammen was 3005 then)."""
    values = {"kommunenummer": "3005", "oppstartsdato": "2023-03-01"}
    values.update(changes)
    return avsluttet_record(**values, avslutningsdato="2023-11-30")


# --- the domain --------------------------------------------------------------------


def test_choices__drammen_installation__only_drammens_numbers_in_the_period() -> None:
    in_2023 = Period(date(2023, 3, 1), date(2023, 11, 30))
    across = Period(date(2023, 3, 1), date(2024, 6, 1))
    offered = [c.value for c in MUNICIPALITIES.choices(in_2023, installation=DRAMMEN)]
    assert offered == ["3005"]
    assert [c.value for c in MUNICIPALITIES.choices(across, installation=DRAMMEN)] == [
        "3005",
        "3301",
    ]
    assert len(MUNICIPALITIES.choices(in_2023)) > 300  # without an installation: all


def test_check__oslo_number_in_drammen_installation__other_municipality_in_bokmal() -> None:
    finding = MUNICIPALITIES.check(
        "0301", Period.day(date(2024, 5, 1)), label="Kommune nr", installation=DRAMMEN
    )
    assert finding is not None and finding.code == "OTHER_MUNICIPALITY" and finding.is_error
    assert "hører ikke til installasjonens kommune, Drammen" in finding.message
    assert "nummer 3301" in finding.message


# --- the rule engine ----------------------------------------------------------------


def test_evaluate__drammen_2023_record__valid_in_drammen_installation() -> None:
    evaluation = run(drammen_2023())
    assert evaluation.valid
    form_evaluation = evaluate(
        default_form(), drammen_2023(), allow_synthetic=True, installation=DRAMMEN
    )
    assert form_evaluation.valid, form_evaluation.errors


def test_evaluate__tromso_record__error_only_in_drammen_installation() -> None:
    record = drammen_2023(kommunenummer="5401")  # Tromsø's 2023 number
    assert run(record).valid  # no installation known: any number in force
    evaluation = evaluate(default_form(), record, allow_synthetic=True, installation=DRAMMEN)
    assert codes_for(evaluation, "kommunenummer") == [FindingCode.OTHER_MUNICIPALITY]
    assert not evaluation.valid
    assert evaluation.derived["kommunenavn"] == "Tromsø"  # still a municipality: name kept


def test_evaluate__oslo_record_in_drammen_installation__bydel_neither_locked_nor_flagged() -> None:
    record = drammen_2023(kommunenummer="0301", bydel="030101")
    evaluation = evaluate(default_form(), record, allow_synthetic=True, installation=DRAMMEN)
    assert [f.code for f in evaluation.errors] == [FindingCode.OTHER_MUNICIPALITY]
    assert evaluation.states["bydel"].enabled


# --- storage, records, the submission ------------------------------------------------


@pytest.fixture
def drammen_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "jsdesk.db"
    monkeypatch.setenv("JSDESK_DB", str(path))
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    db, _key = Database.create(path, PASSPHRASE, kommunenummer=DRAMMEN, test_installation=True)
    with db:
        db.import_records(
            [
                drammen_2023(fodselsnummer=tenor(individual=101)),
                drammen_2023(fodselsnummer=tenor(individual=201), kommunenummer="5401"),
            ],
            form_version=default_form().version,
        )
    return path


def test_storage__other_municipality__kladd_with_the_finding(drammen_db: Path) -> None:
    with Database.open(drammen_db, PASSPHRASE) as db:
        own, other = db.get_participation(1), db.get_participation(2)
    assert own.status is Status.KOMPLETT
    assert other.status is Status.KLADD
    assert [f["code"] for f in other.findings] == ["OTHER_MUNICIPALITY"]


def test_records_show__text__names_the_municipality_error(
    drammen_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["records", "show", "2"]) == 0
    out = capsys.readouterr().out
    assert "feil OTHER_MUNICIPALITY kommunenummer" in out
    assert "hører ikke til installasjonens kommune" in out
    assert main(["records", "show", "2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kommunenummer"] == "5401"  # format unchanged


def test_records_import__other_municipality__stored_as_kladd_with_reason(
    drammen_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "poster.json"
    record = drammen_2023(fodselsnummer=tenor(individual=301), kommunenummer="4601")
    source.write_text(json.dumps([record]), encoding="utf-8")
    assert main(["records", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "0 komplett, 1 kladd" in out
    assert "hører ikke til installasjonens kommune" in out


def test_plan_submission__other_municipality__left_out_with_the_reason(drammen_db: Path) -> None:
    from jsdesk.submission.create import plan_submission

    with Database.open(drammen_db, PASSPHRASE) as db:
        plan = plan_submission(db)
    assert plan.included == (1,)
    (left_out,) = plan.excluded
    assert left_out.id == 2
    assert "hører ikke til installasjonens kommune" in left_out.reason
    assert "«Kommune nr»" in left_out.reason


def test_validate__kommune_given__other_municipality_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "poster.json"
    source.write_text(json.dumps([drammen_2023(fodselsnummer=tenor())]), encoding="utf-8")
    assert main(["validate", "--allow-synthetic", str(source)]) == 0
    capsys.readouterr()
    assert main(["validate", "--allow-synthetic", "--kommune", "4601", str(source)]) == 1
    out = capsys.readouterr().out
    assert "feil OTHER_MUNICIPALITY kommunenummer" in out and "Bergen" in out
    assert main(["validate", "--allow-synthetic", "--kommune", DRAMMEN, str(source)]) == 0


def test_validate__unknown_kommune__usage_error_in_bokmal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "poster.json"
    source.write_text("[]", encoding="utf-8")
    assert main(["validate", "--kommune", "9999", str(source)]) == 64
    assert "ikke et kommunenummer" in capsys.readouterr().err


# --- demo data -------------------------------------------------------------------------


def test_demo__drammen_installation__every_record_drammens_number_on_its_start() -> None:
    people = generate_participations(400, 3, today=TODAY, kommunenummer=DRAMMEN)
    form = default_form()
    numbers = set()
    for p in people:
        start = date.fromisoformat(str(p.record["oppstartsdato"]))
        numbers.add(p.record["kommunenummer"])
        assert p.record["kommunenummer"] == ("3005" if start.year == 2023 else "3301")
        assert "bydel" not in p.record
        evaluation = evaluate(
            form, p.record, allow_synthetic=True, today=TODAY, installation=DRAMMEN
        )
        assert FindingCode.OTHER_MUNICIPALITY not in {f.code for f in evaluation.findings}
    assert numbers == {"3005", "3301"}


def test_demo_command__database__every_record_the_installations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    assert main(["demo", "--participants", "60", "--kommune", "1580", "--db", str(path)]) == 0
    capsys.readouterr()
    with Database.open(path, PASSPHRASE) as db:
        assert db.settings.kommunenummer == "1580"
        records = list(db.iter_participations())
    assert len(records) == 60
    assert {r.values["kommunenummer"] for r in records} <= {"1507", "1580"}  # Haram, ex Ålesund
    assert not any(f["code"] == "OTHER_MUNICIPALITY" for r in records for f in r.findings)


def test_open__findings_stored_on_an_older_basis__every_record_assessed_again(
    tmp_path: Path,
) -> None:
    from jsdesk.storage.participations import ASSESSMENT_BASIS, ASSESSMENT_BASIS_SETTING

    path = tmp_path / "jsdesk.db"
    db, _key = Database.create(path, PASSPHRASE, kommunenummer="5501", test_installation=True)
    with db:  # a record of a Tromsø installation, stored as one
        db.import_records(
            [drammen_2023(fodselsnummer=tenor(), kommunenummer="5401")],
            form_version=default_form().version,
        )
        assert db.get_participation(1).status is Status.KOMPLETT
        # As a database from before the check would be: findings of an older basis.
        db.set_setting("kommunenummer", DRAMMEN)
        db.set_setting(ASSESSMENT_BASIS_SETTING, "eldre")
    with Database.open(path, PASSPHRASE) as db:
        record = db.get_participation(1)
        assert record.status is Status.KLADD
        assert [f["code"] for f in record.findings] == ["OTHER_MUNICIPALITY"]
        assert record.record_version == 1  # values untouched
        assert db.get_setting(ASSESSMENT_BASIS_SETTING) == ASSESSMENT_BASIS
        with db.read() as session:
            events = list(session.scalars(select(AuditEvent.action)))
    assert events.count("regler kjørt på nytt") == 1


def test_verify__record_of_another_municipality_than_the_header__rules_check_fails() -> None:
    """The receiver's check: every record belongs to the municipality the file is from."""
    from submission_support import credentials, sample_header

    from jsdesk.submission.container import build_container
    from jsdesk.submission.payload import encode_payload
    from jsdesk.submission.verify import verify_bytes

    own = drammen_2023(fodselsnummer=tenor(individual=101))
    other = drammen_2023(fodselsnummer=tenor(individual=201), kommunenummer="5401")
    header = {**sample_header(2), "kommunenummer": DRAMMEN, "kommunenavn": "Drammen"}
    records = [
        {
            "record_id": f"00000000-0000-4000-8000-00000000000{n}",
            "record_version": 1,
            "form_version": default_form().version,
            "stage": "avsluttet",
            "status": "komplett",
            "correction": False,
            "values": values,
            "accepted_warnings": [],
        }
        for n, values in enumerate((own, other), start=1)
    ]
    creds = credentials()
    container = build_container(encode_payload(header, records), creds.certificate, creds.key)
    report = verify_bytes(container, trusted=[creds.certificate])
    (rules,) = [c for c in report.checks if c.name == "Regler"]
    assert not rules.ok
    assert rules.detail.startswith("1 av 2 poster bryter skjemaets regler")
    assert "hører ikke til installasjonens kommune, Drammen" in rules.detail
