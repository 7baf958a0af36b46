"""Submissions: history of submission files, submitted versions, date search indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "submitted_records",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("participation_id", sa.Integer(), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id", "participation_id"),
    )
    with op.batch_alter_table("submitted_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submitted_records_participation", ["participation_id"], unique=False
        )
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_version", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_participations_birth_date"), ["birth_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_participations_avslutningsdato"), ["avslutningsdato"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participations_avslutningsdato"))
        batch_op.drop_index(batch_op.f("ix_participations_birth_date"))
        batch_op.drop_column("submitted_version")
    with op.batch_alter_table("submitted_records", schema=None) as batch_op:
        batch_op.drop_index("ix_submitted_records_participation")
    op.drop_table("submitted_records")
    op.drop_table("submissions")
