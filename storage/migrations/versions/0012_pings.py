"""pings: staff who pressed /start, managers retired from the config, and escalations
held for one summary ping during a burst

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("managers") as batch_op:
        batch_op.add_column(
            sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("retired_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("lead_alerts") as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("lead_alerts") as batch_op:
        batch_op.drop_column("held")
    with op.batch_alter_table("managers") as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("started_at")
