"""Running Alembic migrations programmatically on an open connection.

Alembic is imported only when a migration has to run: opening a database that
is already at ``HEAD_REVISION`` reads the revision with one query, which keeps
start-up fast (importing Alembic adds 149 modules to storage's 479 and about a
quarter to its import time, python -X importtime). A test checks that
``HEAD_REVISION`` is Alembic's head.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
HEAD_REVISION = "0013"  # update together with a new file in migrations/versions/


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    # Alembic's default stdout is bound when alembic is imported; use today's.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Alembic's head, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The database's schema revision; None when it has none (not a jsdesk database)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(connection: Connection, target: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), target)
