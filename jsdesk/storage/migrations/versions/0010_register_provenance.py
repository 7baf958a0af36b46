"""A registry import's provenance and history in tables of their own, out of ``settings``.

Before, ``settings`` held per participation where its register values came from
(``registerkilde:ID``: variable -> source, file, day) and the history of imports
(``registerimporter``). On a shared database ``settings`` is the installation's and
only the owner's login (IT) may change it, so migration 0009 had to let caseworkers
write those rows there, and every login could read every bydel's.

Both back ends get:

- ``register_provenance`` (participation_id, variable, source, file_name, imported_on),
  one row per imported value, deleted with its participation;
- ``register_imports`` (id, imported_at, login, details): one row per import.

The rows in ``settings`` move there (provenance of a participation that no longer
exists is dropped) and are removed from ``settings``.

PostgreSQL only:

- row-level security on ``register_provenance`` like ``accepted_warnings``: a login
  sees and writes the provenance of the participations it may see (migration 0008);
- row-level security on ``register_imports``: a login reads and adds only its own;
- the settings guard of migration 0009 no longer lets other logins than the owner
  write any row of ``settings``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

# Names as they were when this migration was written (a migration describes the past).
PROVENANCE_PREFIX = "registerkilde:"
IMPORT_LOG_KEY = "registerimporter"

_settings = sa.table(
    "settings",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("changed_at", sa.DateTime),
)
_participations = sa.table("participations", sa.column("id", sa.Integer))

GUARD = """
    CREATE OR REPLACE FUNCTION jsdesk_settings_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                          WHERE tablename = 'settings'
                                            AND schemaname = 'public'), 'MEMBER')
        THEN
            RAISE EXCEPTION 'bare eierinnloggingen (IT) kan endre installasjonens innstillinger'
                USING ERRCODE = '42501';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END
    $$
"""
# Migration 0009's guard, for the downgrade.
GUARD_0009 = """
    CREATE OR REPLACE FUNCTION jsdesk_settings_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        participation_rows boolean := true;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            participation_rows := OLD.key LIKE 'registerkilde:%' OR OLD.key = 'registerimporter';
        END IF;
        IF TG_OP <> 'DELETE' THEN
            participation_rows := participation_rows
                AND (NEW.key LIKE 'registerkilde:%' OR NEW.key = 'registerimporter');
        END IF;
        IF NOT participation_rows
           AND NOT pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                              WHERE tablename = 'settings'
                                                AND schemaname = 'public'), 'MEMBER')
        THEN
            RAISE EXCEPTION 'bare eierinnloggingen (IT) kan endre installasjonens innstillinger'
                USING ERRCODE = '42501';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END
    $$
"""
POSTGRES_STATEMENTS = (
    "ALTER TABLE register_provenance ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY register_provenance_unit ON register_provenance USING (
        EXISTS (SELECT 1 FROM participations p WHERE p.id = participation_id)
    )
    """,
    "ALTER TABLE register_imports ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY register_imports_own ON register_imports
    USING (login = session_user) WITH CHECK (login = session_user)
    """,
    GUARD,
)


def upgrade() -> None:
    provenance = op.create_table(
        "register_provenance",
        sa.Column("participation_id", sa.Integer(), nullable=False),
        sa.Column("variable", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["participation_id"], ["participations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("participation_id", "variable"),
    )
    imports = op.create_table(
        "register_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_settings.c.key, _settings.c.value, _settings.c.changed_at).where(
            sa.or_(
                _settings.c.key.like(PROVENANCE_PREFIX + "%"),
                _settings.c.key == IMPORT_LOG_KEY,
            )
        )
    ).all()
    existing = set(bind.execute(sa.select(_participations.c.id)).scalars())
    for key, value, changed_at in rows:
        stored = _json(value)
        if key == IMPORT_LOG_KEY:
            entries = stored if isinstance(stored, list) else []
            for entry in entries:
                if isinstance(entry, dict):
                    day = _day(entry.get("importert"), changed_at)
                    at = datetime.combine(day, time())
                    bind.execute(sa.insert(imports).values(imported_at=at, login="", details=entry))
            continue
        pid = _participation_id(key)
        if pid not in existing or not isinstance(stored, dict):
            continue
        for variable, facts in sorted(stored.items()):
            if not isinstance(facts, dict):
                continue
            bind.execute(
                sa.insert(provenance).values(
                    participation_id=pid,
                    variable=str(variable)[:80],
                    source=str(facts.get("kilde") or "")[:40],
                    file_name=str(facts.get("fil") or ""),
                    imported_on=_day(facts.get("importert"), changed_at),
                )
            )
    bind.execute(sa.delete(_settings).where(_settings.c.key.in_([key for key, _, _ in rows])))
    if bind.dialect.name == "postgresql":
        for statement in POSTGRES_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(GUARD_0009)
    provenance = sa.table(
        "register_provenance",
        sa.column("participation_id", sa.Integer),
        sa.column("variable", sa.String),
        sa.column("source", sa.String),
        sa.column("file_name", sa.Text),
        sa.column("imported_on", sa.Date),
    )
    imports = sa.table(
        "register_imports",
        sa.column("id", sa.Integer),
        sa.column("details", sa.JSON),
        sa.column("imported_at", sa.DateTime),
    )
    by_participation: dict[int, dict[str, dict[str, str]]] = {}
    for pid, variable, source, file_name, day in bind.execute(sa.select(provenance)):
        by_participation.setdefault(pid, {})[variable] = {
            "kilde": source,
            "fil": file_name,
            "importert": day.isoformat(),
        }
    history = list(bind.execute(sa.select(imports.c.details).order_by(imports.c.id)).scalars())
    now = datetime.now().replace(microsecond=0)
    for pid, facts in sorted(by_participation.items()):
        bind.execute(
            sa.insert(_settings).values(
                key=f"{PROVENANCE_PREFIX}{pid}",
                value=json.dumps(facts, ensure_ascii=False),
                changed_at=now,
            )
        )
    if history:
        bind.execute(
            sa.insert(_settings).values(
                key=IMPORT_LOG_KEY, value=json.dumps(history, ensure_ascii=False), changed_at=now
            )
        )
    op.drop_table("register_imports")
    op.drop_table("register_provenance")


def _json(value: str | None) -> Any:
    try:
        return None if value is None else json.loads(value)
    except ValueError:
        return None


def _participation_id(key: str) -> int | None:
    number = key.removeprefix(PROVENANCE_PREFIX)
    return int(number) if number.isdigit() else None


def _day(text: object, fallback: datetime | None) -> date:
    """The import's day as stored; else the day the setting was last written."""
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return (fallback or datetime.now()).date()
