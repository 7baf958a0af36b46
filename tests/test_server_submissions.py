"""Two submitters on one shared database at the same time (a real server, real processes).

No record goes into two submission files, no "submitted" mark is lost, the audit holds
one event per mark under the login that made it, and its chain verifies. The signing
certificate is each submitter's own, kept on their machine (never in the database).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pg_support import PgServer
from storage_helpers import REPO_ROOT
from submission_support import credentials
from test_server_postgres import _plain

from jsdesk.demo import generate_records
from jsdesk.errors import UserError
from jsdesk.rules import default_form
from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server
from jsdesk.submission.create import (
    PHASE_MARK,
    SubmissionResult,
    create_submission,
    plan_submission,
)

RECORDS = 12


@pytest.fixture
def submitters(pg_server: PgServer, pg_url: str) -> tuple[str, str, str]:
    """The owner's URL and two submitters' (whole municipality), with demo records."""
    init_server(pg_url, None, kommunenummer="0301", bydeler=[], test_installation=True)
    name = urlsplit(pg_url).path[1:]
    urls = []
    for login in ("innsender_a", "innsender_b"):
        add_user(pg_url, None, login, bydeler=[], submitter=True, new_password=f"{login} passord")
        urls.append(pg_server.url(login, f"{login} passord", name))
    with Database.connect(urls[0]) as db:
        db.import_records(generate_records(RECORDS, 7), form_version=default_form().version)
        assert len(plan_submission(db).included) > 2
    return pg_url, urls[0], urls[1]


def _jsdesk(args: list[str], data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "JSDESK_DATA_DIR": str(data)}
    env.pop("JSDESK_PASSPHRASE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "jsdesk", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_consistent(owner: str, out_dirs: list[Path]) -> dict[str, list[int]]:
    """Each participation in at most one submission; files, marks and audit agree."""
    with _plain(owner) as conn:
        per_submission: dict[str, list[int]] = {}
        for sid, pid in conn.execute(
            "SELECT submission_id, participation_id FROM submitted_records ORDER BY 2"
        ):
            per_submission.setdefault(sid, []).append(pid)
        files = {r[0]: r[1] for r in conn.execute("SELECT id, file_name FROM submissions")}
        marked = dict(
            conn.execute(
                "SELECT id, submitted_version FROM participations "
                "WHERE submitted_version IS NOT NULL"
            ).fetchall()
        )
        events = conn.execute(
            "SELECT variable, participation_id, os_user FROM audit_events "
            "WHERE action = 'innsendt' ORDER BY participation_id"
        ).fetchall()
    every = [pid for pids in per_submission.values() for pid in pids]
    assert len(every) == len(set(every)), "a participation went into two submissions"
    assert sorted(every) == sorted(marked), "a submitted mark is missing or extra"
    assert sorted((sid, pid) for sid, pid, _user in events) == sorted(
        (sid, pid) for sid, pids in per_submission.items() for pid in pids
    )
    written = sorted(p.name for folder in out_dirs for p in folder.iterdir())
    assert written == sorted(files.values()), "a file on disk is not in the history (or back)"
    with Database.connect(owner) as db:
        report = db.check()
    assert report.ok, report
    return per_submission


def test_two_processes_submit_at_once__no_record_twice_no_mark_lost(
    submitters: tuple[str, str, str], tmp_path: Path
) -> None:
    owner, url_a, url_b = submitters
    runs = []
    for index, url in enumerate((url_a, url_b)):
        data, out = tmp_path / f"maskin{index}", tmp_path / f"ut{index}"
        out.mkdir()
        made = _jsdesk(["cert", "create-test", "--db", url], data)
        output = made.communicate(timeout=180)
        assert made.returncode == 0, output
        runs.append((data, out))
    # The signing key stayed on each machine: nothing of it is in the shared database.
    with _plain(owner) as conn:
        assert conn.execute("SELECT key FROM settings WHERE key LIKE 'signing.%'").fetchall() == []
    processes = [
        _jsdesk(["submission", "create", "--db", url, "--out", str(out)], data)
        for url, (data, out) in zip((url_a, url_b), runs, strict=True)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    results = [(p.returncode, err) for p, (_out, err) in zip(processes, outputs, strict=True)]
    assert any(code == 0 for code, _err in results), outputs
    for code, err in results:
        if code != 0:  # the later one: told in Bokmål, nothing of it kept
            assert "Traceback" not in err
            assert "samme" in err or "Ingen poster å sende inn" in err, err
    per_submission = _check_consistent(owner, [out for _data, out in runs])
    with Database.connect(owner) as db:
        assert sum(len(p) for p in per_submission.values()) == len(
            plan_submission(db, all_records=True).included
        )
        assert plan_submission(db).included == ()


def _out_folders(tmp_path: Path) -> tuple[Path, Path]:
    """Each submitter's own folder for its file."""
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    out_a.mkdir()
    out_b.mkdir()
    return out_a, out_b


