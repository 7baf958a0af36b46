"""``jsdesk registry import``: extracts applied to participations in a database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from registry_support import (
    FREG_HEADER,
    PAD_HEADER,
    add_participations,
    synthetic_numbers,
    write_csv,
)
from sqlalchemy import Engine, event, select

from jsdesk.cli import main
from jsdesk.domain.fnr import mask
from jsdesk.registry import import_extract, provenance
from jsdesk.storage import Database
from jsdesk.storage.models import RegisterProvenance

PASSPHRASE = "korrekt hest batteri stift"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "jsdesk.db"
    db, _recovery = Database.create(path, PASSPHRASE, kommunenummer="0301", test_installation=True)
    db.close()
    return path


def _add(path: Path, numbers: Sequence[str], **values: object) -> list[int]:
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        return add_participations(db, numbers, **values)


def _values(path: Path, pid: int) -> dict[str, object]:
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        return dict(db.get_participation(pid).values)


def _import(path: Path, extract: Path, *flags: str) -> int:
    return main(["registry", "import", str(extract), "--db", str(path), *flags])


def test_registry_import__clean_freg_file__values_stored_with_source_and_unknown_listed(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, stranger = synthetic_numbers(3)
    first, second = _add(db_path, [a, b])
    extract = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [
            (a, "SOM", "gift", 2015, ""),
            (b, "SYR", "ugift", 2019, ""),
            (stranger, "ERI", "", "", ""),
        ],
    )
    assert _import(db_path, extract) == 0
    out = capsys.readouterr().out
    assert f"linje 4: {mask(stranger)} finnes ikke i databasen" in out
    assert stranger not in out
    stored = _values(db_path, first)
    assert (stored["fodeland"], stored["sivilstand"], stored["ankomstar"]) == ("SOM", "gift", 2015)
    assert _values(db_path, second)["sivilstand"] == "ugift"
    with Database.open(db_path, PASSPHRASE, daily_backup=False) as db:
        source = provenance(db, first)
        assert source["sivilstand"]["kilde"] == "FREG"
        assert source["sivilstand"]["fil"] == "freg.csv"
        assert source["ankomstar"]["importert"]
        assert db.count_participations() == 2  # the unknown person was not stored


def test_registry_import__file_with_bad_row__nothing_applied_until_good_rows_chosen(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = synthetic_numbers(2)
    first, second = _add(db_path, [a, b])
    extract = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", 2015, ""), (b, "SYR", "gifta", 2019, "")],
    )
    assert _import(db_path, extract) == 1
    out = capsys.readouterr().out
    assert "linje 3, sivilstand: «gifta» er ingen sivilstand" in out
    assert "Ingenting er importert" in out
    assert "sivilstand" not in _values(db_path, first)

    assert _import(db_path, extract, "--apply-good-rows") == 1
    assert _values(db_path, first)["sivilstand"] == "gift"
    assert "sivilstand" not in _values(db_path, second)
    assert "fodeland" not in _values(db_path, second)


def test_registry_import__changed_value__listed_and_kept_until_accepted(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = synthetic_numbers(1)
    (pid,) = _add(db_path, [a], sivilstand="ugift", fodeland="SOM")
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, "")])
    assert _import(db_path, extract) == 1
    out = capsys.readouterr().out
    assert f"deltakelse {pid} ({mask(a)}), linje 2, sivilstand: ugift → gift" in out
    assert "IKKE er tatt inn" in out
    stored = _values(db_path, pid)
    assert stored["sivilstand"] == "ugift"  # not overwritten
    assert stored["ankomstar"] == 2015  # the empty field was filled

    assert _import(db_path, extract, "--accept-changes") == 0
    assert "ugift → gift" in capsys.readouterr().out
    assert _values(db_path, pid)["sivilstand"] == "gift"


def test_registry_import__pad_results__merged_by_test_and_period(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, ended = synthetic_numbers(2)
    (running_id,) = _add(
        db_path,
        [running],
        proveresultater=[{"provedato": "2023-05-02", "provetype": 1, "proveresultat": 4}],
    )
    (ended_id,) = _add(db_path, [ended], avslutningsdato="2024-06-30")
    extract = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [
            (running, "2023-05-02", 1, 4),  # already stored: unchanged
            (running, "2024-09-01", "PROVE_NORSK_MUNTLIG", "B1"),
            (ended, "2024-03-01", 2, 5),  # during the participation
            (ended, "2025-03-01", 2, 6),  # after it ended: not this participation's
        ],
    )
    assert _import(db_path, extract) == 0
    out = capsys.readouterr().out
    assert "linje 5" in out and "ingen deltakelse som pågikk" in out
    assert _values(db_path, running_id)["proveresultater"] == [
        {"provedato": "2023-05-02", "provetype": 1, "proveresultat": 4},
        {"provedato": "2024-09-01", "provetype": 4, "proveresultat": 6},
    ]
    assert _values(db_path, ended_id)["proveresultater"] == [
        {"provedato": "2024-03-01", "provetype": 2, "proveresultat": 5},
    ]


def test_registry_import__pad_result_on_the_end_date__merged_into_that_participation(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (number,) = synthetic_numbers(1)
    (pid,) = _add(db_path, [number], avslutningsdato="2024-06-30")
    extract = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(number, "2024-06-30", 2, 5), (number, "2024-07-01", 2, 6)],
    )
    assert _import(db_path, extract) == 0
    out = capsys.readouterr().out
    assert "linje 3" in out and "linje 2 " not in out
    assert _values(db_path, pid)["proveresultater"] == [
        {"provedato": "2024-06-30", "provetype": 2, "proveresultat": 5},
    ]


def test_registry_import__wrong_encoding__refused_with_exit_2(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = synthetic_numbers(1)
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, "Ø")], encoding="cp1252"
    )
    assert _import(db_path, extract) == 2
    err = capsys.readouterr().err
    assert "ikke UTF-8" in err and "linje 2" in err and "Traceback" not in err


@pytest.mark.slow
def test_registry_import__50000_row_freg_file__matched_rows_stored_rest_listed(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = synthetic_numbers(50_000)
    ids = _add(db_path, numbers[:20])
    rows = [(number, "SOM", "gift", 2010, "") for number in numbers]
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, rows)
    assert _import(db_path, extract) == 0
    out = capsys.readouterr().out
    assert "50000 rader, 50000 uten feil, 0 med feil" in out
    assert "(49980; ikke lagret)" in out
    assert _values(db_path, ids[-1])["sivilstand"] == "gift"


def test_registry_import_extract__api_for_gui__report_says_what_was_applied(
    tmp_path: Path, db_path: Path
) -> None:
    a, b = synthetic_numbers(2)
    (first,) = _add(db_path, [a])
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, ""), (b, "XYZ", "", "", "")]
    )
    with Database.open(db_path, PASSPHRASE, daily_backup=False) as db:
        report = import_extract(db, extract)
        assert report.outcome is None and not report.complete
        assert report.bad_row_count == 1
        assert [change.variable for change in report.plan.new_values] == [
            "fodeland",
            "sivilstand",
            "ankomstar",
        ]
        assert "sivilstand" not in db.get_participation(first).values

        report = import_extract(db, extract, apply_good_rows=True)
        assert report.outcome is not None and report.outcome.values_set == 3
        assert not report.complete  # the bad row was left out
        assert db.get_participation(first).values["sivilstand"] == "gift"


def test_registry_import__several_participations__one_write_transaction(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = synthetic_numbers(3)
    ids = _add(db_path, numbers)
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2015, "") for n in numbers]
    )
    writes: list[str] = []

    def statement(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.startswith("BEGIN IMMEDIATE"):
            writes.append(sql)

    with Database.open(db_path, PASSPHRASE, daily_backup=False) as db:
        event.listen(Engine, "before_cursor_execute", statement)
        try:
            report = import_extract(db, extract)
        finally:
            event.remove(Engine, "before_cursor_execute", statement)
    assert report.outcome is not None and report.outcome.participations == 3
    assert len(writes) == 1  # values, provenance and the import log: all or nothing
    assert all(_values(db_path, pid)["sivilstand"] == "gift" for pid in ids)


def test_registry_import__participation_deleted__its_provenance_goes_too(
    tmp_path: Path, db_path: Path
) -> None:
    (number,) = synthetic_numbers(1)
    (pid,) = _add(db_path, [number])
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(number, "SOM", "gift", 2015, "")])
    assert _import(db_path, extract) == 0
    with Database.open(db_path, PASSPHRASE, daily_backup=False) as db:
        assert provenance(db, pid)["sivilstand"]["kilde"] == "FREG"
        db.delete_participation(pid, reason="registrert ved en feil")
        assert provenance(db, pid) == {}
        with db.read() as session:
            left = session.scalars(
                select(RegisterProvenance).where(RegisterProvenance.participation_id == pid)
            ).all()
        assert left == []
