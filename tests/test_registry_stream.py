"""A registry CSV is streamed: rows are read lazily and memory does not follow the file.

Memory is measured with ``tracemalloc`` (Python's own allocations, counted the same
way however loaded the machine is), never with a clock: the import of 4N rows may
use only a small, fixed amount per row more than the import of N rows. The time
and peak RSS of a 1,000,000-row file are printed by ``benchmarks/registry.py``.
"""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
import uuid
from pathlib import Path

import pytest
from pg_support import GAMLE_OSLO, GRUNERLOKKA, PgServer
from registry_support import FREG_HEADER, add_participations, synthetic_numbers, write_csv
from test_server_postgres import _login

from jsdesk.cli import main
from jsdesk.domain.fnr import mask, person_id
from jsdesk.registry import CsvRows, ExtractFileError, plan_extract, read_extract
from jsdesk.registry import apply as apply_module
from jsdesk.rules import default_form
from jsdesk.storage import Database

PASSPHRASE = "korrekt hest batteri stift"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database, _recovery = Database.create(
        tmp_path / "jsdesk.db", PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    yield database  # type: ignore[misc]
    database.close()


def test_registry_stream__csv_rows__read_from_the_file_one_at_a_time(tmp_path: Path) -> None:
    a, b, c = synthetic_numbers(3)
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", 2015, ""), (b, "SYR", "gift", 2016, ""), (c, '"ERI', "", "", "")],
    )
    extract = read_extract(path)  # the broken quote on line 4 is not read yet
    assert isinstance(extract.rows, CsvRows)
    rows = iter(extract.rows)
    first = next(rows)
    assert (first.line, first.values["fodselsnummer"]) == (2, a)
    assert 0 < extract.rows.position < extract.size  # only part of the file read
    assert next(rows).line == 3
    with pytest.raises(ExtractFileError, match="linje 4"):
        next(rows)
    # Each pass reads the file again from the top.
    assert next(iter(extract.rows)).line == 2


def _peak_of_plan(db: Database, path: Path) -> tuple[int, int]:
    """Peak traced bytes while planning the import of ``path``, and the unknown count."""
    form = default_form()
    gc.collect()
    tracemalloc.start()
    try:
        plan = plan_extract(db, read_extract(path), form, allow_synthetic=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, plan.unknown_count


@pytest.mark.slow
def test_registry_stream__four_times_the_rows__memory_per_row_stays_small(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both files fill whole batches, so the batch (held while it is looked up) is the
    # same size for both and only what grows with the file shows in the difference.
    monkeypatch.setattr(apply_module, "BATCH", 500)
    rows = 2_000
    numbers = synthetic_numbers(4 * rows)
    add_participations(db, numbers[:5])
    small = write_csv(
        tmp_path / "small.csv", FREG_HEADER, [(n, "SOM", "gift", 2010, "") for n in numbers[:rows]]
    )
    large = write_csv(
        tmp_path / "large.csv", FREG_HEADER, [(n, "SOM", "gift", 2010, "") for n in numbers]
    )
    _peak_of_plan(db, small)  # first use: caches (form, code lists) filled outside the count
    small_peak, small_unknown = _peak_of_plan(db, small)
    large_peak, large_unknown = _peak_of_plan(db, large)
    assert (small_unknown, large_unknown) == (rows - 5, 4 * rows - 5)
    # Holding the rows (as before: raw row, checked row, unknown person) costs over
    # 400 bytes a row; streaming keeps only a duplicate digest (about 85 bytes).
    per_row = (large_peak - small_peak) / (3 * rows)
    assert per_row < 200, f"{per_row:.0f} bytes per extra row"


def test_registry_stream__conflicting_repeat_after_a_batch__both_rows_left_out(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_module, "BATCH", 2)  # the first rows are looked up already
    known, stranger, other = synthetic_numbers(3)
    (pid,) = add_participations(db, [known])
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [
            (known, "SOM", "gift", 2015, ""),
            (stranger, "ERI", "", "", ""),
            (other, "SYR", "", "", ""),
            (known, "SOM", "ugift", 2015, ""),  # other values: neither row can be trusted
            (stranger, "ETH", "", "", ""),
        ],
    )
    plan = plan_extract(db, read_extract(path), default_form(), allow_synthetic=True)
    assert plan.checked.bad_row_count == 4
    assert sorted({p.line for p in plan.checked.problems}) == [2, 3, 5, 6]
    assert plan.new_values == () and plan.changes == ()
    assert [(u.line, u.masked_fnr) for u in plan.unknown] == [(4, mask(other))]
    assert plan.unknown_count == 1
    assert plan.checked.good == ()
    assert pid not in {change.participation_id for change in plan.new_values}


def test_registry_stream__cli__progress_on_stderr_for_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    db_path = tmp_path / "jsdesk.db"
    database, _recovery = Database.create(
        db_path, PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    database.close()
    numbers = synthetic_numbers(12_000)  # about 320 kB
    path = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2010, "") for n in numbers]
    )
    assert path.stat().st_size > 256_000
    assert main(["registry", "import", str(path), "--db", str(db_path)]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("Kontrollert")]
    assert lines[-1] == "Kontrollert 100 % av filen (12000 rader) …"
    # Told after each batch of rows as it passes a tenth, not only at the end.
    assert lines[0] == "Kontrollert 40 % av filen (5000 rader) …"
    assert "… og 11000 til." in captured.out  # unknown persons: the first 1000 listed


def test_registry_stream__persons_looked_up_many_at_a_time__found_on_each_back_end(
    any_db: Database,
) -> None:
    # Storage is asked about a whole batch of persons in one parameter: 12,000 ids of
    # which two are in the database.
    numbers = synthetic_numbers(3)
    first, second, _third = add_participations(any_db, numbers)
    key = any_db.person_key
    asked = [str(person_id(n, key)) for n in numbers[:2]]
    asked += [str(uuid.UUID(int=n)) for n in range(12_000)]  # nobody's
    found = any_db.participations_of_persons(asked)
    assert {person: [row[0] for row in rows] for person, rows in found.items()} == {
        asked[0]: [first],
        asked[1]: [second],
    }
    assert found[asked[0]][0][1:] == (dt.date(2024, 1, 15), None)


def test_registry_stream__shared__another_bydels_persons__not_found(
    pg_server: PgServer, oslo_server: str, tmp_path: Path
) -> None:
    # Row-level security holds for the batch lookup: bror (Grünerløkka) imports a
    # file naming anna's participant (Gamle Oslo) and is told the person is unknown.
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GRUNERLOKKA])
    (number,) = synthetic_numbers(1)
    with Database.connect(anna) as db:
        db.create_participation(
            {
                "fodselsnummer": number,
                "kommunenummer": "0301",
                "bydel": GAMLE_OSLO,
                "oppstartsdato": "2024-01-15",
            },
            form_version=default_form().version,
        )
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(number, "SOM", "gift", 2015, "")])
    with Database.connect(bror) as db:
        plan = plan_extract(db, read_extract(path), default_form(), allow_synthetic=True)
        assert [(u.line, u.reason) for u in plan.unknown] == [(2, "finnes ikke i databasen")]
    with Database.connect(anna) as db:
        plan = plan_extract(db, read_extract(path), default_form(), allow_synthetic=True)
        assert plan.unknown == () and len(plan.new_values) == 3
