"""Crash safety: SIGKILL a writing process many times; nothing reported saved is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from storage_helpers import FORM_VERSION, PASSPHRASE, REPO_ROOT, new_db

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import check_file, daily_backups, list_backups, partial_files

KILLS = 20

WRITER = """
import sys
from pathlib import Path
from jsdesk.rules import default_form
from jsdesk.storage import Database
run = sys.argv[2]
db = Database.open(Path(sys.argv[1]), sys.argv[3], daily_backup=False)
default_form()
i = 0
while True:
    marker = f"{run}-{i}"
    pid = db.create_participation({"kommunenummer": "0301", "merke": marker}, form_version="2023.1")
    print(f"c {pid} {marker}", flush=True)
    db.set_value(1, "teller", marker)
    print(f"s {marker}", flush=True)
    if i == 0:
        print("ready", flush=True)  # after the first writes, so the kill lands among writes
    i += 1
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
def test_crash__sigkill_while_writing__integrity_audit_and_every_reported_change(
    tmp_path: Path,
) -> None:
    db, _ = new_db(tmp_path)
    with db:
        first = db.create_participation({"kommunenummer": "0301"}, form_version=FORM_VERSION)
    assert first == 1
    rng = random.Random(20261129)
    created: dict[int, str] = {}
    last_counter: tuple[int, int] | None = None  # (run, i) of the last reported set_value
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for run in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db.path), str(run), PASSPHRASE],
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
        for line in [*early, *out.splitlines()]:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "c":
                created[int(parts[1])] = parts[2]
            elif len(parts) == 2 and parts[0] == "s":
                r, i = parts[1].split("-")
                last_counter = (int(r), int(i))
    assert len(created) >= KILLS  # every kill landed while writes were going on

    with Database.open(db.path, PASSPHRASE) as reopened:
        report = reopened.check()
        assert report.integrity == ("ok",), report.integrity
        assert report.chain.ok, report.chain.problems
        for pid, marker in created.items():
            assert reopened.get_participation(pid).values["merke"] == marker
        counter = reopened.get_participation(1).values["teller"]
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
