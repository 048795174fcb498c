"""open lead: a bare /start waits on the contact for the first question; the staff chat's
message ids of cards and relays can be looked up, so a native reply finds its lead

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("start_source", sa.String(length=64), nullable=True))
    op.create_index("ix_outbox_external", "outbox", ["channel", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_external", table_name="outbox")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("start_source")
        batch_op.drop_column("started_at")
