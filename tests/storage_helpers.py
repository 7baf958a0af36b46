"""Shared helpers for the storage tests: synthetic people, databases, raw reads."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic import command
from pg_support import CASEWORKER_PASSWORD, SUPERUSER_PASSWORD, SharedInstallations

from jsdesk.domain.fnr import synthetic_number
from jsdesk.storage import Database, schema
from jsdesk.storage.backup import connect_raw
from jsdesk.storage.connection import make_engine
from jsdesk.storage.files import key_file_path
from jsdesk.storage.keys import KeyFile

PASSPHRASE = "korrekt hest batteri stift"
FORM_VERSION = "2023.1"
REPO_ROOT = Path(__file__).resolve().parent.parent


def fnr(n: int) -> str:
    """The n-th synthetic (Tenor) fødselsnummer: never a real person's."""
    birth = date(1980, 1, 1).replace(year=1980 + n % 20, month=1 + n % 12, day=1 + n % 28)
    for individual in range(n % 400, 500):
        try:
            return synthetic_number(birth, individual)
        except ValueError:
            continue
    raise AssertionError("no synthetic number")


def record(n: int, **extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "fodselsnummer": fnr(n),
        "kommunenummer": "0301",
        "bydel": "030101",
        "oppstartsdato": "2024-03-01",
    }
    values.update(extra)
    return values


def new_db(tmp_path: Path, *, test: bool = True, name: str = "jsdesk.db") -> tuple[Database, str]:
    return Database.create(
        tmp_path / "data" / name,
        PASSPHRASE,
        kommunenummer="0301",
        bydel="030101",
        test_installation=test,
    )


def db_key(path: Path, secret: str = PASSPHRASE) -> bytes:
    key = KeyFile.read(key_file_path(path)).unlock(secret)
    assert key is not None
    return key


def raw_rows(
    path: Path, key: bytes, sql: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    conn = connect_raw(path, key)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def raw_execute(path: Path, key: bytes, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = connect_raw(path, key)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def rewind(path: Path, key: bytes, revision: str) -> None:
    """Take the database file back to what jsdesk stored at Alembic ``revision``, through
    the migrations' own downgrades (so a new migration needs no change here)."""
    engine = make_engine(path, key)
    try:
        with engine.connect() as conn:
            command.downgrade(schema.alembic_config(conn), revision)
            conn.commit()
    finally:
        engine.dispose()


def dump(path: Path, key: bytes) -> list[str]:
    """Every row of every table, decrypted, as text (for 'nothing changed' checks)."""
    conn = connect_raw(path, key)
    try:
        lines: list[str] = []
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                lines.append(f"{table}: {row!r}")
        return lines
    finally:
        conn.close()


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    """Run ``code`` in a fresh interpreter with the worktree on the path."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )


@dataclass
class Installation:
    """A test installation on one back end (the ``installation`` fixture): the local
    SQLCipher file, or a shared PostgreSQL database opened by a caseworker's login."""

    backend: str  # "sqlite" or "postgresql"
    folder: Path
    shared: SharedInstallations | None = None
    target: Path | str | None = None
    passphrase: str = PASSPHRASE  # the local file's

    def create(
        self, *, test: bool = True, kommunenummer: str = "0301", bydel: str | None = "030101"
    ) -> Database:
        """A new installation (Oslo, bydel 030101 unless told), open."""
        if self.shared is None:
            db, _ = Database.create(
                self.folder / "data" / "jsdesk.db",
                self.passphrase,
                kommunenummer=kommunenummer,
                bydel=bydel,
                test_installation=test,
            )
            self.target = db.path
            return db
        self.target = self.shared.new(kommunenummer, bydel, test=test)
        return Database.connect(self.target)

    @property
    def secret(self) -> str:
        """What unlocks it: the passphrase, or the login's password."""
        return self.passphrase if self.shared is None else CASEWORKER_PASSWORD

    @property
    def owner(self) -> tuple[str, str]:
        """What IT opens to change the installation's settings, and what unlocks it: the
        local file itself, or the same shared database as its owner login."""
        if self.shared is None:
            return str(self.target), self.passphrase
        assert isinstance(self.target, str)
        name = urlsplit(self.target).path.lstrip("/")
        return self.shared.server.owner_url(name), SUPERUSER_PASSWORD

    def reopen(self) -> Database:
        """The same installation opened again (as a new start of the program would)."""
        if isinstance(self.target, Path):
            return Database.open(self.target, self.passphrase)
        assert self.target is not None
        return Database.connect(self.target)
