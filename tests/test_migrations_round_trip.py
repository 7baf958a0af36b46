"""Every migration's downgrade, step by step, and the upgrade back, on both back ends.

An installation with data at head is taken down one revision at a time to the earliest
revision whose downgrades keep a caseworker's data (0008: the shared database's logins,
row-level security and audit chain came with it), then upgraded to head again by the
same, unchanged migrations. What was typed, the audit chain (``db check``) and the
schema (models and migrations agree, as ``alembic check`` finds them) must survive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from storage_helpers import FORM_VERSION, Installation, db_key, record

from jsdesk.storage import Database, schema
from jsdesk.storage.backend import make_server_engine
from jsdesk.storage.check_migrations import compare
from jsdesk.storage.connection import make_engine

LOWEST = "0008"  # 0008 is kept: it made the shared database's logins and chain


def _revisions_down_to(lowest: str) -> list[str]:
    """The revisions from head down to ``lowest``, newest first."""
    script = ScriptDirectory.from_config(schema.alembic_config())
    chain = [rev.revision for rev in script.walk_revisions()]
    return chain[: chain.index(lowest) + 1]


def _owner_engine(installation: Installation) -> Engine:
    target, _secret = installation.owner
    if installation.shared is None:
        assert installation.target is not None
        path = installation.target
        assert not isinstance(path, str)
        return make_engine(path, db_key(path))
    return make_server_engine(target, None)


@contextmanager
def _owner(installation: Installation) -> Iterator[Connection]:
    engine = _owner_engine(installation)
    try:
        with engine.connect() as conn:
            yield conn
            conn.commit()
    finally:
        engine.dispose()


def _register(db: Database, pids: list[int]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for pid in pids:
        found = db.get_participation(pid)
        rows.append((pid, found.values, found.status, found.record_version, found.findings))
    return rows


def test_migrations__data_at_head__down_step_by_step_and_up_again_keep_it(
    installation: Installation,
) -> None:
    with installation.create() as db:
        first = db.create_participation(record(1), form_version=FORM_VERSION)
        second = db.create_participation(
            record(2, oppstartsdato="2024-04-15"), form_version=FORM_VERSION
        )
        pids = [first, second]
        db.set_value(first, "ankomstar", 2015)
        db.set_value(first, "ankomstar", 2016)
        before = _register(db, pids)
        check = db.check()
        assert check.ok, check
        events = check.chain.events
    assert events >= 4

    chain = _revisions_down_to(LOWEST)
    assert chain[0] == schema.head_revision()
    for newer, older in pairwise(chain):
        with _owner(installation) as conn:
            assert schema.current_revision(conn) == newer
            command.downgrade(schema.alembic_config(conn), older)
        with _owner(installation) as conn:
            assert schema.current_revision(conn) == older, f"{newer} -> {older}"

    with _owner(installation) as conn:
        command.upgrade(schema.alembic_config(conn), "head")

    with installation.reopen() as db:
        assert _register(db, pids) == before
        check = db.check()
        assert check.ok, check
        assert check.chain.events == events
        assert check.revision == schema.head_revision()
        db.set_value(first, "ankomstar", 2017)  # and it is usable again
        assert db.check().ok

    with _owner(installation) as conn:
        compare(conn)  # raises when models and schema differ


def test_migrations__every_downgrade_to_the_first_and_up_again__schema_agrees(
    installation: Installation,
) -> None:
    # Below 0008 a shared database loses its logins' access, and below 0002 the
    # submissions: every downgrade still runs, on an installation without records.
    installation.create().close()
    chain = [*_revisions_down_to("0001"), "base"]
    for newer, older in pairwise(chain):
        with _owner(installation) as conn:
            assert schema.current_revision(conn) == newer
            command.downgrade(schema.alembic_config(conn), older)
    with _owner(installation) as conn:
        assert schema.current_revision(conn) is None
        command.upgrade(schema.alembic_config(conn), "head")
    with _owner(installation) as conn:
        assert schema.current_revision(conn) == schema.head_revision()
        compare(conn)
