"""one dead-letter path: the dead letters of VK, WhatsApp, forms and e-mail move into the
inbox as failed payloads (listed and retried like Telegram's); the table goes

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Named by the old row's id: a dead letter kept no delivery id, and this one is unique.
KEY_PREFIX = "dead-letter:"


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO inbound_updates "
            "(channel, key, payload, status, attempts, received_at, processed_at, error) "
            "SELECT channel, :prefix || CAST(id AS VARCHAR(20)), payload, 'failed', 1, "
            "created_at, created_at, error FROM dead_letters ORDER BY id"
        ).bindparams(prefix=KEY_PREFIX)
    )
    op.drop_table("dead_letters")


def downgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    # What still fails outside Telegram goes back; the rest stays in the inbox.
    op.execute(
        "INSERT INTO dead_letters (channel, payload, error, created_at) "
        "SELECT channel, payload, COALESCE(error, ''), received_at FROM inbound_updates "
        "WHERE status = 'failed' AND channel <> 'telegram' ORDER BY id"
    )
    op.execute("DELETE FROM inbound_updates WHERE status = 'failed' AND channel <> 'telegram'")
