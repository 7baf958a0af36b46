"""Alembic: first schema to head keeps every value; models match migrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, insert
from sqlalchemy.orm import Session
from storage_helpers import PASSPHRASE, fnr
from storage_helpers import raw_rows as connect_raw_rows

from jsdesk.domain.fnr import PersonKey, person_id
from jsdesk.storage import Database, Status, audit, schema
from jsdesk.storage.backup import connect_raw
from jsdesk.storage.check_migrations import main as check_migrations
from jsdesk.storage.connection import make_engine
from jsdesk.storage.files import backup_dir, key_file_path
from jsdesk.storage.keys import KeyFile

FIRST = "0001"


def _tables(path: Path, key: bytes) -> dict[str, list[dict[str, Any]]]:
    conn = connect_raw(path, key)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
            )
        ]
        result: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
            columns = [d[0] for d in cursor.description]
            result[name] = [dict(zip(columns, row, strict=True)) for row in cursor]
        return result
    finally:
        conn.close()


def _first_schema_database(path: Path) -> bytes:
    """A database at the first revision, filled the way jsdesk 0001 stored data."""
    path.parent.mkdir(parents=True)
    key_file, key, _ = KeyFile.create(PASSPHRASE)
    key_file.write(key_file_path(path))
    engine = make_engine(path, key)
    try:
        with engine.connect() as conn:
            schema.upgrade(conn, FIRST)
            conn.commit()
        meta = MetaData()
        meta.reflect(engine)
        now = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
        naive = now.replace(tzinfo=None)  # reflected columns store UTC without offset
        with engine.begin() as conn:
            conn.execute(
                insert(meta.tables["settings"]).values(changed_at=naive),
                [
                    {"key": "kommunenummer", "value": json.dumps("0301"), "blob": None},
                    {"key": "bydel", "value": json.dumps("030104"), "blob": None},
                    {"key": "test_installation", "value": "true", "blob": None},
                    {"key": "signing.p12", "value": None, "blob": b"\x00\xffsertifikat"},
                ],
            )
            conn.execute(
                insert(meta.tables["participations"]),
                [
                    {
                        "id": n,
                        "fnr": fnr(n),
                        "person_id": f"00000000-0000-0000-0000-00000000000{n}",
                        "birth_date": datetime(1980 + n, 1 + n, 1 + n).date(),
                        "fodselsar": 1980 + n,
                        "oppstartsdato": datetime(2023, 1 + n, 2).date(),
                        "avslutningsdato": None if n % 2 else datetime(2024, 1 + n, 3).date(),
                        "values": {"fodselsnummer": fnr(n), "ankomstar": 2010 + n, "liste": [n, 3]},
                        "form_version": "2023.1",
                        "stage": "aktiv" if n % 2 else "avsluttet",
                        "status": str(Status.KOMPLETT if n % 3 else Status.KLADD),
                        "valid": n % 3 != 0,
                        "completeness": {"1": True, "2": n % 2 == 0},
                        "findings": [{"variable": "x", "severity": "warning", "code": "C"}],
                        "record_version": n + 1,
                        "created_at": naive,
                        "changed_at": naive,
                    }
                    for n in range(1, 6)
                ],
            )
            conn.execute(
                insert(meta.tables["accepted_warnings"]),
                [
                    {
                        "participation_id": 2,
                        "variable": "oppstartsdato",
                        "index": None,
                        "code": "AGE_OUT_OF_RANGE",
                        "reason": "Bekreftet",
                        "user": "saksbehandler",
                        "accepted_at": naive,
                    }
                ],
            )
        with Session(engine) as session, session.begin():
            for n in range(1, 6):
                audit.append(session, at=now, action="opprettet", participation_id=n, new={"n": n})
    finally:
        engine.dispose()
    return key


# Columns storage computes from a record's values (``storage.types.columns_for``).
ASSESSED_COLUMNS = {
    "fnr",
    "person_id",
    "birth_date",
    "fodselsar",
    "oppstartsdato",
    "avslutningsdato",
    "stage",
    "valid",
    "completeness",
    "findings",
    "status",
}


def test_migration__first_schema_with_data__every_value_kept_at_head(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jsdesk.db"
    key = _first_schema_database(path)
    before = _tables(path, key)
    assert len(before["participations"]) == 5

    with Database.open(path, PASSPHRASE) as db:
        assert db.settings.bydel == "030104"
        assert db.get_setting("signing.p12") == b"\x00\xffsertifikat"
        record = db.get_participation(3)
        assert record.values == {"fodselsnummer": fnr(3), "ankomstar": 2013, "liste": [3, 3]}
        assert record.submitted_version is None
        assert [w.reason for w in db.get_participation(2).accepted_warnings] == ["Bekreftet"]
        report = db.check()
        assert report.ok, report
        assert report.revision == schema.head_revision() != FIRST

    after = _tables(path, key)
    for table, rows in before.items():
        # A database from before the installation check is assessed again once at
        # open: what storage derives from the values may change, what was typed may not.
        derived = ASSESSED_COLUMNS if table == "participations" else set()
        kept = [
            {column: row[column] for column in rows[0] if column not in derived}
            for row in after[table][: len(rows)]
        ]
        assert kept == [{c: v for c, v in row.items() if c not in derived} for row in rows], table
    assert all(
        any(f["code"] == "UNKNOWN_VARIABLE" for f in json.loads(row["findings"]))
        for row in after["participations"]
    )
    # person_id is keyed since 0007 (docs/person-id.md)
    (secret,) = [row["blob"] for row in after["settings"] if row["key"] == "person_id.key"]
    assert [row["person_id"] for row in after["participations"]] == [
        str(person_id(fnr(n), PersonKey(secret))) for n in range(1, 6)
    ]
    assert all(row["submitted_version"] is None for row in after["participations"])
    triggers = {
        row[0]
        for row in connect_raw_rows(
            path, key, "SELECT name FROM sqlite_master WHERE type='trigger'"
        )
    }
    assert triggers == {"audit_events_no_delete", "audit_events_scrub_only"}
    assert "submissions" in after
    # The automatic backup before the upgrade still holds the first schema.
    (pre_upgrade,) = backup_dir(path).glob("*for-oppgradering*.db")
    conn = connect_raw(pre_upgrade, key)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(FIRST,)]
    finally:
        conn.close()


def test_alembic_check__models_and_migrations__agree() -> None:
    assert check_migrations() == 0
    assert schema.head_revision() == schema.HEAD_REVISION


def test_migration_0012__field_states_from_values_form_and_stored_findings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "jsdesk.db"
    path.parent.mkdir(parents=True)
    key_file, key, _ = KeyFile.create(PASSPHRASE)
    key_file.write(key_file_path(path))
    engine = make_engine(path, key)
    naive = datetime(2025, 3, 4, 5, 6, 7)
    row = {
        "fnr": fnr(1),
        "oppstartsdato": None,
        "stage": "aktiv",
        "status": str(Status.KLADD),
        "valid": False,
        "completeness": {},
        "record_version": 1,
        "created_at": naive,
        "changed_at": naive,
    }
    required = {"variable": "oppstartsdato", "severity": "error", "code": "REQUIRED"}
    try:
        with engine.connect() as conn:
            schema.upgrade(conn, "0011")
            conn.commit()
        json_columns = ("values", "findings", "completeness")
        names = (*row, "id", "form_version", *json_columns)
        table = sa.table(
            "participations",
            *(sa.column(n, sa.JSON if n in json_columns else None) for n in names),
        )
        with engine.begin() as conn:
            conn.execute(
                insert(table),
                [
                    {
                        **row,
                        "id": 1,
                        "form_version": "2023.1",
                        "values": {
                            "fodselsnummer": fnr(1),
                            "fravar": 9,
                            "tiltak_for_jobbsjansen": [88],
                            "bydel": "",
                            "ankomstar": 2010,  # FREG's, not the caseworker's
                        },
                        "findings": [required],
                    },
                    {  # a form this jsdesk does not have: left for its next save
                        **row,
                        "id": 2,
                        "form_version": "1999.1",
                        "values": {"fodselsnummer": fnr(1)},
                        "findings": [],
                    },
                ],
            )
        with engine.connect() as conn:
            schema.upgrade(conn)
            conn.commit()
            states = dict(conn.exec_driver_sql("SELECT id, field_states FROM participations").all())
    finally:
        engine.dispose()
    assert set(states[1].split()) == {
        "fodselsnummer",
        "fravar",
        "?fravar",
        "tiltak_for_jobbsjansen",
        "?tiltak_for_jobbsjansen",
        "!oppstartsdato",
    }
    assert states[2] is None
