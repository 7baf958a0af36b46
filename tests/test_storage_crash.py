"""Crash safety: SIGKILL a writing process many times; nothing reported saved is lost.

The writer's test runs on both back ends (a caseworker's jsdesk killed mid-save on the
shared database too); kills during backups, close and key-file writes are the local
file's by nature (``sqlite_only``: the shared database has none of them).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from storage_helpers import FORM_VERSION, PASSPHRASE, REPO_ROOT, Installation, new_db

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import check_file, daily_backups, list_backups, partial_files
from jsdesk.storage.models import AuditEvent, Participation

KILLS = 20

WRITER = """
import sys
from pathlib import Path
from jsdesk.rules import default_form
from jsdesk.storage import Database, database_target
run = sys.argv[2]
db = Database.open_target(database_target(sys.argv[1]), sys.argv[3], daily_backup=False)
default_form()
i = 0
while True:
    marker = f"{run}-{i}"
    pid = db.create_participation({"kommunenummer": "0301", "merke": marker}, form_version="2023.1")
    print(f"c {pid} {marker}", flush=True)
    db.set_value(int(sys.argv[4]), "teller", marker)
    print(f"s {marker}", flush=True)
    if i == 0:
        print("ready", flush=True)  # after the first writes, so the kill lands among writes
    i += 1
"""


def _other_sessions(owner_url: str) -> list[tuple[object, ...]]:
    """The shared database's server sessions and locks other than the owner's asking
    connection: what killed clients would have left behind."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        sessions = conn.execute(
            "SELECT pid, usename, state, xact_start IS NOT NULL FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchall()
        locks = conn.execute(
            "SELECT l.pid, l.locktype, l.mode FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid AND a.backend_type = 'client backend' "
            "WHERE l.pid <> pg_backend_pid() AND (l.database IS NULL OR "
            "l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
        ).fetchall()
    return [*sessions, *locks]


def _none_left(owner_url: str, seconds: float = 10.0) -> None:
    """The server lets go of a killed client's session, transaction and locks at once
    (its connection closed); ``seconds`` is the patience for the server to notice."""
    deadline = time.monotonic() + seconds
    left = _other_sessions(owner_url)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _other_sessions(owner_url)
    assert left == [], left


def _replayed(db: Database) -> None:
    """No half-applied change: every participation's values are what its audit events
    say, and its record version counts its changes (the writer changes one field a save)."""
    with db.read() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        rows = session.scalars(select(Participation)).all()
    replay: dict[int, dict[str, object]] = {}
    changes: dict[int, int] = {}
    for event in events:
        if event.participation_id is None:
            continue
        if event.action == "opprettet":
            assert event.new_value is not None
            replay[event.participation_id] = json.loads(event.new_value)
            changes[event.participation_id] = 0
        elif event.action == "endret":
            assert event.variable is not None
            values = replay[event.participation_id]
            if event.new_value is None:
                values.pop(event.variable, None)
            else:
                values[event.variable] = json.loads(event.new_value)
            changes[event.participation_id] += 1
    assert {row.id for row in rows} == set(replay)
    for row in rows:
        assert row.values == replay[row.id], row.id
        assert row.record_version == 1 + changes[row.id], row.id


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
@pytest.mark.parametrize("kills", [KILLS, pytest.param(200, marks=pytest.mark.soak)])
def test_crash__sigkill_while_writing__integrity_audit_and_every_reported_change(
    installation: Installation, kills: int
) -> None:
    with installation.create() as db:
        first = db.create_participation({"kommunenummer": "0301"}, form_version=FORM_VERSION)
    shared = installation.backend == "postgresql"
    owner_url = installation.owner[0]
    rng = random.Random(20261129)
    created: dict[int, str] = {}
    last_counter: tuple[int, int] | None = None  # (run, i) of the last reported set_value
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for run in range(kills):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(installation.target),
                str(run),
                installation.secret,
                str(first),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        early = []
        for line in child.stdout:
            if line.strip() == "ready":
                break
            early.append(line)
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err
        if shared:
            _none_left(owner_url)
        for line in [*early, *out.splitlines()]:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "c":
                created[int(parts[1])] = parts[2]
            elif len(parts) == 2 and parts[0] == "s":
                r, i = parts[1].split("-")
                last_counter = (int(r), int(i))
    assert len(created) >= kills  # every kill landed while writes were going on

    with installation.reopen() as reopened:
        report = reopened.check()
        assert report.integrity == ("ok",), report.integrity
        assert report.chain.ok, report.chain.problems
        for pid, marker in created.items():
            assert reopened.get_participation(pid).values["merke"] == marker
        counter = reopened.get_participation(first).values["teller"]
        _replayed(reopened)
        # The next writer is not held up by anything a killed client left (lock_timeout
        # would refuse the save after 10 s).
        reopened.set_value(first, "teller", "etter")
        assert reopened.get_participation(first).values["teller"] == "etter"
    assert last_counter is not None
    run, i = (int(part) for part in str(counter).split("-"))
    # The child may have committed one more change than it lived to report.
    assert (run, i) >= last_counter


