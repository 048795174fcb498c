"""quality grades: the weekly sample of closed conversations (one row per ISO week, timed
work claimed once) and its conversations, each graded 1–5 with a comment by a head

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quality_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=16), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rounds")),
        sa.UniqueConstraint("week", name=op.f("uq_quality_rounds_week")),
    )
    with op.batch_alter_table("quality_rounds", schema=None) as batch_op:
        batch_op.create_index("ix_quality_rounds_due", ["status", "due_at"], unique=False)

    op.create_table(
        "quality_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("graded_by", sa.String(length=64), nullable=True),
        sa.Column("graded_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["quality_rounds.id"],
            name=op.f("fk_quality_samples_round_id_quality_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_quality_samples_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_quality_samples_manager_id_managers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_samples")),
        sa.UniqueConstraint("round_id", "lead_id", name=op.f("uq_quality_samples_round_id")),
    )
    with op.batch_alter_table("quality_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_samples_round_id"), ["round_id"])
        batch_op.create_index(batch_op.f("ix_quality_samples_lead_id"), ["lead_id"])
        batch_op.create_index(batch_op.f("ix_quality_samples_manager_id"), ["manager_id"])
        batch_op.create_index("ix_quality_samples_graded_at", ["graded_at"])


def downgrade() -> None:
    with op.batch_alter_table("quality_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_samples_graded_at")
        batch_op.drop_index(batch_op.f("ix_quality_samples_manager_id"))
        batch_op.drop_index(batch_op.f("ix_quality_samples_lead_id"))
        batch_op.drop_index(batch_op.f("ix_quality_samples_round_id"))
    op.drop_table("quality_samples")
    with op.batch_alter_table("quality_rounds", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_rounds_due")
    op.drop_table("quality_rounds")
