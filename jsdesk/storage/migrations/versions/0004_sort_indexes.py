"""Indexes for sorting and filtering the overview by fødselsår and stage.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 05:50:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participations_fodselsar"), ["fodselsar"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_participations_stage"), ["stage"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participations_stage"))
        batch_op.drop_index(batch_op.f("ix_participations_fodselsar"))
