"""Audit trail append-only in the database itself: no DELETE, UPDATE only to scrub.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:45:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

NO_DELETE = """
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END
"""

SCRUB_ONLY = """
CREATE TRIGGER audit_events_scrub_only BEFORE UPDATE ON audit_events
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.os_user IS NOT OLD.os_user
    OR NEW.action IS NOT OLD.action OR NEW.participation_id IS NOT OLD.participation_id
    OR NEW.variable IS NOT OLD.variable OR NEW.value_digest IS NOT OLD.value_digest
    OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
    OR NEW.old_value IS NOT NULL OR NEW.new_value IS NOT NULL OR NEW.salt IS NOT NULL
    OR NEW.scrubbed IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'audit_events can only be scrubbed');
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(NO_DELETE)
        op.execute(SCRUB_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_scrub_only")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
