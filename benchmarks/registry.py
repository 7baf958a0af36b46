"""Benchmark registry extracts: reading and checking a PAD file, importing FREG files.

Run from the repository root: ``python benchmarks/registry.py`` (add ``--skip-million``
to leave out the 1,000,000-row file; ``--part NAME [--rows N]`` runs one figure).
Targets (2-core machine, otherwise idle): 50,000 PAD rows read and checked in under 15 s;
50,000 FREG rows imported into a database in under 30 s; a 1,000,000-row FREG file
imported with a peak of under 300 MB (the file is streamed). Each figure is measured in
a process of its own, so its peak memory (RSS) is its own.
These figures were timed unit tests once; a test run on a loaded machine is no measure of
speed, so the tests check what was read and stored and this script prints the times.

Printed 2026-12-02 on main at 15e04cc (`nice -n 10`, 2 cores shared with about eight
other engineers' test runs: load average 11.1 before, 14.7 after; so the wall times are
the load's, the CPU times nearer the program's; "CPU in all" includes writing the file):
    PAD, 50,000 rows read and checked: 27.6 s (target < 15 s); CPU 7.6 s in all; peak memory 83 MB
    FREG, 50,000 rows imported (20 matched): 57.3 s (target < 30 s); CPU 13.2 s in all;
        peak memory 117 MB
    FREG, 1,000,000 rows imported (20 matched): 910.4 s; CPU 198.6 s in all;
        peak memory 259 MB (target < 300 MB)
The 1,000,000-row import was far from the 25 s the unstreamed import took. A profile of
100,000 rows (cProfile, same load) put most of the time in checking each number:
stdnum's ``compact``/``clean`` ran three times a row (27 %), ``fnr.analyse`` 39 % in all,
``person_id`` 18 %, the database lookups 5 %.
Since then each row costs one keyed digest (``fnr.person_id_bytes``: the repeat key and
the database lookup both), the control digits are summed from the characters' codes,
each distinct country, sivilstand, year, date and code (per period) is judged once per
file, a full CSV row's values are zipped from the header, and storage is asked about
10,000 person ids in one parameter (``Backend.one_of``) instead of IN lists of 500.
Printed 2026-12-02 16:52-16:55 UTC at 506892b (`nice -n 5`, load 8.3-9.0 from other
engineers' runs); "CPU" is the import's own:
    FREG, 1,000,000 rows imported (20 matched): 70.0 s, CPU 15.3 s; CPU 32.2 s in all;
        peak memory 252 MB (target < 300 MB)
    FREG, 50,000 rows imported (20 matched): 1.7 s (target < 30 s), CPU 0.9 s;
        peak memory 108 MB
    PAD, 50,000 rows read and checked: 1.1 s (target < 15 s); CPU 1.4 s in all
The import's CPU went 89 s -> 15.3 s for a million rows (about 15 us a row); the wall time
is the load's (2 cores, load 8-9). ``--part million --rows 200000`` times a smaller file.
A file whose every row matches a participation (``--part matched``: 5,000 participations,
5,000 rows, 15,000 new values) costs the apply stage. Storing the participations together
(read 500 at a time, one audit append and one provenance replacement per 500) took it from
13.5 s CPU (33.1 s wall, 179 MB) to 4.0 s CPU (12.9 s wall, 178 MB) at load 3.7-5, 17:06 UTC.
The whole script on main at ab28cec, 17:13-17:17 UTC (`nice -n 5`, load 7.1 before,
6.8 after):
    PAD, 50,000 rows read and checked: 1.9 s (target < 15 s); CPU 1.4 s in all; 96 MB
    FREG, 50,000 rows imported (20 matched): 2.0 s (target < 30 s), CPU 0.8 s; 109 MB
    FREG, 5,000 rows each matching a participation imported: 9.6 s, CPU 3.8 s; 180 MB
    FREG, 1,000,000 rows imported (20 matched): 38.9 s, CPU 15.2 s; CPU 31.6 s in all;
        peak memory 252 MB (target < 300 MB)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from registry_support import FREG_HEADER, PAD_HEADER, add_participations, write_csv

from jsdesk.cli import main
from jsdesk.domain.fnr import synthetic_number
from jsdesk.registry import check_extract, read_extract
from jsdesk.rules import default_form
from jsdesk.storage import Database

ROWS = 50_000
MATCHED = 5_000  # rows of the file whose every row matches a participation
PASSPHRASE = "benchmark-passfrase-2026"


def iter_numbers() -> Iterator[str]:
    """Distinct synthetic numbers, born from 1975 on (about 60 a day)."""
    day = dt.date(1975, 1, 1)
    while True:
        for individual in range(0, 1000, 7):
            try:
                yield synthetic_number(day, individual)
            except ValueError:
                continue
        day += dt.timedelta(days=1)


def numbers(count: int) -> list[str]:
    return list(itertools.islice(iter_numbers(), count))


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


def freg_import(folder: Path, rows: int = ROWS) -> tuple[float, float]:
    """Import ``rows`` FREG rows (20 of them match a participation) through the CLI.

    Returns the import's wall time and CPU time (this process's, writing the file not
    included)."""
    db_path = folder / "bench.db"
    people = numbers(20)
    db, _recovery = Database.create(
        db_path, PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    add_participations(db, people)
    db.close()
    extract = folder / "freg.csv"
    with extract.open("w", encoding="utf-8") as file:  # written a row at a time
        file.write(";".join(FREG_HEADER) + "\n")
        for number in itertools.islice(iter_numbers(), rows):  # the first 20 are in the db
            file.write(f"{number};SOM;gift;;\n")
    os.environ["JSDESK_PASSPHRASE"] = PASSPHRASE
    started, cpu_started = time.perf_counter(), time.process_time()
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        code = main(["registry", "import", str(extract), "--db", str(db_path)])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert code == 0, f"registry import exit {code}"
    return elapsed, cpu


def matched_import(folder: Path, rows: int = MATCHED) -> tuple[float, float]:
    """Import a FREG file of ``rows`` rows that each match a participation (a municipality's
    extract for its own participants): the apply stage's cost. Wall and CPU time."""
    db_path = folder / "bench.db"
    db, _recovery = Database.create(
        db_path, PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    people = numbers(rows)
    db.import_records(
        [
            {
                "fodselsnummer": n,
                "kommunenummer": "0301",
                "bydel": "030101",
                "oppstartsdato": "2024-01-15",
            }
            for n in people
        ],
        form_version=default_form().version,
    )
    db.close()
    extract = write_csv(
        folder / "freg.csv", FREG_HEADER, [(n, "SOM", "gift", 2015, "") for n in people]
    )
    os.environ["JSDESK_PASSPHRASE"] = PASSPHRASE
    started, cpu_started = time.perf_counter(), time.process_time()
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        code = main(["registry", "import", str(extract), "--db", str(db_path)])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert code == 0, f"registry import exit {code}"
    assert f"{3 * rows} nye verdier" in quiet.getvalue()
    return elapsed, cpu


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part(name: str, rows: int) -> None:
    """One figure, in this process: prints its time and this process's peak memory."""
    with tempfile.TemporaryDirectory(prefix="jsdesk-bench-registry-") as folder_name:
        folder = Path(folder_name)
        if name == "pad":
            took = pad_check(folder)
            print(f"PAD, {ROWS:,} rows read and checked: {took:.1f} s (target < 15 s); ", end="")
        elif name == "matched":
            took, cpu = matched_import(folder, rows)
            print(
                f"FREG, {rows:,} rows each matching a participation imported: {took:.1f} s, "
                f"CPU {cpu:.1f} s; ",
                end="",
            )
        else:
            took, cpu = freg_import(folder, rows)
            target = " (target < 30 s)" if name == "freg" else ""
            print(
                f"FREG, {rows:,} rows imported (20 matched): {took:.1f} s{target}, "
                f"CPU {cpu:.1f} s; ",
                end="",
            )
    target = " (target < 300 MB)" if name == "million" else ""
    cpu = time.process_time()
    print(f"CPU {cpu:.1f} s in all; peak memory {peak_mb():.0f} MB{target}", flush=True)


MILLION = 1_000_000


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("pad", "freg", "matched", "million"))
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument(
        "--rows", type=int, help="rows of the large FREG file (default 1,000,000), e.g. 200000"
    )
    args = parser.parse_args()
    if args.part:
        default = {"million": MILLION, "matched": MATCHED}.get(args.part, ROWS)
        part(args.part, args.rows or default)
        return
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    parts = ["pad", "freg", "matched"] + ([] if args.skip_million else ["million"])
    for name in parts:
        rows = ["--rows", str(args.rows)] if args.rows and name == "million" else []
        subprocess.run([sys.executable, __file__, "--part", name, *rows], check=True)
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    run()
