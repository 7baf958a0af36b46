"""person_id keyed to the installation: a secret in the database, every id recomputed.

Earlier versions stored ``person_id`` as uuid5 of the fødselsnummer under a public
namespace, so anyone who saw a person_id next to the masked number (which shows
the birth date) could find the whole number by trying the few thousand that fit.
This migration

- creates the installation's person-id key (setting ``person_id.key``, 32 random
  bytes; a new database gets it here too, when ``db init`` runs the migrations),
- recomputes the stored ``person_id`` of every participation as HMAC-SHA256 of
  the number under that key (``jsdesk.domain.fnr.person_id``),
- removes a ``person_id`` that an import gave as a value (it is derived, and the
  old one is the guessable uuid5) together with the findings about it,

and records one audit event saying so. See docs/person-id.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from jsdesk.domain import fnr
from jsdesk.storage import audit
from jsdesk.storage.models import utc_now

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

# Names as they were when this migration was written (a migration describes the past).
KEY_SETTING = "person_id.key"
PERSON_ID_VARIABLE = "person_id"
EVENT_ACTION = "nøkkelbasert person-id"

_settings = sa.table(
    "settings",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("blob", sa.LargeBinary),
    sa.column("changed_at", sa.DateTime),
)
_participations = sa.table(
    "participations",
    sa.column("id", sa.Integer),
    sa.column("fnr", sa.String),
    sa.column("person_id", sa.String),
    sa.column("values", sa.JSON),
    sa.column("findings", sa.JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    stored = bind.execute(
        sa.select(_settings.c.blob).where(_settings.c.key == KEY_SETTING)
    ).scalar_one_or_none()
    if stored is None:
        key = fnr.PersonKey.random()
        bind.execute(
            sa.insert(_settings).values(
                key=KEY_SETTING,
                value=None,
                blob=key.secret,
                changed_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
    else:
        key = fnr.PersonKey(bytes(stored))

    recomputed = 0
    removed: list[int] = []
    rows = bind.execute(
        sa.select(
            _participations.c.id,
            _participations.c.fnr,
            _participations.c.person_id,
            _participations.c["values"],
            _participations.c.findings,
        ).order_by(_participations.c.id)
    ).all()
    for row in rows:
        changes: dict[str, Any] = {}
        new_id = _keyed(fnr, row.fnr, key)
        if new_id != row.person_id:
            changes["person_id"] = new_id
            recomputed += 1
        values = dict(row.values or {})
        if PERSON_ID_VARIABLE in values:
            del values[PERSON_ID_VARIABLE]
            changes["values"] = values
            changes["findings"] = [
                f
                for f in (row.findings or [])
                if not (isinstance(f, dict) and f.get("variable") == PERSON_ID_VARIABLE)
            ]
            removed.append(int(row.id))
        if changes:
            bind.execute(
                sa.update(_participations).where(_participations.c.id == row.id).values(**changes)
            )
    if not rows:
        return  # a new database: nothing to recompute, the key is all
    session = Session(bind=bind)
    audit.append(
        session,
        at=utc_now(),
        action=EVENT_ACTION,
        new={
            "beregnet_på_nytt": recomputed,
            "fjernet_oppgitt_person_id": removed,
            "grunn": "person_id er nå HMAC under installasjonens hemmelige nøkkel",
        },
    )
    session.flush()


def _keyed(fnr: Any, number: str | None, key: Any) -> str | None:
    if not number:
        return None
    try:
        return str(fnr.person_id(number, key))
    except fnr.FnrError:
        return None


def downgrade() -> None:
    """The uuid5 ids are not brought back: they gave the numbers away."""
