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

from jsdesk.storage import Database

KILLS = 20

WRITER = """
import sys
from pathlib import Path
from jsdesk.rules import default_form
from jsdesk.storage import Database
run = sys.argv[2]
db = Database.open(Path(sys.argv[1]), sys.argv[3], daily_backup=False)
default_form()  # load the form before "ready", so the kill lands among writes
print("ready", flush=True)
i = 0
while True:
    marker = f"{run}-{i}"
    pid = db.create_participation({"kommunenummer": "0301", "merke": marker}, form_version="2023.1")
    print(f"c {pid} {marker}", flush=True)
    db.set_value(1, "teller", marker)
    print(f"s {marker}", flush=True)
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
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "c":
                created[int(parts[1])] = parts[2]
            elif len(parts) == 2 and parts[0] == "s":
                r, i = parts[1].split("-")
                last_counter = (int(r), int(i))
    assert len(created) > KILLS  # the kills landed while writes were going on

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
