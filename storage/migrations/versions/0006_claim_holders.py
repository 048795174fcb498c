"""claim holders: worker heartbeats, the holder of each claimed row, in-flight sends

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("pid_started", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    with op.batch_alter_table("workers") as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_beat_at"), ["beat_at"], unique=False)
    with op.batch_alter_table("inbound_updates") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("attempted_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("maybe_sent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("maybe_sent")
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("inbound_updates") as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("workers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_beat_at"))
    op.drop_table("workers")
