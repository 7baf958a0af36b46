"""A submission export killed (SIGKILL) at any moment leaves no file and changes no status.

On both back ends: on a shared database the killed client's open transaction is the
server's to roll back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from storage_helpers import Installation
from submission_support import PASSPHRASE, copy_db, fill, make_template_db

from jsdesk.storage import Status
from jsdesk.submission.create import create_submission, plan_submission

ROOT = Path(__file__).resolve().parent.parent

# Runs an export in a child process and SIGKILLs it at the chosen point.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from jsdesk.storage import Database
    from jsdesk.submission import container, create

    target, out, where = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

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

    if where == "mid-mark":
        # Inside the transaction that records the submission: its marks are written (not
        # committed) when the process dies.
        from jsdesk.storage import submissions
        real_mark = submissions._mark_submitted
        def mark_then_die(session, *args):
            real_mark(session, *args)
            session.flush()
            die()
        submissions._mark_submitted = mark_then_die

    if "://" in target:  # a shared database: the URL holds the login
        db = Database.connect(target)
    else:
        db = Database.open(Path(target), sys.argv[4])
    plan = create.plan_submission(db)
    create.create_submission(db, plan, out, progress=progress)
    print("not killed")
    """
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"), records=40)


def _statuses(installation: Installation) -> dict[int, Status]:
    with installation.reopen() as db:
        return {r.id: r.status for r in db.query_participations(limit=10_000)}


def _prepared(installation: Installation, template: Path, tmp_path: Path) -> Path:
    """40 demo records and a signing certificate on the back end of ``installation`` (a
    copy of the module's local file, or a shared database its submitting login fills);
    returns the empty folder the export writes to."""
    if installation.backend == "sqlite":
        installation.target = copy_db(template, tmp_path / "db")
    else:
        with installation.create(bydel=None) as db:
            fill(db, records=40)
    out = tmp_path / "ut"
    out.mkdir()
    return out


def _killed_export(installation: Installation, out: Path, where: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(installation.target), str(out), where, PASSPHRASE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "where",
    ["Henter poster", "Bygger og signerer", "Kontrollerer filen", "mid-write", "before-rename"],
)
def test_export__killed__no_file_and_no_status_change(
    installation: Installation, template: Path, tmp_path: Path, where: str
) -> None:
    out = _prepared(installation, template, tmp_path)
    before = _statuses(installation)
    _killed_export(installation, out, where)
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert visible == []
    assert _statuses(installation) == before

    # The next export works, and clears whatever the killed one left behind.
    with installation.reopen() as db:
        assert db.list_submissions() == []
        created = create_submission(db, plan_submission(db), out)
    assert [p.name for p in out.iterdir()] == [created.path.name]


@pytest.mark.slow
def test_export__killed_while_marking__no_status_change_and_next_export_sends_them(
    installation: Installation, template: Path, tmp_path: Path
) -> None:
    out = _prepared(installation, template, tmp_path)
    before = _statuses(installation)
    _killed_export(installation, out, "mid-mark")
    # The file was complete before the marking began; the marks, uncommitted, are gone
    # (on a shared database the server rolls the dead client's transaction back and
    # releases its lock on submissions).
    (left,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert _statuses(installation) == before
    with installation.reopen() as db:
        assert db.list_submissions() == []
        plan = plan_submission(db)
        created = create_submission(db, plan, out)
        assert [h.file_name for h in db.list_submissions()] == [created.path.name]
    assert created.path != left and created.record_count == len(plan.included)
    after = _statuses(installation)
    assert {pid for pid, status in after.items() if status == Status.INNSENDT} == set(plan.included)
