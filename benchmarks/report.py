"""Time the results and the data-quality list over 100,000 participations.

    python benchmarks/report.py [N]                 (a new TEST database, default 100000)
    JSDESK_PASSPHRASE=… python benchmarks/report.py --db FILE   (an existing database)

Targets: results for a year under 2 s, the data-quality list under 2 s, and
the window stays responsive while either is computed: the work runs in a background
job and the longest pause of the UI thread's event loop (a 10 ms timer) is printed.
Wall and CPU time are both printed; on a shared machine the CPU time is the fair one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from jsdesk.commands.demo import fill_demo_database
from jsdesk.domain.period import Period
from jsdesk.reports.quality import completeness, quality_list
from jsdesk.reports.results import compute_results
from jsdesk.rules import default_form
from jsdesk.storage import Database

PASSPHRASE = "benchmark passordfrase"
TARGET_SECONDS = 2.0
YEAR = 2025


def timed(label: str, action: Callable[[], object]) -> object:
    action()  # warm: imports, SQLAlchemy's statement cache, the page cache
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    verdict = "OK" if wall < TARGET_SECONDS else f"over {TARGET_SECONDS:.0f} s"
    print(f"{label:<34} {wall:6.2f} s wall  {cpu:6.2f} s CPU  ({verdict})")
    return result


def load() -> str:
    """The machine's load average, printed with the figures (a shared machine is slower)."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def ui_pause(db: Database, job: Callable[[Callable[[str, int, int], None]], object]) -> float:
    """The longest gap between 10 ms timer ticks while ``job`` runs in a BackgroundJob."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from jsdesk.ui.background import BackgroundJob

    app = QApplication.instance() or QApplication(["benchmark"])
    clock = QElapsedTimer()
    clock.start()
    longest = 0
    last = 0

    def tick() -> None:
        nonlocal longest, last
        now = clock.elapsed()
        longest = max(longest, now - last)
        last = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    owner = QObject()
    failures: list[BaseException] = []

    def failed(exc: BaseException) -> None:
        failures.append(exc)
        loop.quit()

    worker = BackgroundJob(owner, job, on_success=lambda _result: loop.quit(), on_failure=failed)
    timer.start()
    worker.start()
    loop.exec()
    if failures:
        raise failures[0]
    timer.stop()
    assert app is not None
    return float(longest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="an existing database (JSDESK_PASSPHRASE)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jsdesk-bench-") as folder:
        if args.db is not None:
            db = Database.open(args.db, os.environ["JSDESK_PASSPHRASE"], daily_backup=False)
        else:
            db, _key = Database.create(
                Path(folder) / "demo.db", PASSPHRASE, kommunenummer="0301", test_installation=True
            )
            print(f"Lager {args.count} demodeltakelser …", flush=True)
            fill_demo_database(db, args.count, seed=1, today=date(YEAR + 1, 6, 1))
        with db:
            print(f"maskinens last (1, 5, 15 min): {load()}")
            form = default_form()
            period = Period.year(YEAR)
            total = db.count_participations()
            print(f"{total} deltakelser; resultater for {YEAR}")
            timed("resultater", lambda: compute_results(db, form, period))
            listed = timed("mangler og feil (liste)", lambda: quality_list(db))
            print(f"  {len(listed.items)} mangler og feil")  # type: ignore[attr-defined]
            timed("kompletthet per felt", lambda: completeness(db, form, period))
            pause = ui_pause(db, lambda report: compute_results(db, form, period, progress=report))
            print(f"lengste pause i UI-tråden under resultater: {pause:.0f} ms")
            pause = ui_pause(db, lambda report: quality_list(db, progress=report))
            print(f"lengste pause i UI-tråden under mangler og feil: {pause:.0f} ms")
            pause = ui_pause(db, lambda report: completeness(db, form, period, progress=report))
            print(f"lengste pause i UI-tråden under kompletthet: {pause:.0f} ms")
            print(f"maskinens last (1, 5, 15 min): {load()} (2 kjerner delt med andre)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
