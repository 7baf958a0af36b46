"""Storage benchmark: 100,000 synthetic participations in the encrypted database.

Inserts the participations through the storage layer (rule engine included),
then times opening the database (key derivation and the rest apart), listing
the 100 most recently changed, and finding by full fødselsnummer and by birth
date. Each query is shown beside the same query in raw ``sqlite3`` on an
unencrypted copy of the same data: the same SQL text and parameters, the same
result objects, both warm, measured alternately, medians of ``--repeat`` runs.

Then the overview's deep pages: page 500 of 1,000 (100 rows after row 49,900) in every
sort order the overview offers, read by the key of the row before it (as the overview
reads the page next to one it shows) and by a jump (as after dragging the scroll bar),
and the last page. Each with the process's CPU time beside the wall time (the
server's own CPU is not in it).

Targets: each query under 50 ms and within 3x raw SQLite; import of
100,000 records under 60 s.

    python benchmarks/storage.py [--records N] [--repeat R] [--keep MAPPE]
    python benchmarks/storage.py --db postgresql://LOGIN@VERT/DB?sslrootcert=CA [--records N]

With ``--db`` the same participations go into a shared PostgreSQL database (set up with
``jsdesk server init``; the login's password from the URL, ``PGPASSWORD`` or
``JSDESK_PASSPHRASE``), and the same overview queries are timed there.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy.dialects import sqlite as sqlite_dialect

from jsdesk.demo import generate_records
from jsdesk.errors import UserError
from jsdesk.rules import default_form
from jsdesk.storage import Database, ParticipationSummary, database, queries
from jsdesk.storage.backup import connect_raw
from jsdesk.storage.files import key_file_path
from jsdesk.storage.keys import KeyFile

PASSPHRASE = "benchmark passordfrase 2026"
BATCH = 1000
QUERY_TARGET_MS = 50.0
RATIO_TARGET = 3.0
IMPORT_TARGET_S = 60.0


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm caches the way a second look in the UI would
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def median_ms_cpu(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Medians of wall and CPU time (this process) in ms, after one warm-up run."""
    action()
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu_started) * 1000)
    return statistics.median(walls), statistics.median(cpus)


# The overview's sort orders (its sortable columns), each in the order a first click gives.
DEEP_ORDERS = (
    ("sist endret, nyeste først", "changed_at", True),
    ("fødselsnummer", "fnr", False),
    ("fødselsår", "fodselsar", False),
    ("oppstartsdato", "oppstartsdato", False),
    ("avslutningsdato", "avslutningsdato", False),
    ("stadium", "stage", False),
    ("status", "status", False),
)
PAGE_ROWS = 100


