"""workload norm: the alarm episodes of a queue whose expected wait outgrew the
first-response SLA (at most one open at a time)

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workload_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("on_shift", sa.Integer(), nullable=False),
        sa.Column("wait_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workload_alarms")),
    )
    with op.batch_alter_table("workload_alarms", schema=None) as batch_op:
        batch_op.create_index(
            "uq_workload_alarms_open",
            ["slot"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("workload_alarms", schema=None) as batch_op:
        batch_op.drop_index("uq_workload_alarms_open")
    op.drop_table("workload_alarms")
