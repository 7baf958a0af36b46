"""Indexes for the results report and the data-quality list.

``ix_participations_report`` covers the period columns and the record values the
results read, so a report over 100,000 participations reads the index instead of
every encrypted record. ``ix_participations_with_findings`` (partial) lists only the
participations that have findings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:45:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

# As they were when this migration was written (the model may list more later).
REPORT_COLUMNS = ("oppstartsdato", "avslutningsdato", "stage", "birth_date", "fodselsar")
REPORT_VALUES = (
    "bydel",
    "hovedarsak_avslutning",
    "type_arbeid",
    "stillingsprosent_arbeid",
    "inntektskilde_for_oppstart",
    "hovedinntektskilde_etter_avslutning",
    "fravar",
    "deltatt_intro",
    "intro_avsluttet_dato",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The same index in PostgreSQL's words: ->> reads a JSON value as text.
        values = [f"(\"values\" ->> '{n}')" for n in REPORT_VALUES]
        findings = "findings::text != '[]'"
    else:
        values = [f'json_extract("values", \'$."{n}"\')' for n in REPORT_VALUES]
        findings = "findings != '[]'"
    parts = [*REPORT_COLUMNS, *values]
    op.execute(f"CREATE INDEX ix_participations_report ON participations ({', '.join(parts)})")
    op.execute(
        f"CREATE INDEX ix_participations_with_findings ON participations (id) WHERE {findings}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_participations_with_findings")
    op.execute("DROP INDEX ix_participations_report")
