"""Time ``jsdesk demo``: N synthetic participations into a new TEST database.

    python benchmarks/demo.py [N]        (default 100000; target: under 120 s)

Prints the time for generating the records alone and for the whole run
(generation, rule evaluation and storage), and participations per second.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from jsdesk.commands.demo import fill_demo_database
from jsdesk.demo import generate_participations
from jsdesk.storage import Database

PASSPHRASE = "benchmark passordfrase"
TARGET_SECONDS = 120.0


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    started = time.perf_counter()
    generate_participations(count, 1)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        started = time.perf_counter()
        db, _recovery = Database.create(
            path, PASSPHRASE, kommunenummer="0301", test_installation=True
        )
        with db:
            stats = fill_demo_database(db, count, seed=1)
        total = time.perf_counter() - started
    print(f"generering alene:      {generated:8.1f} s")
    print(f"jsdesk demo i alt:     {total:8.1f} s  ({stats.total / total:,.0f} deltakelser/s)")
    print(
        f"mål for 100 000:       {TARGET_SECONDS:8.1f} s  (anslag: {total * 100_000 / count:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
