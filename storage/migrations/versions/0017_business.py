"""business: the Telegram Business accounts connected to the bot

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_connections",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=False),
        sa.Column("owner_username", sa.String(length=255), nullable=True),
        sa.Column("user_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("can_reply", sa.Boolean(), nullable=False),
        sa.Column("rights", sa.JSON(), nullable=False),
        sa.Column("lost_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lost_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("connected_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_connections")),
    )
    with op.batch_alter_table("business_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_business_connections_owner_user_id"), ["owner_user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("business_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_connections_owner_user_id"))
    op.drop_table("business_connections")
