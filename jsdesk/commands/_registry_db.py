"""Opening the database for the registry, demo and form-migrate commands."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from jsdesk.errors import UserError
from jsdesk.storage import Database, default_db_path

PASSPHRASE_ENV = "JSDESK_PASSPHRASE"


def database_path(given: str | None) -> Path:
    return Path(given) if given else default_db_path()


def passphrase(prompt: str = "Passordfrase: ") -> str:
    """The passphrase from ``JSDESK_PASSPHRASE``, else asked for without echo."""
    secret = os.environ.get(PASSPHRASE_ENV)
    if secret:
        return secret
    if not sys.stdin.isatty():
        raise UserError(
            f"Passordfrasen mangler: sett {PASSPHRASE_ENV} eller kjør kommandoen "
            "i et terminalvindu.",
            2,
        )
    return getpass.getpass(prompt)


def new_passphrase() -> str:
    """A passphrase for a new database: ``JSDESK_PASSPHRASE``, else asked for twice."""
    secret = os.environ.get(PASSPHRASE_ENV)
    if secret:
        return secret
    first = passphrase("Velg passordfrase (minst 12 tegn): ")
    if getpass.getpass("Gjenta passordfrasen: ") != first:
        raise UserError("Passordfrasene er ikke like. Ingen database er laget.", 2)
    return first


def open_database(given: str | None) -> Database:
    path = database_path(given)
    if not path.exists():
        raise UserError(
            f"Finner ingen database i {path}. Opprett den med «jsdesk db init» eller oppgi --db.",
            2,
        )
    return Database.open(path, passphrase())
