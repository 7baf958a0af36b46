"""``jsdesk registry import``: extracts applied to participations in a database, on both
back ends (``cli_installation``: ``jsdesk`` finds it through ``JSDESK_DB``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from registry_support import (
    FREG_HEADER,
    PAD_HEADER,
    add_participations,
    synthetic_numbers,
    write_csv,
)
from sqlalchemy import Engine, event, select
from storage_helpers import Installation

from jsdesk.cli import main
from jsdesk.domain.fnr import mask
from jsdesk.registry import import_extract, provenance
from jsdesk.storage.models import RegisterProvenance


@pytest.fixture
def inst(cli_installation: Installation) -> Installation:
    """An empty installation (Oslo, bydel 030101) on each back end."""
    return cli_installation


def _add(inst: Installation, numbers: Sequence[str], **values: object) -> list[int]:
    with inst.reopen() as db:
        return add_participations(db, numbers, **values)


def _values(inst: Installation, pid: int) -> dict[str, object]:
    with inst.reopen() as db:
        return dict(db.get_participation(pid).values)


def _import(extract: Path, *flags: str) -> int:
    return main(["registry", "import", str(extract), *flags])


def test_registry_import__clean_freg_file__values_stored_with_source_and_unknown_listed(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, stranger = synthetic_numbers(3)
    first, second = _add(inst, [a, b])
    extract = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [
            (a, "SOM", "gift", 2015, ""),
            (b, "SYR", "ugift", 2019, ""),
            (stranger, "ERI", "", "", ""),
        ],
    )
    assert _import(extract) == 0
    out = capsys.readouterr().out
    assert f"linje 4: {mask(stranger)} finnes ikke i databasen" in out
    assert stranger not in out
    stored = _values(inst, first)
    assert (stored["fodeland"], stored["sivilstand"], stored["ankomstar"]) == ("SOM", "gift", 2015)
    assert _values(inst, second)["sivilstand"] == "ugift"
    with inst.reopen() as db:
        source = provenance(db, first)
        assert source["sivilstand"]["kilde"] == "FREG"
        assert source["sivilstand"]["fil"] == "freg.csv"
        assert source["ankomstar"]["importert"]
        assert db.count_participations() == 2  # the unknown person was not stored


def test_registry_import__file_with_bad_row__nothing_applied_until_good_rows_chosen(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = synthetic_numbers(2)
    first, second = _add(inst, [a, b])
    extract = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", 2015, ""), (b, "SYR", "gifta", 2019, "")],
    )
    assert _import(extract) == 1
    out = capsys.readouterr().out
    assert "linje 3, sivilstand: «gifta» er ingen sivilstand" in out
    assert "Ingenting er importert" in out
    assert "sivilstand" not in _values(inst, first)

    assert _import(extract, "--apply-good-rows") == 1
    assert _values(inst, first)["sivilstand"] == "gift"
    assert "sivilstand" not in _values(inst, second)
    assert "fodeland" not in _values(inst, second)


def test_registry_import__changed_value__listed_and_kept_until_accepted(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = synthetic_numbers(1)
    (pid,) = _add(inst, [a], sivilstand="ugift", fodeland="SOM")
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, "")])
    assert _import(extract) == 1
    out = capsys.readouterr().out
    assert f"deltakelse {pid} ({mask(a)}), linje 2, sivilstand: ugift → gift" in out
    assert "IKKE er tatt inn" in out
    stored = _values(inst, pid)
    assert stored["sivilstand"] == "ugift"  # not overwritten
    assert stored["ankomstar"] == 2015  # the empty field was filled

    assert _import(extract, "--accept-changes") == 0
    assert "ugift → gift" in capsys.readouterr().out
    assert _values(inst, pid)["sivilstand"] == "gift"


def test_registry_import__pad_results__merged_by_test_and_period(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    running, ended = synthetic_numbers(2)
    (running_id,) = _add(
        inst,
        [running],
        proveresultater=[{"provedato": "2023-05-02", "provetype": 1, "proveresultat": 4}],
    )
    (ended_id,) = _add(inst, [ended], avslutningsdato="2024-06-30")
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
    assert _import(extract) == 0
    out = capsys.readouterr().out
    assert "linje 5" in out and "ingen deltakelse som pågikk" in out
    assert _values(inst, running_id)["proveresultater"] == [
        {"provedato": "2023-05-02", "provetype": 1, "proveresultat": 4},
        {"provedato": "2024-09-01", "provetype": 4, "proveresultat": 6},
    ]
    assert _values(inst, ended_id)["proveresultater"] == [
        {"provedato": "2024-03-01", "provetype": 2, "proveresultat": 5},
    ]


def test_registry_import__pad_result_on_the_end_date__merged_into_that_participation(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    (number,) = synthetic_numbers(1)
    (pid,) = _add(inst, [number], avslutningsdato="2024-06-30")
    extract = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(number, "2024-06-30", 2, 5), (number, "2024-07-01", 2, 6)],
    )
    assert _import(extract) == 0
    out = capsys.readouterr().out
    assert "linje 3" in out and "linje 2 " not in out
    assert _values(inst, pid)["proveresultater"] == [
        {"provedato": "2024-06-30", "provetype": 2, "proveresultat": 5},
    ]


def test_registry_import__wrong_encoding__refused_with_exit_2(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = synthetic_numbers(1)
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, "Ø")], encoding="cp1252"
    )
    assert _import(extract) == 2
    err = capsys.readouterr().err
    assert "ikke UTF-8" in err and "linje 2" in err and "Traceback" not in err


@pytest.mark.slow
def test_registry_import__50000_row_freg_file__matched_rows_stored_rest_listed(
    tmp_path: Path, inst: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = synthetic_numbers(50_000)
    ids = _add(inst, numbers[:20])
    rows = [(number, "SOM", "gift", 2010, "") for number in numbers]
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, rows)
    assert _import(extract) == 0
    out = capsys.readouterr().out
    assert "50000 rader, 50000 uten feil, 0 med feil" in out
    assert "(49980; ikke lagret)" in out
    assert _values(inst, ids[-1])["sivilstand"] == "gift"


def test_registry_import_extract__api_for_gui__report_says_what_was_applied(
    tmp_path: Path, inst: Installation
) -> None:
    a, b = synthetic_numbers(2)
    (first,) = _add(inst, [a])
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(a, "SOM", "gift", 2015, ""), (b, "XYZ", "", "", "")]
    )
    with inst.reopen() as db:
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
    tmp_path: Path, inst: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = synthetic_numbers(3)
    ids = _add(inst, numbers)
    extract = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2015, "") for n in numbers]
    )
    commits: list[object] = []

    def committed(conn: Any) -> None:  # reads end in a rollback: each commit is a write
        commits.append(conn)

    with inst.reopen() as db:
        event.listen(Engine, "commit", committed)
        try:
            report = import_extract(db, extract)
        finally:
            event.remove(Engine, "commit", committed)
    assert report.outcome is not None and report.outcome.participations == 3
    assert len(commits) == 1  # values, provenance and the import log: all or nothing
    assert all(_values(inst, pid)["sivilstand"] == "gift" for pid in ids)


def test_registry_import__participation_deleted__its_provenance_goes_too(
    tmp_path: Path, inst: Installation
) -> None:
    (number,) = synthetic_numbers(1)
    (pid,) = _add(inst, [number])
    extract = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(number, "SOM", "gift", 2015, "")])
    assert _import(extract) == 0
    with inst.reopen() as db:
        assert provenance(db, pid)["sivilstand"]["kilde"] == "FREG"
        db.delete_participation(pid, reason="registrert ved en feil")
        assert provenance(db, pid) == {}
        with db.read() as session:
            left = session.scalars(
                select(RegisterProvenance).where(RegisterProvenance.participation_id == pid)
            ).all()
        assert left == []
