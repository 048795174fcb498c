"""the head's Telegram: a staff member's chat that Telegram refused (he never pressed
/start, or he blocked the bot) is remembered until he writes to the bot again

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("managers") as batch_op:
        batch_op.add_column(
            sa.Column("unreachable_since", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("unreachable_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("managers") as batch_op:
        batch_op.drop_column("unreachable_reason")
        batch_op.drop_column("unreachable_since")
