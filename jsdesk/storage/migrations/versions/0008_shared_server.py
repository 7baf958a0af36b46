"""The shared PostgreSQL database: row-level security per bydel, the audit
chain extended under a lock, UPDATE/DELETE of the audit refused, submissions only by
submitters. On SQLite (one local file, one user) nothing changes.

PostgreSQL only:

- ``jsdesk_access``: which units (a bydel, or the whole municipality when ``enhet`` is
  NULL) each database login may see; ``jsdesk server add-user`` fills it.
- ``participations.enhet``: the unit a participation belongs to (its ``bydel`` value,
  else the login's only unit, else the municipality), set by a trigger. The row-level
  policies compare it with ``jsdesk_access`` for ``session_user``; the program never
  filters by unit itself.
- ``jsdesk_audit_head()`` takes a transaction-scoped advisory lock and returns the
  newest audit event, so two writers extend the chain one after the other (ids come
  from the table's sequence); ``jsdesk_audit_chain()`` returns every event without its
  values, so ``db check`` verifies the whole chain whatever the login may read;
  ``jsdesk_audit_scrub(id)`` removes the values of a deleted participation's events.
- Triggers: an audit event names the login that wrote it (``os_user = session_user``);
  UPDATE of the audit only scrubs, and only by the owner (the functions above run as
  the owner); DELETE of the audit never; ``submitted_version`` changes only by members
  of ``jsdesk_innsender``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

AUDIT_LOCK = 716_016  # pg_advisory_xact_lock key of the audit chain

STATEMENTS = (
    """
    CREATE TABLE jsdesk_access (
        login name NOT NULL,
        enhet varchar(6),
        UNIQUE (login, enhet)
    )
    """,
    # Logins that still have the one-time password ``server add-user`` printed.
    "CREATE TABLE jsdesk_onetime_password (login name PRIMARY KEY)",
    """
    CREATE FUNCTION jsdesk_password_changed() RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DELETE FROM jsdesk_onetime_password WHERE login = session_user
    $$
    """,
    """
    CREATE FUNCTION jsdesk_must_change_password() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT EXISTS (SELECT 1 FROM jsdesk_onetime_password WHERE login = session_user)
    $$
    """,
    "ALTER TABLE participations ADD COLUMN enhet varchar(6)",
    "CREATE INDEX ix_participations_enhet ON participations (enhet)",
    """
    CREATE FUNCTION jsdesk_may_see(unit varchar) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT EXISTS (
            SELECT 1 FROM jsdesk_access a
            WHERE a.login = session_user
              AND (a.enhet IS NULL OR a.enhet = unit OR a.enhet = left(unit, 4))
        )
    $$
    """,
    """
    CREATE FUNCTION jsdesk_unit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        own varchar[];
    BEGIN
        NEW.enhet := NEW."values" ->> 'bydel';
        IF NEW.enhet IS NULL OR NEW.enhet = '' THEN
            SELECT array_agg(coalesce(enhet, '')) INTO own
            FROM jsdesk_access WHERE login = session_user;
            IF own IS NOT NULL AND cardinality(own) = 1 AND own[1] <> '' THEN
                NEW.enhet := own[1];
            ELSE
                NEW.enhet := (SELECT value FROM settings WHERE key = 'kommunenummer');
                NEW.enhet := trim(both '"' from NEW.enhet);
            END IF;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.submitted_version IS DISTINCT FROM OLD.submitted_version
           AND session_user::name <> (SELECT tableowner FROM pg_tables
                                      WHERE tablename = 'participations'
                                        AND schemaname = 'public')
        THEN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jsdesk_innsender')
               OR NOT pg_has_role(session_user, 'jsdesk_innsender', 'MEMBER')
            THEN
                RAISE EXCEPTION 'bare innsendere kan markere deltakelser som sendt inn'
                    USING ERRCODE = '42501';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER participations_unit BEFORE INSERT OR UPDATE ON participations
    FOR EACH ROW EXECUTE FUNCTION jsdesk_unit()
    """,
    "ALTER TABLE participations ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY participations_unit ON participations
    USING (jsdesk_may_see(enhet)) WITH CHECK (jsdesk_may_see(enhet))
    """,
    "ALTER TABLE accepted_warnings ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY accepted_warnings_unit ON accepted_warnings USING (
        EXISTS (SELECT 1 FROM participations p WHERE p.id = participation_id)
    )
    """,
    "ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY",
    """
    CREATE POLICY audit_events_read ON audit_events FOR SELECT USING (
        participation_id IS NULL
        OR EXISTS (SELECT 1 FROM participations p WHERE p.id = participation_id)
    )
    """,
    "CREATE POLICY audit_events_append ON audit_events FOR INSERT WITH CHECK (true)",
    f"""
    CREATE FUNCTION jsdesk_audit_head() RETURNS TABLE (id integer, hash varchar)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
        RETURN QUERY SELECT e.id, e.hash FROM audit_events e ORDER BY e.id DESC LIMIT 1;
    END
    $$
    """,
    """
    CREATE FUNCTION jsdesk_audit_chain() RETURNS TABLE (
        id integer, at timestamp, os_user varchar, action varchar, participation_id integer,
        variable varchar, value_digest varchar, scrubbed boolean, prev_hash varchar,
        hash varchar
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id, at, os_user, action, participation_id, variable, value_digest, scrubbed,
               prev_hash, hash
        FROM audit_events ORDER BY id
    $$
    """,
    """
    CREATE FUNCTION jsdesk_audit_scrub(pid integer) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        n integer;
    BEGIN
        UPDATE audit_events SET old_value = NULL, new_value = NULL, salt = NULL,
            scrubbed = true
        WHERE participation_id = pid;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END
    $$
    """,
    """
    CREATE FUNCTION jsdesk_audit_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.os_user IS DISTINCT FROM session_user::varchar THEN
                RAISE EXCEPTION 'revisjonsloggen må vise innloggingen som skrev'
                    USING ERRCODE = '42501';
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
        END IF;
        IF current_user <> (SELECT tableowner FROM pg_tables
                            WHERE tablename = 'audit_events' AND schemaname = 'public')
           OR NEW.id IS DISTINCT FROM OLD.id OR NEW.at IS DISTINCT FROM OLD.at
           OR NEW.os_user IS DISTINCT FROM OLD.os_user OR NEW.action IS DISTINCT FROM OLD.action
           OR NEW.participation_id IS DISTINCT FROM OLD.participation_id
           OR NEW.variable IS DISTINCT FROM OLD.variable
           OR NEW.value_digest IS DISTINCT FROM OLD.value_digest
           OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash OR NEW.hash IS DISTINCT FROM OLD.hash
           OR NEW.old_value IS NOT NULL OR NEW.new_value IS NOT NULL OR NEW.salt IS NOT NULL
           OR NOT NEW.scrubbed
        THEN
            RAISE EXCEPTION 'audit_events can only be scrubbed' USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION jsdesk_audit_guard()
    """,
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_events_guard ON audit_events")
    op.execute("DROP TRIGGER participations_unit ON participations")
    for policy, table in (
        ("participations_unit", "participations"),
        ("accepted_warnings_unit", "accepted_warnings"),
        ("audit_events_read", "audit_events"),
        ("audit_events_append", "audit_events"),
    ):
        op.execute(f"DROP POLICY {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for function in (
        "jsdesk_must_change_password()",
        "jsdesk_password_changed()",
        "jsdesk_audit_guard()",
        "jsdesk_audit_scrub(integer)",
        "jsdesk_audit_chain()",
        "jsdesk_audit_head()",
        "jsdesk_unit()",
        "jsdesk_may_see(varchar)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP INDEX ix_participations_enhet")
    op.execute("ALTER TABLE participations DROP COLUMN enhet")
    op.execute("DROP TABLE jsdesk_access")
    op.execute("DROP TABLE jsdesk_onetime_password")
