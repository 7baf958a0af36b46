"""Benchmark registry extracts: reading and checking a PAD file, importing a FREG file.

Run from the repository root: ``python benchmarks/registry.py``.
Targets (2-core machine, otherwise idle): 50,000 PAD rows read and checked in under 15 s;
50,000 FREG rows imported into a database in under 30 s. Peak memory is printed too.
These figures were timed unit tests once; a test run on a loaded machine is no measure of
speed, so the tests check what was read and stored and this script prints the times.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jsdesk.cli import main
from jsdesk.domain.fnr import synthetic_number
from jsdesk.registry import check_extract, read_extract
from jsdesk.rules import default_form
from jsdesk.storage import Database

ROWS = 50_000
PASSPHRASE = "benchmark-passfrase-2026"
FREG_HEADER = ("fodselsnummer", "fodeland", "sivilstand", "ankomstar", "fodselsar")
PAD_HEADER = ("fodselsnummer", "provedato", "provetype", "proveresultat")


def numbers(count: int) -> list[str]:
    def made() -> Iterator[str]:
        day = dt.date(1975, 1, 1)
        while True:
            for individual in range(100, 500, 7):
                try:
                    yield synthetic_number(day, individual)
                except ValueError:
                    continue
            day += dt.timedelta(days=1)

    result: list[str] = []
    for number in made():
        result.append(number)
        if len(result) == count:
            return result
    return result


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    lines = [";".join(header)] + [";".join(str(value) for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pad_check(folder: Path) -> float:
    people = numbers(ROWS // 4)
    rows = [
        (number, f"2024-0{1 + test}-15", 1 + test, 4 + test % 3)
        for number in people
        for test in range(4)
    ]
    path = write_csv(folder / "pad.csv", PAD_HEADER, rows)
    form = default_form()
    started = time.perf_counter()
    checked = check_extract(read_extract(path), form, allow_synthetic=True)
    elapsed = time.perf_counter() - started
    assert checked.row_count == ROWS
    return elapsed


def freg_import(folder: Path) -> float:
    db_path = folder / "bench.db"
    people = numbers(ROWS)
    db, _recovery = Database.create(
        db_path, PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    version = default_form().version
    for number in people[:20]:
        db.create_participation(
            {
                "fodselsnummer": number,
                "kommunenummer": "0301",
                "bydel": "030101",
                "oppstartsdato": "2024-01-15",
            },
            form_version=version,
        )
    db.close()
    extract = write_csv(
        folder / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2010, "") for n in people]
    )
    os.environ["JSDESK_PASSPHRASE"] = PASSPHRASE
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # one line per unmatched row
        code = main(["registry", "import", str(extract), "--db", str(db_path)])
    elapsed = time.perf_counter() - started
    assert code == 0, f"registry import exit {code}"
    return elapsed


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="jsdesk-bench-registry-") as name:
        folder = Path(name)
        check = pad_check(folder)
        print(f"PAD, {ROWS:,} rows read and checked: {check:.1f} s (target < 15 s)")
        imported = freg_import(folder)
        print(f"FREG, {ROWS:,} rows imported (20 matched): {imported:.1f} s (target < 30 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    run()
