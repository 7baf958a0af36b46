"""Settings per login beside the installation's: ``login_settings``.

Both back ends get the table ``login_settings`` (login, key, value): a login's own
preferences (the idle lock, the receipt's next steps). On the local file the login is
the empty string (one user). A login without its own value gets the installation's
(``settings``), so values stored there before stay in use as the default.

PostgreSQL only:

- row-level security on ``login_settings``: a login reads and changes only its own
  rows (``login = session_user``);
- the installation's settings (municipality, person-id key, recipient certificate,
  time-stamping service …) are changed only by the owner login (IT; also a superuser
  or a member of the owning role): a trigger refuses INSERT, UPDATE and DELETE by any
  other login, whatever the grants say. Rows about participations that ``settings``
  also holds (a registry import's provenance ``registerkilde:ID`` and its history
  ``registerimporter``) stay writable by caseworkers, who import;
- the installation id that record ids are derived from is made here when missing: a
  caseworker's login may not write it at the first submission any more.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

# Names as they were when this migration was written (a migration describes the past).
INSTALLATION_ID_SETTING = "submission.installation_id"

_settings = sa.table(
    "settings",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("changed_at", sa.DateTime),
)

POSTGRES_STATEMENTS = (
    "ALTER TABLE login_settings ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY login_settings_own ON login_settings
    USING (login = session_user) WITH CHECK (login = session_user)
    """,
    """
    CREATE FUNCTION jsdesk_settings_guard() RETURNS trigger
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
    """,
    """
    CREATE TRIGGER settings_owner_only BEFORE INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION jsdesk_settings_guard()
    """,
)


def upgrade() -> None:
    op.create_table(
        "login_settings",
        sa.Column("login", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("login", "key"),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in POSTGRES_STATEMENTS:
        op.execute(statement)
    stored = bind.execute(
        sa.select(_settings.c.key).where(_settings.c.key == INSTALLATION_ID_SETTING)
    ).first()
    if stored is None:
        bind.execute(
            sa.insert(_settings).values(
                key=INSTALLATION_ID_SETTING,
                value=f'"{uuid.uuid4()}"',
                changed_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER settings_owner_only ON settings")
        op.execute("DROP FUNCTION jsdesk_settings_guard()")
    op.drop_table("login_settings")
