"""Load on a shared PostgreSQL database: concurrent caseworkers, no lost updates.

Starts a throw-away PostgreSQL server with TLS (tests/pg_support.py; Debian's
``postgresql`` package), sets it up with ``jsdesk server init``, gives every client its
own login and stores PARTICIPATIONS participations. Then CLIENTS threads, each with its
own login and its own connections, make CHANGES changes each to random fields of
random participations, the way the wizard saves:

- a client keeps the participations it has opened (version and values, as an open
  wizard does) and saves each change against what it saw, so other clients' saves in
  between are merged (another field) or refused as conflicts (the same field); a share
  of the changes goes to a few busy participations, so conflicts come often;
- a conflict is resolved as the wizard's conflict dialog does (``ParticipationWizard.
  _resolve``): the stored record is read again, and the client keeps its own value
  (saved over the new version) or takes the other's (its change is dropped on
  purpose), at random;
- a write the server refuses for a deadlock, a serialisation failure or a lock wait
  that ran out is told apart by its SQLSTATE (storage's ``classify``) and tried again;
  anything else stops the run.

Afterwards: every save a client saw succeed is in the audit (its unique value in one
"endret" event), every field holds the value of its newest successful save, and the
audit chain verifies (``db check``). Changes per second are printed.

    python benchmarks/shared_load.py [--clients 20] [--changes 500] [--participations 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pg_support import PgServer, running_server

from jsdesk.demo import generate_records
from jsdesk.errors import UserError
from jsdesk.storage import Database, RecordConflict
from jsdesk.storage.errors import classify
from jsdesk.storage.server import add_user, init_server

FIELDS = ("ankomstar", "antall_barn", "ar_inntekt_arbeid_utland")
FORM_VERSION = "2023.1"
BYDEL = "030101"
HOT = 20  # busy participations
HOT_SHARE = 0.2  # share of the changes that go to them
REOPEN = 0.1  # share of the changes made after reading the participation afresh
TAKE_THEIRS = 0.3  # share of the conflicts where the client takes the other value
TRIES = 20  # tries of one save refused for a deadlock or a lock wait


@dataclass
class Saved:
    participation_id: int
    variable: str
    value: int
    record_version: int


@dataclass
class Tally:
    saved: list[Saved] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, saved: list[Saved], counts: Counter[str]) -> None:
        with self.lock:
            self.saved.extend(saved)
            self.counts.update(counts)


@dataclass
class View:
    """What a client's open wizard holds of a participation: version and values."""

    version: int
    values: dict[str, object]


@dataclass
class Result:
    participations: int
    clients: int
    seconds: float
    saved: int
    counts: Counter[str]
    missing: int  # successful saves without their audit event
    lost: int  # fields that do not hold their newest successful save
    chain_ok: bool
    chain_events: int
    failures: list[BaseException]

    @property
    def ok(self) -> bool:
        return not self.failures and self.missing == 0 and self.lost == 0 and self.chain_ok

    def lines(self) -> list[str]:
        c = self.counts
        return [
            f"{self.participations} deltakelser, {self.clients} klienter med hver sin innlogging",
            f"{self.saved} lagret på {self.seconds:.1f} s: {self.saved / self.seconds:.0f} "
            "endringer/s",
            f"{c['conflicts']} konflikter (beholdt egen verdi {c['kept']}, tok den andres "
            f"{c['taken']}); {c['merged']} lagringer flettet med en annens nyere versjon; "
            f"{c['retried']} nye forsøk etter vranglås, serialiseringsfeil eller låsventing",
            f"Tapte oppdateringer: {self.missing + self.lost} (lagringer uten hendelse i "
            f"revisjonsloggen: {self.missing}; felt uten sin nyeste lagring: {self.lost})",
            f"Revisjonslogg: {'ok' if self.chain_ok else 'FEIL'} ({self.chain_events} hendelser)",
            f"Uhåndterte feil: {len(self.failures)}"
            + "".join(f"\n  {type(f).__name__}: {f}" for f in self.failures[:5]),
        ]


