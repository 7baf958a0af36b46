"""A submission export killed (SIGKILL) at any moment leaves no file and changes no status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from submission_support import PASSPHRASE, copy_db, make_template_db

from jsdesk.storage import Database, Status
from jsdesk.submission.create import create_submission, plan_submission

ROOT = Path(__file__).resolve().parent.parent

# Runs an export in a child process and SIGKILLs it at the chosen point.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from jsdesk.storage import Database
    from jsdesk.submission import container, create

    db_path, out, where = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def progress(phase, done, total):
        if phase == where:
            die()

    if where == "mid-write":
        real_write_all = container._write_all
        def half_then_die(fd, data):
            real_write_all(fd, data[: len(data) // 2])
            die()
        container._write_all = half_then_die
    if where == "before-rename":
        real = create.write_atomic
        create.write_atomic = lambda path, data, before_rename, **options: real(
            path, data, before_rename=lambda _temp: die(), **options
        )

    db = Database.open(db_path, sys.argv[4])
    plan = create.plan_submission(db)
    create.create_submission(db, plan, out, progress=progress)
    print("not killed")
    """
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"), records=40)


def _statuses(path: Path) -> dict[int, Status]:
    with Database.open(path, PASSPHRASE) as db:
        return {r.id: r.status for r in db.query_participations(limit=10_000)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "where",
    ["Henter poster", "Bygger og signerer", "Kontrollerer filen", "mid-write", "before-rename"],
)
def test_export__killed__no_file_and_no_status_change(
    template: Path, tmp_path: Path, where: str
) -> None:
    path = copy_db(template, tmp_path / "db")
    out = tmp_path / "ut"
    out.mkdir()
    before = _statuses(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), str(out), where, PASSPHRASE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert visible == []
    assert _statuses(path) == before

    # The next export works, and clears whatever the killed one left behind.
    with Database.open(path, PASSPHRASE) as db:
        assert db.list_submissions() == []
        created = create_submission(db, plan_submission(db), out)
    assert [p.name for p in out.iterdir()] == [created.path.name]
