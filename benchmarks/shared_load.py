"""Load on a shared PostgreSQL database: concurrent caseworkers, no lost updates.

Starts a throw-away PostgreSQL server with TLS (tests/pg_support.py; Debian's
``postgresql`` package), sets it up with ``jsdesk server init``, gives every client its
own login and stores PARTICIPATIONS participations. Then CLIENTS threads, each with its
own connection, make CHANGES changes each to random fields of random participations,
saving with the version they read (as the wizard does); a conflict is resolved by
keeping the client's own value over the version it was shown. Afterwards:

- every save a client saw succeed is in the audit (one "endret" event each) and the
  stored value of every field is the newest event's new value: 0 lost updates;
- the audit chain verifies; conflicts, lock waits and retries are counted;
- changes per second are printed.

    python benchmarks/shared_load.py [--clients 20] [--changes 500] [--participations 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pg_support import running_server

from jsdesk.demo import generate_records
from jsdesk.errors import UserError
from jsdesk.storage import Database, RecordConflict
from jsdesk.storage.server import add_user, init_server

FIELDS = ("ankomstar", "antall_barn", "ar_inntekt_arbeid_utland")
FORM_VERSION = "2023.1"


def client(url: str, number: int, pids: list[int], changes: int, out: dict[str, int]) -> None:
    rng = random.Random(number)
    saved = conflicts = retries = 0
    with Database.connect(url) as db:
        for n in range(changes):
            pid = rng.choice(pids)
            field = rng.choice(FIELDS)
            seen = db.get_participation(pid)
            value = number * 1_000_000 + n  # unique: every save can be found in the audit
            version, base = seen.record_version, {field: seen.values.get(field)}
            while True:
                try:
                    change = db.set_values(pid, {field: value}, base_version=version, base=base)
                    saved += change.written  # not written: the value was stored already
                    break
                except RecordConflict as conflict:
                    conflicts += 1
                    version = conflict.version
                    base = {f.variable: f.theirs for f in conflict.fields}
                except UserError:
                    retries += 1  # a lock wait ran out or the server chose a deadlock victim
                    time.sleep(0.01)
    out["saved"] += saved
    out["conflicts"] += conflicts
    out["retries"] += retries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--participations", type=int, default=2000)
    args = parser.parse_args(argv)

    with running_server() as server:
        owner = server.create_database("last")
        init_server(owner, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
        name = urlsplit(owner).path[1:]
        urls = []
        for number in range(args.clients):
            login = f"saksbehandler{number}"
            add_user(owner, None, login, bydeler=["030101"], new_password=f"{login} passord")
            urls.append(server.url(login, f"{login} passord", name))
        records = [dict(r, bydel="030101") for r in generate_records(args.participations, 16)]
        with Database.connect(urls[0]) as db:
            imported = db.import_records(records, form_version=FORM_VERSION)
        pids = [r.id for r in imported]
        print(f"{len(pids)} deltakelser, {args.clients} klienter × {args.changes} endringer")

        totals: dict[str, int] = defaultdict(int)
        threads = [
            threading.Thread(target=client, args=(url, i, pids, args.changes, totals))
            for i, url in enumerate(urls)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        import psycopg

        with psycopg.connect(owner) as conn:
            events = conn.execute(
                "SELECT participation_id, variable, new_value FROM audit_events "
                "WHERE action = 'endret' ORDER BY id"
            ).fetchall()
            stored = dict(conn.execute('SELECT id, "values"::text FROM participations').fetchall())
        import json

        newest: dict[tuple[int, str], object] = {}
        for pid, variable, new_value in events:
            newest[(pid, variable)] = json.loads(new_value)
        lost = sum(
            1
            for (pid, variable), value in newest.items()
            if json.loads(stored[pid]).get(variable) != value
        )
        missing = totals["saved"] - len(events)
        with Database.connect(owner) as db:
            report = db.check()
        print(
            f"{totals['saved']} lagret på {elapsed:.1f} s: {totals['saved'] / elapsed:.0f} "
            f"endringer/s; {totals['conflicts']} konflikter løst, {totals['retries']} nye forsøk "
            "etter låsventing"
        )
        print(f"Tapte oppdateringer: {lost + abs(missing)} (felt med annen verdi enn nyeste "
              f"hendelse: {lost}; lagringer uten hendelse: {missing})")  # fmt: skip
        print(f"Revisjonslogg: {'ok' if report.chain.ok else 'FEIL'} ({report.chain.events})")
    return 0 if lost == 0 and missing == 0 and report.chain.ok else 1


if __name__ == "__main__":
    sys.exit(main())
