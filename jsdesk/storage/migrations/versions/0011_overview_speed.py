"""The overview's newest-first page reads only its 100 rows, also on a shared database.

Both back ends: the index on ``changed_at`` becomes one on (``changed_at``, ``id``), the
overview's whole sort key. A registry or bulk import gives a thousand participations the
same ``changed_at``; with the old index the database read all of them to order by id.

PostgreSQL only: the row-level security policy on ``participations`` asks which units
the login may see once per query instead of once per row. ``jsdesk_may_see(enhet)``
(migration 0008) ran a query on ``jsdesk_access`` for every row it looked at; the
policy now compares ``enhet`` with ``(SELECT jsdesk_units())`` and
``(SELECT jsdesk_sees_all())``, which PostgreSQL evaluates once (an InitPlan). Who
sees what is unchanged: all units for a login given the whole municipality (``enhet``
NULL in ``jsdesk_access``), else the rows whose unit, or its municipality (the first
four digits), is one of the login's.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

UNIT_CHECK = """
    (SELECT jsdesk_sees_all())
    OR enhet = ANY ((SELECT jsdesk_units())::varchar[])
    OR left(enhet, 4) = ANY ((SELECT jsdesk_units())::varchar[])
"""
POSTGRES_STATEMENTS = (
    """
    CREATE FUNCTION jsdesk_sees_all() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT EXISTS (
            SELECT 1 FROM jsdesk_access WHERE login = session_user AND enhet IS NULL
        )
    $$
    """,
    """
    CREATE FUNCTION jsdesk_units() RETURNS varchar[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT coalesce(array_agg(enhet), '{}'::varchar[]) FROM jsdesk_access
        WHERE login = session_user AND enhet IS NOT NULL
    $$
    """,
    "DROP POLICY participations_unit ON participations",
    f"""
    CREATE POLICY participations_unit ON participations
    USING ({UNIT_CHECK}) WITH CHECK ({UNIT_CHECK})
    """,
)


def upgrade() -> None:
    # IF (NOT) EXISTS: a database put back to an older revision by hand keeps its indexes.
    op.drop_index("ix_participations_changed_at", table_name="participations", if_exists=True)
    op.create_index(
        "ix_participations_changed_at_id",
        "participations",
        ["changed_at", "id"],
        unique=False,
        if_not_exists=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY participations_unit ON participations")
        op.execute(
            "CREATE POLICY participations_unit ON participations "
            "USING (jsdesk_may_see(enhet)) WITH CHECK (jsdesk_may_see(enhet))"
        )
        op.execute("DROP FUNCTION jsdesk_units()")
        op.execute("DROP FUNCTION jsdesk_sees_all()")
    op.drop_index("ix_participations_changed_at_id", table_name="participations")
    op.create_index("ix_participations_changed_at", "participations", ["changed_at"], unique=False)