def deep_pages(db: Database, stored: int, repeat: int) -> bool:
    """Page 500 of 1,000 in every sort order: by the key of the row before it (scrolling)
    and by a jump (the scroll bar: the skipped rows' keys counted in the sort index, then
    the page after the last of them); and the last page. Each under 50 ms."""
    middle = max((stored // PAGE_ROWS // 2 - 1) * PAGE_ROWS, 1)
    pages = (stored + PAGE_ROWS - 1) // PAGE_ROWS
    print(
        f"(dype sider: {PAGE_ROWS} rader, side {middle // PAGE_ROWS + 1} av {pages}; "
        f"median av {repeat}; CPU = denne prosessens)"
    )
    ok = True

    def line(name: str, ms: float, cpu: float) -> bool:
        passed = ms < QUERY_TARGET_MS
        print(
            f"{name:<56} {ms:7.2f} ms   CPU {cpu:6.2f} ms   "
            f"{'OK' if passed else 'OVER MÅL'} (mål under {QUERY_TARGET_MS:.0f} ms)"
        )
        return passed

    for label, order_by, descending in DEEP_ORDERS:
        order = {"order_by": order_by, "descending": descending, "limit": PAGE_ROWS}
        key = db.overview_page(**{**order, "offset": middle - 1, "limit": 1}).last
        by_key = db.overview_page(after=key, **order)
        jumped = db.overview_page(offset=middle, **order)
        expected = db.query_participations(offset=middle, **order)
        assert list(by_key.rows) == list(jumped.rows) == expected, f"{label}: ulike sider"
        ms, cpu = median_ms_cpu(
            lambda order=order, key=key: db.overview_page(after=key, **order), repeat
        )
        ok &= line(f"Side midt i etter nøkkel, {label}", ms, cpu)
        ms, cpu = median_ms_cpu(
            lambda order=order: db.overview_page(offset=middle, **order), max(3, repeat // 3)
        )
        ok &= line(f"Hopp til midten, {label}", ms, cpu)
    ms, cpu = median_ms_cpu(lambda: db.overview_page(from_end=True, limit=PAGE_ROWS), repeat)
    ok &= line("Siste side, sist endret (Ctrl+End)", ms, cpu)
    return ok


def paired_ms(
    ours: Callable[[], object], raw: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Medians of both, measured alternately so that load from other programs hits both."""
    ours()  # warm: SQLAlchemy's compiled cache, SQLite's page caches
    raw()
    ours_times, raw_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        ours()
        ours_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        raw()
        raw_times.append((time.perf_counter() - started) * 1000)
    return statistics.median(ours_times), statistics.median(raw_times)


class RawOverview:
    """The overview's queries in raw ``sqlite3``: the same SQL text, the same results.

    The SQL is the text SQLAlchemy compiles from jsdesk's own statement, with the
    same positional parameters; the rows become the same ``ParticipationSummary``
    objects through the same ``queries.summary`` (raw sqlite3 gives text for
    dates and JSON, so they are parsed here as SQLAlchemy's types parse them).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.dialect = sqlite_dialect.dialect(paramstyle="qmark")
        self.compiled: dict[tuple[queries.Shape, str, bool], tuple[str, list[str]]] = {}

    def sql(self, shape: queries.Shape, order_by: str, descending: bool) -> tuple[str, list[str]]:
        """SQL text and parameter order, compiled once per shape (in the warm-up run)."""
        key = (shape, order_by, descending)
        if key not in self.compiled:
            compiled = queries.summary_query(*key).compile(dialect=self.dialect)
            self.compiled[key] = (str(compiled), list(compiled.positiontup or []))
        return self.compiled[key]

    def query(
        self,
        search: str | None = None,
        *,
        order_by: str = "changed_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 100,
    ) -> list[ParticipationSummary]:
        shape, params = queries.filters(search, None, None, None)
        text, names = self.sql(shape, order_by, descending)
        params.update(offset=offset, limit=limit)
        values = [_sql_value(params[name]) for name in names]
        return self.run(text, values)

    def run(self, text: str, values: list[object]) -> list[ParticipationSummary]:
        return [
            queries.summary(
                pid,
                person_id,
                fnr,
                fodselsar,
                stage,
                status,
                _day(start),
                _day(end),
                json.loads(completeness) if completeness is not None else None,
                datetime.fromisoformat(changed).replace(tzinfo=UTC),
                form_version,
                json.loads(findings) if findings is not None else None,
            )
            for (
                pid,
                person_id,
                fnr,
                fodselsar,
                stage,
                status,
                start,
                end,
                completeness,
                changed,
                form_version,
                findings,
            ) in self.conn.execute(text, values)
        ]


def _sql_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def insert_all(db: Database, count: int) -> tuple[float, float, int]:
    records = generate_records(count, 2026)
    version = default_form().version
    refused = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for i in range(0, count, BATCH):
        batch = records[i : i + BATCH]
        try:
            db.import_records(batch, form_version=version)
        except UserError:  # e.g. a generated person twice with overlapping periods
            for values in batch:
                try:
                    db.create_participation(values, form_version=version)
                except UserError:
                    refused += 1
    return time.perf_counter() - started, time.process_time() - cpu_started, refused


def plain_copy(encrypted: Path, key: bytes, target: Path) -> None:
    conn = connect_raw(encrypted, key)
    try:
        conn.execute(f"ATTACH DATABASE '{target}' AS plaintext KEY ''")
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()


def report(name: str, ours: float, raw: float, bare: float | None = None) -> bool:
    ratio = ours / raw if raw > 0 else float("inf")
    ok = ours < QUERY_TARGET_MS and ratio <= RATIO_TARGET
    extra = "" if bare is None else f"   (bare fetchall {bare:.2f} ms)"
    print(
        f"{name:<44} {ours:7.2f} ms   raw sqlite3 {raw:6.2f} ms   {ratio:4.1f}x   "
        f"{'OK' if ok else 'OVER MÅL'}{extra}"
    )
    return ok


def build(path: Path, plain: Path, count: int) -> int:
    """Insert ``count`` participations (timed) and make the unencrypted copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db, _ = Database.create(
        path, PASSPHRASE, kommunenummer="0301", bydel="030101", test_installation=True
    )
    with db:
        elapsed, cpu, refused = insert_all(db, count)
        stored = db.count_participations()
        db.ensure_daily_backup()  # today's backup exists: opening below does not copy
        key = db.key
    target_s = IMPORT_TARGET_S * count / 100_000
    print(
        f"Innsetting av {stored} deltakelser: {elapsed:.1f} s veggtid "
        f"({stored / elapsed:.0f}/s), {cpu:.1f} s CPU-tid, {refused} avvist; "
        f"mål under {target_s:.0f} s: {'OK' if elapsed < target_s else 'OVER MÅL'} "
        f"(CPU-tid: {'OK' if cpu < target_s else 'OVER MÅL'}; maskinen deles med andre)"
    )
    plain_copy(path, key, plain)
    return stored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="MAPPE",
        help="lag (eller gjenbruk) databasen og den ukrypterte kopien i MAPPE",
    )
    parser.add_argument("--db", metavar="URL", help="en felles PostgreSQL-database")
    args = parser.parse_args(argv)
    if args.db:
        return shared(args.db, args.records, args.repeat)

    with tempfile.TemporaryDirectory(prefix="jsdesk-bench-") as tmp:
        folder = args.keep or Path(tmp)
        path = folder / "jsdesk.db"
        plain = folder / "plain.db"
        if path.exists() and plain.exists():
            print(f"Bruker databasen fra en tidligere kjøring i {folder} (innsetting ikke tidtatt)")
            with Database.open(path, PASSPHRASE, daily_backup=False) as db:
                stored = db.count_participations()
        else:
            stored = build(path, plain, args.records)
        print(f"Databasefil: {path.stat().st_size / 1e6:.0f} MB (kryptert), {stored} deltakelser")

        with Database.open(path, PASSPHRASE, daily_backup=False) as db:
            key = db.key

        def open_after_key() -> None:
            # Database.open with the key derivation replaced by the known key:
            # lock, key file, engine, SQLCipher key, schema check, settings.
            with mock.patch.object(database, "unlock_key", lambda _path, _secret: key):
                Database.open(path, PASSPHRASE, daily_backup=False).close()

        def open_raw() -> None:
            conn = sqlite3.connect(plain)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            conn.close()

        def derive_key() -> None:
            KeyFile.read(key_file_path(path)).unlock(PASSPHRASE)

        ok = True
        kdf_ms = median_ms(derive_key, max(3, args.repeat // 20))
        after_key_ms, raw_open_ms = paired_ms(open_after_key, open_raw, max(3, args.repeat // 4))
        print(
            f"{'Nøkkelutledning (Argon2id)':<34} {kdf_ms:9.2f} ms   med vilje treg (vern mot "
            "gjetting av passordfrasen); én gang per åpning, ikke per spørring"
        )
        print(
            f"{'Åpne databasen etter nøkkelen':<34} {after_key_ms:9.2f} ms   raw sqlite3 "
            f"{raw_open_ms:8.2f} ms   {'OK' if after_key_ms < QUERY_TARGET_MS else 'OVER MÅL'} "
            f"(mål under {QUERY_TARGET_MS:.0f} ms; med lås, nøkkelfil, skjemasjekk, innstillinger "
            "og lukking)"
        )
        print(f"{'Åpne databasen i alt':<34} {kdf_ms + after_key_ms:9.2f} ms")
        ok &= after_key_ms < QUERY_TARGET_MS

        raw = RawOverview(sqlite3.connect(plain))
        with Database.open(path, PASSPHRASE, daily_backup=False) as opened:
            target = opened.query_participations(limit=1, order_by="id")[0]
            full = str(opened.get_participation(target.id).values["fodselsnummer"])
            birth_date = _birth_date(opened, target.id)
            text = birth_date.strftime("%d.%m.%Y")
            middle = stored // 2
            cases: list[tuple[str, dict[str, Any]]] = [
                ("100 sist endrede", {}),
                ("Finn på fullt fødselsnummer", {"search": full}),
                ("Finn på fødselsdato", {"search": text}),
                (
                    "Side midt i, sortert på fødselsår",
                    {"order_by": "fodselsar", "descending": False, "offset": middle},
                ),
            ]
            targeted = {"100 sist endrede", "Finn på fullt fødselsnummer", "Finn på fødselsdato"}
            print(
                f"(median av {args.repeat} kjøringer, vekselvis jsdesk og rå sqlite3, varme; "
                "begge lager ParticipationSummary-objekter. «bare fetchall»: samme SQL i rå "
                "sqlite3 uten objekter, bare til orientering)"
            )
            for name, kwargs in cases:
                ours_result = opened.query_participations(**kwargs)
                raw_result = raw.query(**kwargs)
                assert ours_result == raw_result, f"{name}: ulike svar"
                ours_ms, raw_ms = paired_ms(
                    lambda kwargs=kwargs: opened.query_participations(**kwargs),
                    lambda kwargs=kwargs: raw.query(**kwargs),
                    args.repeat,
                )
                # For reference: the same SQL without making result objects.
                shape, params = queries.filters(kwargs.get("search"), None, None, None)
                text, names = raw.sql(
                    shape, kwargs.get("order_by", "changed_at"), kwargs.get("descending", True)
                )
                params.update(offset=kwargs.get("offset", 0), limit=100)
                values = [_sql_value(params[n]) for n in names]
                bare_ms = median_ms(
                    lambda text=text, values=values: raw.conn.execute(text, values).fetchall(),
                    args.repeat,
                )
                passed = report(f"{name} ({len(ours_result)} treff)", ours_ms, raw_ms, bare_ms)
                ok &= passed or name not in targeted
            count_sql = str(queries.count_query(queries.Shape()).compile(dialect=raw.dialect))
            ours_ms, raw_ms = paired_ms(
                opened.count_participations,
                lambda: raw.conn.execute(count_sql).fetchone(),
                max(3, args.repeat // 10),
            )
            report("Telle alle deltakelser (ikke mål)", ours_ms, raw_ms)
            ok &= deep_pages(opened, stored, args.repeat)
        raw.conn.close()
    return 0 if ok else 1


def shared(url: str, count: int, repeat: int) -> int:
    """The same insert and overview figures on a shared PostgreSQL database.

    Beside each overview query: the same SQL text and parameters in raw psycopg on one
    connection of the same login (row-level security applies to both), as the local file
    is compared with raw sqlite3."""
    import os

    import psycopg
    from sqlalchemy.dialects.postgresql import psycopg as pg_dialect

    from jsdesk.storage.backend import server_url

    password = os.environ.get("JSDESK_PASSPHRASE")
    with Database.connect(url, password) as db:
        have = db.count_participations()
        if have < count:
            elapsed, cpu, refused = insert_all(db, count - have)
            stored = db.count_participations()
            print(
                f"Innsetting av {stored - have} deltakelser: {elapsed:.1f} s veggtid "
                f"({(stored - have) / elapsed:.0f}/s), {cpu:.1f} s CPU-tid, {refused} avvist"
            )
        else:
            stored = have
            print(f"Bruker de {stored} deltakelsene som finnes (innsetting ikke tidtatt)")
    server_url(url, password)  # refuses anything but verified TLS, as jsdesk does
    extra = {"password": password} if password else {}
    raw_conn = psycopg.connect(url, **extra)
    raw_conn.autocommit = True
    size = raw_conn.execute("SELECT pg_database_size(current_database())").fetchone()
    print(f"Databasen: {(size[0] if size else 0) / 1e6:.0f} MB på serveren, {stored} deltakelser")

    def connect_and_close() -> None:
        Database.connect(url, password).close()

    def connect_raw() -> None:
        psycopg.connect(url, **extra).close()

    connect_ms, raw_connect_ms = paired_ms(connect_and_close, connect_raw, max(3, repeat // 10))
    print(
        f"{'Koble til databasen':<34} {connect_ms:9.2f} ms   rå psycopg {raw_connect_ms:8.2f} ms "
        f"  (TLS, SCRAM, skjemasjekk, innstillinger og lukking; ingen nøkkelutledning)"
    )
    dialect = pg_dialect.dialect()
    with Database.connect(url, password) as db:
        target = db.query_participations(limit=1, order_by="id")[0]
        full = str(db.get_participation(target.id).values["fodselsnummer"])
        text = _birth_date(db, target.id).strftime("%d.%m.%Y")
        cases: list[tuple[str, dict[str, Any]]] = [
            ("100 sist endrede", {}),
            ("Finn på fullt fødselsnummer", {"search": full}),
            ("Finn på fødselsdato", {"search": text}),
            (
                "Side midt i, sortert på fødselsår",
                {"order_by": "fodselsar", "descending": False, "offset": stored // 2},
            ),
        ]
        print(
            f"(PostgreSQL, {stored} deltakelser, median av {repeat} kjøringer, vekselvis jsdesk "
            "og rå psycopg med samme SQL og innlogging, varme)"
        )
        ok = True
        for name, kwargs in cases:
            hits = len(db.query_participations(**kwargs))
            shape, params = queries.filters(kwargs.get("search"), None, None, None)
            compiled = queries.summary_query(
                shape, kwargs.get("order_by", "changed_at"), kwargs.get("descending", True)
            ).compile(dialect=dialect)
            values = {**compiled.params, **params, "offset": kwargs.get("offset", 0), "limit": 100}
            sql = str(compiled)
            ms, raw_ms = paired_ms(
                lambda kwargs=kwargs: db.query_participations(**kwargs),
                lambda sql=sql, values=values: raw_conn.execute(sql, values).fetchall(),
                repeat,
            )
            passed = ms < QUERY_TARGET_MS
            ok &= passed or name.startswith("Side")
            verdict = "OK" if passed else "OVER MÅL"
            label = f"{name} ({hits} treff)"
            print(
                f"{label:<44} {ms:7.2f} ms   rå psycopg {raw_ms:6.2f} ms   {verdict} "
                f"(mål under {QUERY_TARGET_MS:.0f} ms)"
            )
        ms = median_ms(db.count_participations, max(3, repeat // 10))
        print(f"{'Telle alle deltakelser (ikke mål)':<44} {ms:7.2f} ms")
        ok &= deep_pages(db, stored, repeat)
    raw_conn.close()
    return 0 if ok else 1


def _birth_date(db: Database, pid: int) -> date:
    from jsdesk.domain.fnr import analyse

    info = analyse(str(db.get_participation(pid).values["fodselsnummer"]))
    assert info.birth_date is not None
    return info.birth_date


if __name__ == "__main__":
    sys.exit(main())
