"""Secrets out of the audit trail, with a recorded redaction event.

Earlier versions logged the value of the signing key's PKCS#8 password
(setting ``signing.key_secret``) in plain text in its "innstilling" event.
This migration scrubs those values the way a deleted participation's values
are scrubbed (value and salt removed, the digest kept, so every hash still
verifies) and then appends one event, "sladdet hemmelighet", naming the
events it scrubbed. History is not rewritten silently: the chain grows by
the record of what was removed and why.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text
from sqlalchemy.orm import Session

from jsdesk.storage import audit
from jsdesk.storage.models import utc_now

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# The secret settings as they were named when this migration was written (a
# migration describes the past, so it does not follow later renames).
SECRET_SETTINGS = ("signing.key_secret",)
REDACTION_ACTION = "sladdet hemmelighet"


def upgrade() -> None:
    bind = op.get_bind()
    names = ", ".join(f"'{name}'" for name in SECRET_SETTINGS)
    ids = [
        int(row[0])
        for row in bind.execute(
            text(
                "SELECT id FROM audit_events WHERE action = 'innstilling' "
                f"AND variable IN ({names}) AND scrubbed = false "
                "AND (old_value IS NOT NULL OR new_value IS NOT NULL) ORDER BY id"
            )
        )
    ]
    if not ids:
        return
    for event_id in ids:
        bind.execute(
            text(
                "UPDATE audit_events SET old_value = NULL, new_value = NULL, salt = NULL, "
                "scrubbed = true WHERE id = :id"
            ),
            {"id": event_id},
        )
    session = Session(bind=bind)
    audit.append(
        session,
        at=utc_now(),
        action=REDACTION_ACTION,
        new={"hendelser": ids, "grunn": "hemmelig verdi (passord) skal ikke stå i loggen"},
    )
    session.flush()


def downgrade() -> None:
    """Scrubbed values cannot come back; nothing to undo."""