def _only_the_first_kept(
    owner: str, out_a: Path, out_b: Path, first: SubmissionResult
) -> dict[str, list[int]]:
    """The refused submission left no file; only the first one is in the history."""
    assert list(out_b.iterdir()) == []
    per_submission = _check_consistent(owner, [out_a, out_b])
    assert list(per_submission) == [first.submission_id]
    return per_submission


def test_planned_before_the_other_submitted__left_out_not_sent_twice(
    submitters: tuple[str, str, str], tmp_path: Path
) -> None:
    owner, url_a, url_b = submitters
    out_a, out_b = _out_folders(tmp_path)
    with Database.connect(url_a) as a, Database.connect(url_b) as b:
        plan_a, plan_b = plan_submission(a), plan_submission(b)
        assert plan_a.included == plan_b.included
        first = create_submission(a, plan_a, out_a, credentials=credentials("a"))
        with pytest.raises(UserError) as refused:
            create_submission(b, plan_b, out_b, credentials=credentials("b"))
    assert "sendt inn av en annen innsending i mellomtiden" in refused.value.message
    _only_the_first_kept(owner, out_a, out_b, first)


def test_other_submitted_while_this_file_was_written__refused_file_removed(
    submitters: tuple[str, str, str], tmp_path: Path
) -> None:
    owner, url_a, url_b = submitters
    out_a, out_b = _out_folders(tmp_path)
    made: list[SubmissionResult] = []
    with Database.connect(url_a) as a, Database.connect(url_b) as b:
        plan_a, plan_b = plan_submission(a), plan_submission(b)

        def other_submits_first(phase: str, done: int, _total: int) -> None:
            # b's file is written and about to be marked: a's whole submission runs now.
            if phase == PHASE_MARK and done == 0 and not made:
                made.append(create_submission(a, plan_a, out_a, credentials=credentials("a")))

        with pytest.raises(UserError) as refused:
            create_submission(b, plan_b, out_b, other_submits_first, credentials=credentials("b"))
    assert made, "the other submission did not run"
    assert "En annen innsending tok med" in refused.value.message
    assert "slettet" in refused.value.message
    per_submission = _only_the_first_kept(owner, out_a, out_b, made[0])
    assert len(per_submission[made[0].submission_id]) == made[0].record_count


def test_caseworker_not_submitter__refused_in_bokmal__no_file_no_mark(
    pg_server: PgServer, submitters: tuple[str, str, str], tmp_path: Path
) -> None:
    owner, _url_a, _url_b = submitters
    add_user(owner, None, "kari", bydeler=[], new_password="karis passord")
    kari = pg_server.url("kari", "karis passord", urlsplit(owner).path[1:])
    out = tmp_path / "ut"
    out.mkdir()
    with Database.connect(kari) as db:
        plan = plan_submission(db)
        assert plan.included  # she sees and may change the records, but not submit them
        with pytest.raises(UserError) as refused:
            create_submission(db, plan, out, credentials=credentials("kari"))
    assert "tilgang" in refused.value.message
    assert list(out.iterdir()) == []  # the file made before the refusal is gone
    with _plain(owner) as conn:
        assert conn.execute("SELECT count(*) FROM submissions").fetchone() == (0,)
        marked = conn.execute(
            "SELECT count(*) FROM participations WHERE submitted_version IS NOT NULL"
        ).fetchone()
    assert marked == (0,)
