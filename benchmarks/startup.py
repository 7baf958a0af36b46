"""Start-up and responsiveness of the GUI, measured in one run.

    python benchmarks/startup.py [--participants N] [--db PATH]

1. First window: a bare PySide6 window vs jsdesk's first window (each a fresh
   process, from process start to the window painted; median of seven, run
   alternately). Target: jsdesk within 1.5x of bare PySide6.
2. Unlock to filled overview with N participations (default 100,000): from pressing
   "Lås opp" to the table painted with its first rows, printed in all and without the
   passphrase key derivation (Argon2id at OWASP's cost, deliberately slow, timed
   alone). Target: under 0.5 s after the key.
3. Peak RSS of that process. Target: under 250 MB.
4. One change in the wizard: rule re-evaluation plus widget updates (and, separately,
   the whole change including the autosave). Target: under 16 ms.

``--db PATH`` keeps the generated database (a TEST installation) for the next run.
``--frozen DIST/jsdesk/jsdesk`` also times the PyInstaller build's first window (built by
``make dist``) against the same bare PySide6 start. Target: within 1.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PASSPHRASE = "benchmark passordfrase"
RUNS = 7

BARE = """
import time
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1200, 720)
window.show()
window.repaint()
print(time.time())
"""

JSDESK = """
import sys, time
from jsdesk.ui.app import create_main_window
window = create_main_window(["jsdesk", "--db", sys.argv[1]])
window.repaint()
print(time.time())
"""


def first_windows(db_path: Path) -> tuple[float, float]:
    """Median seconds from process start to the first painted window: bare PySide6 and
    jsdesk, run alternately so that load on the machine hits both alike."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("JSDESK_PASSPHRASE", None)
    times: dict[str, list[float]] = {BARE: [], JSDESK: []}
    for _ in range(RUNS):
        for code, runs in times.items():
            started = time.time()
            result = subprocess.run(
                [sys.executable, "-c", code, str(db_path)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            runs.append(float(result.stdout.strip().splitlines()[-1]) - started)
    return statistics.median(times[BARE]), statistics.median(times[JSDESK])


def frozen_first_window(executable: Path, db_path: Path) -> float:
    """Median seconds from process start to the frozen build's first painted window."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("JSDESK_PASSPHRASE", None)
    runs: list[float] = []
    for _ in range(RUNS):
        started = time.time()
        result = subprocess.run(
            [str(executable), "--db", str(db_path), "--startup-probe"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        runs.append(float(result.stdout.strip().splitlines()[-1]) - started)
    return statistics.median(runs)


def build_database(path: Path, count: int) -> None:
    from jsdesk.commands.demo import fill_demo_database
    from jsdesk.storage import Database

    print(f"lager testdatabase med {count:,} deltakelser (én gang) …", flush=True)
    db, _key = Database.create(path, PASSPHRASE, kommunenummer="0301", test_installation=True)
    with db:
        fill_demo_database(db, count, seed=1)


def key_derivation_s(db_path: Path) -> float:
    """Median seconds of the passphrase key derivation alone (Argon2id, slow on purpose)."""
    from jsdesk.storage.files import key_file_path
    from jsdesk.storage.keys import KeyFile

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        KeyFile.read(key_file_path(db_path)).unlock(PASSPHRASE)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def unlock_and_change(db_path: Path) -> tuple[float, int, float, float, float, float]:
    from PySide6.QtWidgets import QApplication

    from jsdesk.ui.app import create_main_window

    kdf = key_derivation_s(db_path)

    os.environ.pop("JSDESK_PASSPHRASE", None)
    window = create_main_window(["jsdesk", "--db", str(db_path)])
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    while window.stack.currentWidget() is window.loading:
        app.processEvents()
    started = time.perf_counter()
    window.unlock(PASSPHRASE)
    window.table.viewport().repaint()
    unlocked = time.perf_counter() - started
    rows = window.model.rowCount()
    for _ in range(20):  # scroll through the table a page at a time
        window.table.verticalScrollBar().setValue(window.table.verticalScrollBar().value() + 2000)
        window.table.viewport().repaint()
    participation_id = window.model.summary(0)
    assert participation_id is not None
    wizard = window.open_participation(participation_id.id)
    assert wizard is not None
    evaluate_times = []
    change_times = []
    for _ in range(20):
        record = dict(wizard.record)
        answer = record.get("omsorgsansvar_barn")
        record["omsorgsansvar_barn"] = 2 if answer == 1 else 1
        wizard.record = record
        started = time.perf_counter()
        wizard.reevaluate()
        evaluate_times.append(time.perf_counter() - started)
        field = wizard.fields["fravar"]
        current = field.value()
        started = time.perf_counter()
        field.edited.emit("fravar", 3 if current != 3 else 2)
        change_times.append(time.perf_counter() - started)
    wizard.close()
    rss_mb = peak_rss_mb()
    window.close()
    return (
        unlocked,
        kdf,
        rows,
        rss_mb,
        statistics.median(evaluate_times),
        statistics.median(change_times),
    )


def peak_rss_mb() -> float:
    """Peak resident memory of this process image.

    Linux: ``VmHWM`` from /proc, because ``ru_maxrss`` carries over the parent's peak
    into a child started with subprocess (the parent may just have built the database).
    Elsewhere ``ru_maxrss``; NaN where neither exists (Windows).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gui_figures(db_path: Path) -> tuple[float, float, int, float, float, float]:
    """Run ``unlock_and_change`` in a fresh process so that its peak RSS is the GUI's own
    (building the test database holds every generated record in memory)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, __file__, "--gui-part", str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    unlocked, kdf, rows, rss_mb, evaluate_s, change_s = json.loads(result.stdout.splitlines()[-1])
    return (
        float(unlocked),
        float(kdf),
        int(rows),
        float(rss_mb),
        float(evaluate_s),
        float(change_s),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="keep/reuse the generated database here")
    parser.add_argument("--frozen", type=Path, help="the frozen build's jsdesk executable")
    parser.add_argument("--gui-part", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gui_part is not None:
        print(json.dumps(unlock_and_change(args.gui_part)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        db_path = args.db or Path(folder) / "startup.db"
        if not db_path.exists():
            build_database(db_path, args.participants)
        bare, ours = first_windows(db_path)
        frozen = frozen_first_window(args.frozen, db_path) if args.frozen else None
        unlocked, kdf, rows, rss_mb, evaluate_s, change_s = gui_figures(db_path)
    ratio = ours / bare
    print(f"bart PySide6-vindu:          {bare * 1000:8.0f} ms")
    print(f"jsdesk første vindu:         {ours * 1000:8.0f} ms  ({ratio:.2f}x, mål ≤ 1.5x)")
    if frozen is not None:
        print(
            f"frossen build første vindu: {frozen * 1000:8.0f} ms  "
            f"({frozen / bare:.2f}x, mål ≤ 1.5x)"
        )
    after_key = unlocked - kdf
    print(f"lås opp → utfylt oversikt:   {unlocked * 1000:8.0f} ms  i alt ({rows:,} rader)")
    print(f"  herav nøkkelutledning:     {kdf * 1000:8.0f} ms  (Argon2id, med vilje treg)")
    print(f"  etter nøkkelen:            {after_key * 1000:8.0f} ms  (mål < 500 ms)")
    print(f"maks RSS:                    {rss_mb:8.0f} MB  (mål < 250 MB)")
    print(f"regelkjøring + felt:         {evaluate_s * 1000:8.1f} ms per endring (mål < 16 ms)")
    print(f"hele endringen m/ lagring:   {change_s * 1000:8.1f} ms per endring")
    within = ratio <= 1.5 and after_key < 0.5 and rss_mb < 250 and evaluate_s < 0.016
    within = within and (frozen is None or frozen / bare <= 1.5)
    print("alle mål nådd" if within else "ikke alle mål nådd")
    return 0


if __name__ == "__main__":
    sys.exit(main())
