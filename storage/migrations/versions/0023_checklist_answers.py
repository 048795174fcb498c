"""checklist answers: a lead's answers to the stage checklists (config `stages:`), one
per lead and question

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checklist_answers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_checklist_answers_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_checklist_answers_manager_id_managers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answers")),
        sa.UniqueConstraint(
            "lead_id", "question_key", name=op.f("uq_checklist_answers_lead_id_question_key")
        ),
    )
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checklist_answers_lead_id"), ["lead_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_answers_lead_id"))
    op.drop_table("checklist_answers")
