"""Coverage measures what QThread workers run (tests/qthread_coverage.py), not only the UI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

WORKER = textwrap.dedent(
    """
    def work(report):
        total = 0
        for number in range(3):
            total += number
            report("teller", number, 3)
        return total
    """
)

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication, QEventLoop, QObject
    app = QCoreApplication([])
    if sys.argv[1] == "hook":
        from qthread_coverage import install
        assert install()
    from jsdesk.ui.background import BackgroundJob
    import worker
    results = []
    loop = QEventLoop()
    def outcome(value):
        results.append(value)
        loop.quit()
    owner = QObject()
    BackgroundJob(owner, worker.work, on_success=outcome, on_failure=outcome).start()
    loop.exec()
    assert results == [3], results
    """
)


def _worker_lines_run(tmp_path: Path, mode: str) -> set[int]:
    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
    (tmp_path / "main.py").write_text(SCRIPT, encoding="utf-8")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS), str(ROOT)]),
        "COVERAGE_FILE": str(tmp_path / f".coverage.{mode}"),
    }
    run = [sys.executable, "-m", "coverage", "run", "--branch", "--rcfile=/dev/null"]
    subprocess.run([*run, "main.py", mode], cwd=tmp_path, env=env, check=True, timeout=300)
    report = tmp_path / f"{mode}.json"
    subprocess.run(
        [
            *(sys.executable, "-m", "coverage", "json", "--rcfile=/dev/null"),
            *("--include=*worker.py", "-o", str(report)),
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    return set(files["worker.py"]["executed_lines"]) if "worker.py" in files else set()


@pytest.mark.slow
def test_coverage__qthread_worker__measured_with_hook_not_without(tmp_path: Path) -> None:
    body = {3, 4, 5, 6, 7}  # the lines inside work(): run only in the worker thread
    assert body <= _worker_lines_run(tmp_path, "hook")
    assert not body & _worker_lines_run(tmp_path, "plain")  # what coverage alone sees
