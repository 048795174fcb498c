"""inbound backoff: a failed inbound payload waits until next_attempt_at before a retry

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch_op:
        batch_op.drop_column("next_attempt_at")