WRITER_ALL = """
import sys
from pathlib import Path
from jsdesk.rules import default_form
from jsdesk.storage import Database
from jsdesk.storage.files import backup_dir
path, run = Path(sys.argv[1]), sys.argv[2]
secrets = [sys.argv[3], sys.argv[4]]
current = int(sys.argv[5])

def open_db():
    global current
    for index in (current, 1 - current):
        try:
            db = Database.open(path, secrets[index])  # daily backup on: it may be killed too
        except Exception:
            continue
        current = index
        print(f"p {current}", flush=True)
        return db
    raise SystemExit("neither passphrase opens the database")

default_form()
db = open_db()
print("ready", flush=True)
i = 0
while True:
    marker = f"{run}-{i}"
    pid = db.create_participation({"kommunenummer": "0301", "merke": marker}, form_version="2023.1")
    print(f"c {pid} {marker}", flush=True)
    if i % 4 == 1:
        db.backup(backup_dir(path) / "jsdesk-manuell-krasj.db")  # replaces the last one
    if i % 5 == 2:
        db.close()
        db = open_db()
    if i % 6 == 3:
        db.change_passphrase(secrets[1 - current])  # a key-file write
        current = 1 - current
        print(f"p {current}", flush=True)
    i += 1
"""

OTHER_PASSPHRASE = "en annen lang passordfrase"


@pytest.mark.slow
@pytest.mark.sqlite_only  # backups, close and the key file are the local file's
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
@pytest.mark.parametrize(
    "kills",
    [
        20,
        # 200 kills take minutes: a test of its own marker, deselected from `make test`
        # and run by `make test-soak` (a step of .ci/run; docs/storage.md).
        pytest.param(200, marks=pytest.mark.soak),
    ],
)
def test_crash__sigkill_during_backups_close_and_key_file_writes__nothing_lost_nothing_partial(
    tmp_path: Path, kills: int
) -> None:
    db, _ = new_db(tmp_path)
    db.close()
    rng = random.Random(20261201 + kills)
    created: dict[int, str] = {}
    current = 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    secrets = (PASSPHRASE, OTHER_PASSPHRASE)
    for run in range(kills):
        for daily in daily_backups(db.path):  # so that the open makes (and may die in) one
            daily.unlink()
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER_ALL, str(db.path), str(run), *secrets, str(current)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("p "):
                current = int(line.split()[1])
            if line.strip() == "ready":
                break
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=60)
        assert child.returncode == -signal.SIGKILL, err
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "c":
                created[int(parts[1])] = parts[2]
            elif len(parts) == 2 and parts[0] == "p":
                current = int(parts[1])
    assert len(created) >= kills // 2  # many kills landed among the writes

    opened = None
    for secret in (secrets[current], secrets[1 - current]):  # a change may be unreported
        try:
            opened = Database.open(db.path, secret)
        except UserError:
            continue
        break
    assert opened is not None
    with opened:
        assert opened.damage is None, opened.damage
        report = opened.check()
        assert report.ok, (report.integrity, report.chain.problems)
        for pid, marker in created.items():
            assert opened.get_participation(pid).values["merke"] == marker
        key = opened.key
    assert partial_files(db.path) == []
    for kept in list_backups(db.path):
        assert check_file(kept, key) == [], kept
