"""The one place that names the database backend.

``database_url`` builds the SQLAlchemy URL; everything else takes an engine.
SQLCipher gets the raw 256-bit key as ``PRAGMA key = "x'…'"`` (the dialect
quotes the URL password as an identifier), so no second key derivation runs on
open. Each connection uses WAL with ``synchronous=FULL`` and explicit
``BEGIN IMMEDIATE`` transactions: a commit is on disk when it returns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

BACKEND = "sqlite+pysqlcipher"
# Page cache per pooled connection (SQLite's default: 2 MiB). 8 MiB holds the
# largest overview index at 100,000 participations (about 4 MiB) and the upper
# pages of the table; 32 MiB (before) made no query measurably faster but added
# up to 24 MiB of RSS per connection (docs/storage.md, "Reading fast").
CACHE_KIB = 8 * 1024


def database_url(path: Path, key: bytes) -> URL:
    return URL.create(BACKEND, password=f"x'{key.hex().upper()}'", database=str(path))


def make_engine(path: Path, key: bytes) -> Engine:
    """An engine on the encrypted database file ``path``."""
    # A small pool of connections kept open while the database is unlocked (the
    # Database disposes them on close). Separate connections per session, so a
    # read inside a write transaction never shares (and re-begins) its connection.
    engine = create_engine(
        database_url(path, key),
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=4,
        connect_args={"check_same_thread": False},
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver; "begin" below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # SQLCipher would print page errors to stderr; jsdesk reports them itself.
            cursor.execute("PRAGMA cipher_log_level = NONE")
            # Reading the schema fails here when the key or the file is wrong.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            # Decrypted pages kept per connection: SQLCipher decrypts (and checks
            # the HMAC of) every page it reads from the file, so a page cache
            # that holds the indexes saves that work on every repeated query.
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock up front (no upgrade deadlocks); readers
        # (engine.execution_options(jsdesk_read=True)) use a deferred BEGIN.
        # Single-statement reads (jsdesk_single_statement=True, the overview's
        # queries) need no BEGIN at all: SQLite runs a lone SELECT in its own
        # read transaction, a consistent snapshot, as raw sqlite3 does.
        options = connection.get_execution_options()
        if options.get("jsdesk_single_statement", False):
            return
        connection.exec_driver_sql(
            "BEGIN" if options.get("jsdesk_read", False) else "BEGIN IMMEDIATE"
        )


def sqlite_sidecars(path: Path) -> list[Path]:
    """The ``-wal``/``-shm``/``-journal`` files SQLite keeps beside ``path``."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def recover_sidecar_modes(path: Path) -> list[Path]:
    """Make read-only sidecars writable again when the database itself is writable.

    SQLite creates ``-wal``/``-shm`` with the database file's mode: after one
    open of a read-only (0444) database they stay 0444, and once the database
    is writable again every open fails. Returns the sidecars that could not be
    fixed (not ours), for the message.
    """

    if not os.access(path, os.W_OK):
        return []
    stuck = []
    for sidecar in sqlite_sidecars(path):
        if sidecar.exists() and not os.access(sidecar, os.W_OK):
            try:
                os.chmod(sidecar, 0o600)
            except OSError:
                stuck.append(sidecar)
    return stuck


def sqlcipher_versions() -> tuple[str, str, str]:
    """SQLCipher's version, its SQLite version and the OpenSSL it encrypts with."""
    conn = sqlcipher3.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
        conn.execute("PRAGMA key = 'versjon'")  # the provider is loaded with a key
        provider = conn.execute("PRAGMA cipher_provider_version").fetchone()[0]
    finally:
        conn.close()
    return str(cipher), str(sqlcipher3.sqlite_version), str(provider)
