"""Each record's answered, «Ukjent» and missing fields: ``participations.field_states``.

The completeness figures (share answered, share «Ukjent» per variable for a year)
counted every answered value of every record of the period in the database, from the
encrypted record JSON: 13.7 s CPU for 100,000 participations. Storage now keeps, with
each record, the names of its answered input variables, the «Ukjent» ones and the ones
the rules report missing (``jsdesk.storage.assess.field_states``, written on every
save from the same assessment). This migration adds the column and fills it for every
stored participation from its values, its form (the form of its version says what
«Ukjent» is) and its stored findings. A record of a form version this jsdesk lacks
keeps NULL (it counts in the total, not per field) until it is saved again.

SQLite also gets ``ix_participations_completeness`` (period, bydel, field states), so
the figures read that index instead of every encrypted record. PostgreSQL reads the
column from the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from jsdesk.errors import UserError
from jsdesk.forms import FormDefinition
from jsdesk.rules import form_by_version
from jsdesk.storage.assess import field_states

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

BATCH = 2000

_participations = sa.table(
    "participations",
    sa.column("id", sa.Integer),
    sa.column("form_version", sa.String),
    sa.column("values", sa.JSON),
    sa.column("findings", sa.JSON),
    sa.column("field_states", sa.Text),
)


def upgrade() -> None:
    op.add_column("participations", sa.Column("field_states", sa.Text(), nullable=True))
    bind = op.get_bind()
    forms: dict[str, FormDefinition | None] = {}
    table = _participations
    rows = bind.execute(
        sa.select(table.c.id, table.c.form_version, table.c["values"], table.c.findings)
    ).all()
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(field_states=sa.bindparam("states"))
    )
    batch: list[dict[str, Any]] = []
    for row_id, version, values, findings in rows:
        if version not in forms:
            forms[version] = _form(version)
        form = forms[version]
        if form is None or not isinstance(values, dict):
            continue
        states = field_states(form, values, [f for f in findings or () if isinstance(f, dict)])
        batch.append({"row_id": row_id, "states": states})
        if len(batch) == BATCH:
            bind.execute(update, batch)
            batch = []
    if batch:
        bind.execute(update, batch)
    if bind.dialect.name != "postgresql":
        op.execute(
            "CREATE INDEX ix_participations_completeness ON participations "
            '(oppstartsdato, avslutningsdato, json_extract("values", \'$."bydel"\'), '
            "field_states)"
        )


def _form(version: str) -> FormDefinition | None:
    try:
        return form_by_version(version)
    except UserError:
        return None


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP INDEX ix_participations_completeness")
    op.drop_column("participations", "field_states")
