"""next steps: the step agreed on each accepted lead (at most one open per lead) and the
timed rows that remind its manager and ping the head

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "next_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_next_steps_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_next_steps_manager_id_managers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_next_steps")),
    )
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_next_steps_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_next_steps_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "uq_next_steps_open_lead",
            ["lead_id"],
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        )

    op.create_table(
        "next_step_timers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger_key", sa.String(length=64), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_next_step_timers_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["next_steps.id"], name=op.f("fk_next_step_timers_step_id_next_steps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_next_step_timers")),
        sa.UniqueConstraint(
            "lead_id", "kind", "trigger_key", name=op.f("uq_next_step_timers_lead_id")
        ),
    )
    with op.batch_alter_table("next_step_timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_next_step_timers_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_next_step_timers_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("next_step_timers", schema=None) as batch_op:
        batch_op.drop_index("ix_next_step_timers_due")
        batch_op.drop_index(batch_op.f("ix_next_step_timers_lead_id"))
    op.drop_table("next_step_timers")
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.drop_index("uq_next_steps_open_lead")
        batch_op.drop_index("ix_next_steps_status_due")
        batch_op.drop_index(batch_op.f("ix_next_steps_lead_id"))
    op.drop_table("next_steps")