def save(db: Database, pid: int, variable: str, value: int, view: View, rng: random.Random,
         counts: Counter[str]) -> Saved | None:  # fmt: skip
    """Save one field as the wizard does (``_store``, ``_after_save``, ``_resolve``)."""
    for _ in range(TRIES):
        try:
            change = db.set_values(
                pid,
                {variable: value},
                base_version=view.version,
                base={variable: view.values.get(variable)},
            )
        except RecordConflict:
            counts["conflicts"] += 1
            stored = db.get_participation(pid)  # _take_stored: the other's values shown
            view.version, view.values = stored.record_version, dict(stored.values)
            if rng.random() < TAKE_THEIRS:
                counts["taken"] += 1
                return None
            counts["kept"] += 1
            continue  # _store(keep): the client's value over the version just read
        except UserError as exc:
            if classify(exc.__cause__ or exc) != "conflict":
                raise
            counts["retried"] += 1
            time.sleep(rng.uniform(0.005, 0.05))
            continue
        assert change.written  # every value is unique: it was not stored already
        if change.record_version != view.version + 1:
            counts["merged"] += 1  # another client's save came between: read it in
            stored = db.get_participation(pid)
            view.version, view.values = stored.record_version, dict(stored.values)
        else:
            view.version = change.record_version
            view.values[variable] = value
        return Saved(pid, variable, value, change.record_version)
    raise RuntimeError(f"deltakelse {pid}: ikke lagret etter {TRIES} forsøk")


def client(url: str, number: int, pids: list[int], changes: int, tally: Tally) -> None:
    rng = random.Random(number)
    hot = pids[:HOT]
    views: dict[int, View] = {}
    saved: list[Saved] = []
    counts: Counter[str] = Counter()
    try:
        with Database.connect(url) as db:
            for n in range(changes):
                pid = rng.choice(hot) if rng.random() < HOT_SHARE else rng.choice(pids)
                if pid not in views or rng.random() < REOPEN:
                    seen = db.get_participation(pid)
                    views[pid] = View(seen.record_version, dict(seen.values))
                value = (number + 1) * 1_000_000 + n  # unique: each save is found in the audit
                done = save(db, pid, rng.choice(FIELDS), value, views[pid], rng, counts)
                if done is not None:
                    saved.append(done)
    except BaseException as exc:  # reported, and fails the run
        with tally.lock:
            tally.failures.append(exc)
    tally.add(saved, counts)


def run_load(
    server: PgServer, database: str, *, clients: int, changes: int, participations: int
) -> Result:
    """Set up ``database`` on ``server``, run the clients, and check the outcome."""
    owner = server.create_database(database)
    init_server(owner, None, kommunenummer="0301", bydeler=[BYDEL], test_installation=True)
    urls = []
    for number in range(clients):
        login = f"saksbehandler{number}"
        add_user(owner, None, login, bydeler=[BYDEL], new_password=f"{login} passord")
        urls.append(server.url(login, f"{login} passord", urlsplit(owner).path[1:]))
    records = [dict(r, bydel=BYDEL) for r in generate_records(participations, 16)]
    with Database.connect(urls[0]) as db:
        pids = [r.id for r in db.import_records(records, form_version=FORM_VERSION)]

    tally = Tally()
    threads = [
        threading.Thread(target=client, args=(url, i, pids, changes, tally))
        for i, url in enumerate(urls)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started

    with psycopg.connect(owner) as conn:
        events = conn.execute(
            "SELECT participation_id, variable, new_value FROM audit_events "
            "WHERE action = 'endret' ORDER BY id"
        ).fetchall()
        stored = {
            pid: json.loads(values)
            for pid, values in conn.execute('SELECT id, "values"::text FROM participations')
        }
    in_audit = Counter((pid, variable, json.loads(new)) for pid, variable, new in events)
    missing = sum(
        1 for s in tally.saved if in_audit[(s.participation_id, s.variable, s.value)] != 1
    )
    newest: dict[tuple[int, str], Saved] = {}
    for s in tally.saved:
        key = (s.participation_id, s.variable)
        if key not in newest or s.record_version > newest[key].record_version:
            newest[key] = s
    lost = sum(1 for (pid, variable), s in newest.items() if stored[pid].get(variable) != s.value)
    with Database.connect(owner) as db:
        report = db.check()
    return Result(
        participations=len(pids),
        clients=clients,
        seconds=seconds,
        saved=len(tally.saved),
        counts=tally.counts,
        missing=missing,
        lost=lost,
        chain_ok=report.chain.ok,
        chain_events=report.chain.events,
        failures=tally.failures,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--participations", type=int, default=2000)
    args = parser.parse_args(argv)
    print(f"{args.clients} klienter × {args.changes} endringer; last før: {os.getloadavg()[0]:.1f}")
    with running_server() as server:
        result = run_load(
            server,
            "last",
            clients=args.clients,
            changes=args.changes,
            participations=args.participations,
        )
    for line in result.lines():
        print(line)
    print(f"Last etter: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
