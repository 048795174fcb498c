"""delivery fates: whom to tell about an outbox row's fate, and why a message failed

Revision ID: 0009
Revises: 0008_timed_backoff
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008_timed_backoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("notify_manager_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("delivery_error")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("notify_manager_id")
