"""person_id keyed to the installation, and masked outputs that do not give the number away.

The attack these tests repeat: from a masked number, which shows the birth
date, the attacker lists every number with that birth date and valid control digits
(about a hundred) and looks for one whose public identifier appears in the same output.
With the old uuid5 person_id under a public namespace that found every number.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdnum.no import fodselsnummer as stdnum_fnr
from storage_helpers import (
    PASSPHRASE,
    Installation,
    db_key,
    fnr,
    new_db,
    raw_execute,
    raw_rows,
    record,
    rewind,
)

from jsdesk.cli import main
from jsdesk.domain.fnr import PersonKey, person_id
from jsdesk.reports.export import QUALITY_HEADINGS, quality_rows, write_list
from jsdesk.reports.quality import quality_list
from jsdesk.rules import default_form, evaluate
from jsdesk.rules.findings import FindingCode
from jsdesk.storage import Database
from jsdesk.storage.models import AuditEvent

FORM_VERSION = "2023.1"
# The namespace jsdesk used up to 0006 (public: it was in the source and the docs).
OLD_NAMESPACE = uuid.UUID("012bb594-e38a-4407-98b5-ca4d4d05fe7d")
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
PEOPLE = range(1, 9)


def candidates(prefix: str) -> list[str]:
    """Every number starting with the six shown digits that has valid control digits."""
    found = []
    for individual in range(1000):
        base = f"{prefix}{individual:03d}"
        k1 = stdnum_fnr.calc_check_digit1(base)
        if len(k1) != 1:
            continue
        k2 = stdnum_fnr.calc_check_digit2(base + k1)
        if len(k2) == 1:
            found.append(base + k1 + k2)
    return found


def recovered(shown: str) -> set[str]:
    """Full numbers an attacker finds from ``shown`` with every public identifier."""
    ids = {match.lower() for match in UUID_TEXT.findall(shown)}
    hits: set[str] = set()
    for prefix in set(re.findall(r"(\d{6})\*{5}", shown)):
        for number in candidates(prefix):
            if str(uuid.uuid5(OLD_NAMESPACE, number)) in ids:
                hits.add(number)
    return hits


# --- the key and the formula ----------------------------------------------------------


def test_person_id__hmac_sha256_under_the_key__as_version_8_uuid() -> None:
    key = PersonKey(bytes(range(32)))
    number = fnr(1)
    mac = hmac.new(bytes(range(32)), number.encode(), hashlib.sha256).digest()
    expected = bytearray(mac[:16])
    expected[6] = 0x80 | (expected[6] & 0x0F)
    expected[8] = 0x80 | (expected[8] & 0x3F)
    assert person_id(number, key) == uuid.UUID(bytes=bytes(expected))
    assert person_id(number, key).version == 8
    assert person_id(number[:6] + " " + number[6:], key) == person_id(number, key)
    assert person_id(number, PersonKey(bytes(32))) != person_id(number, key)
    assert person_id(number, key) != uuid.uuid5(OLD_NAMESPACE, number)


def test_person_key__repr_and_size__never_shows_the_secret() -> None:
    key = PersonKey.random()
    assert key.secret.hex() not in repr(key) and "hemmelig" in repr(key)
    with pytest.raises(ValueError):
        PersonKey(b"kort")


def test_evaluate__no_key__no_person_id_and_given_one_not_judged() -> None:
    values = {**record(1), "person_id": str(uuid.uuid5(OLD_NAMESPACE, fnr(1)))}
    without = evaluate(default_form(), values, allow_synthetic=True)
    assert without.derived["person_id"] is None
    assert FindingCode.DERIVED_MISMATCH not in {f.code for f in without.findings}


def test_evaluate__given_person_id_wrong__message_shows_no_identifier() -> None:
    key = PersonKey.random()
    given = str(uuid.uuid5(OLD_NAMESPACE, fnr(1)))
    evaluation = evaluate(
        default_form(), {**record(1), "person_id": given}, allow_synthetic=True, person_key=key
    )
    [finding] = [f for f in evaluation.findings if f.variable == "person_id"]
    assert finding.code is FindingCode.DERIVED_MISMATCH
    assert not UUID_TEXT.search(finding.message)
    assert "PersonId" in finding.message and "Fjern verdien" in finding.message


# --- validate without a database: a key for the run -----------------------------------


def test_validate__no_database__person_id_keyed_for_this_run_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "poster.json"
    source.write_text(json.dumps([record(1), record(1, oppstartsdato="2025-03-01")]), "utf-8")
    runs = []
    for _ in range(2):
        main(["validate", "--allow-synthetic", "--format", "json", str(source)])
        runs.append([r["derived"]["person_id"] for r in json.loads(capsys.readouterr().out)])
    assert runs[0][0] == runs[0][1]  # the same person within a run
    assert runs[0][0] != runs[1][0]  # and nothing to link across runs
    assert str(uuid.uuid5(OLD_NAMESPACE, fnr(1))) not in runs[0] + runs[1]


# --- the installation's key ---------------------------------------------------------


def test_database__key_made_at_init__person_id_stable_per_installation(tmp_path: Path) -> None:
    db, _recovery = new_db(tmp_path)
    with db:
        db.import_records([record(1, avslutningsdato="2024-06-30")], form_version=FORM_VERSION)
        stored = db.query_participations(limit=10)[0].person_id
    with Database.open(db.path, PASSPHRASE) as again:
        again.import_records([record(1, oppstartsdato="2025-03-01")], form_version=FORM_VERSION)
        assert {s.person_id for s in again.query_participations(limit=10)} == {stored}
    other, _ = new_db(tmp_path, name="annen.db")
    with other:
        other.import_records([record(1)], form_version=FORM_VERSION)
        assert other.query_participations(limit=10)[0].person_id != stored
    assert stored != str(uuid.uuid5(OLD_NAMESPACE, fnr(1)))
    key_rows = raw_rows(
        db.path, db_key(db.path), "SELECT blob FROM settings WHERE key = 'person_id.key'"
    )
    assert len(key_rows) == 1 and len(key_rows[0][0]) == 32
    assert stored == str(person_id(fnr(1), PersonKey(key_rows[0][0])))


def test_database__person_key__never_in_the_audit_trail(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        secret = db.person_key.secret
        db.import_records([record(1)], form_version=FORM_VERSION)
        with db.read() as session:
            events = session.query(AuditEvent).all()
    text = " ".join(f"{e.old_value} {e.new_value}" for e in events)
    assert secret.hex() not in text and repr(secret) not in text


# --- what masked outputs show ---------------------------------------------------------


@pytest.fixture
def filled(installation: Installation) -> Iterator[Database]:
    """Participations of synthetic people, on each back end; one was imported with the old
    uuid5 person_id."""
    db = installation.create()
    records = [record(n) for n in PEOPLE]
    records[0]["person_id"] = str(uuid.uuid5(OLD_NAMESPACE, fnr(1)))
    db.import_records(records, form_version=FORM_VERSION)
    with db:
        yield db


def _every_person_id(db: Database) -> set[str]:
    return {str(s.person_id) for s in db.query_participations(limit=100)}


def test_records_list__masked__no_person_id_and_nothing_recovered(
    filled: Database,
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keyed = _every_person_id(filled)
    filled.close()
    monkeypatch.setenv("JSDESK_DB", str(installation.target))
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    outputs = []
    for form in ("text", "json"):
        assert main(["records", "list", "--format", form]) == 0
        outputs.append(capsys.readouterr().out)
    shown = "\n".join(outputs)
    assert fnr(2)[:6] + "*****" in shown  # the masked numbers are there
    assert not UUID_TEXT.search(shown)
    assert not keyed & set(shown.split())
    assert recovered(shown) == set()
    assert "person_id" not in json.loads(outputs[1])[0]


def test_quality_export__masked__no_identifier_and_nothing_recovered(
    filled: Database, tmp_path: Path
) -> None:
    items = quality_list(filled).items
    assert any(item.variable == "person_id" for item in items)  # the given uuid5 is refused
    path = tmp_path / "mangler.csv"
    write_list(path, "Mangler og feil", QUALITY_HEADINGS, quality_rows(items))
    shown = path.read_text("utf-8-sig")
    assert fnr(1)[:6] + "*****" in shown
    rows = list(csv.reader(shown.splitlines(), delimiter=";"))
    assert len(rows) == 1 + len(items)
    assert not UUID_TEXT.search(shown)
    assert recovered(shown) == set()


def test_print__masked__no_person_id_and_nothing_recovered(filled: Database) -> None:
    from jsdesk.ui.print_record import participation_html

    shown = []
    for summary in filled.query_participations(limit=100):
        values = filled.get_participation(summary.id).values
        shown.append(
            participation_html(default_form(), values, title="x", status="komplett", show_fnr=False)
        )
    text = "\n".join(shown)
    assert "*****" in text and "PersonId" not in text
    assert not UUID_TEXT.search(text)
    assert recovered(text) == set()


# --- migration 0007 -------------------------------------------------------------------


def test_migration_0007__uuid5_database__ids_recomputed_given_ones_removed_and_recorded(
    tmp_path: Path,
) -> None:
    db, _ = new_db(tmp_path)
    with db:
        stored = db.import_records([record(n) for n in PEOPLE], form_version=FORM_VERSION)
    path, key = db.path, db_key(db.path)
    # Back to what jsdesk 0006 stored: uuid5 ids, no key, one import that gave its id.
    rewind(path, key, "0006")
    for item in stored:
        number = fnr(PEOPLE[item.position - 1])
        raw_execute(
            path,
            key,
            "UPDATE participations SET person_id = ? WHERE id = ?",
            (str(uuid.uuid5(OLD_NAMESPACE, number)), item.id),
        )
    given = str(uuid.uuid5(OLD_NAMESPACE, fnr(1)))
    raw_execute(
        path,
        key,
        'UPDATE participations SET "values" = json_set("values", \'$.person_id\', ?), '
        "findings = json_insert(findings, '$[#]', json(?)) WHERE id = ?",
        (
            given,
            json.dumps({"variable": "person_id", "code": "DERIVED_MISMATCH", "message": given}),
            stored[0].id,
        ),
    )
    raw_execute(path, key, "DELETE FROM settings WHERE key = 'person_id.key'")

    with Database.open(path, PASSPHRASE) as migrated:
        secret = raw_rows(path, key, "SELECT blob FROM settings WHERE key = 'person_id.key'")
        person_key = PersonKey(secret[0][0])
        assert migrated.person_key == person_key
        for item in stored:
            summary = migrated.query_participations(search=None, limit=100)
            ids = {s.id: s.person_id for s in summary}
            assert ids[item.id] == str(person_id(fnr(PEOPLE[item.position - 1]), person_key))
        first = migrated.get_participation(stored[0].id)
        assert "person_id" not in first.values
        assert all(f["variable"] != "person_id" for f in first.findings)
        report = migrated.check()
        assert report.ok, report
        with migrated.read() as session:
            event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).all()
        actions = [e.action for e in event]
        assert "nøkkelbasert person-id" in actions
        recorded = next(e for e in event if e.action == "nøkkelbasert person-id")
        assert json.loads(str(recorded.new_value))["fjernet_oppgitt_person_id"] == [stored[0].id]
    dump = "\n".join(str(row) for row in raw_rows(path, key, "SELECT * FROM participations"))
    assert given not in dump
