"""channel health: what the watchdog last saw of each channel (probe, polling, sends) and
whether the heads were told about its outage

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_health",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), server_default="", nullable=False),
        sa.Column("failing_since", _WHEN, nullable=True),
        sa.Column("alerted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("outages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_probe_at", _WHEN, nullable=False),
        sa.Column("probed_at", _WHEN, nullable=True),
        sa.Column("ok_at", _WHEN, nullable=True),
        sa.Column("repaired", sa.String(length=200), server_default="", nullable=False),
        sa.Column("repaired_at", _WHEN, nullable=True),
        sa.Column("poll_error", sa.String(length=500), nullable=True),
        sa.Column("poll_error_at", _WHEN, nullable=True),
        sa.Column("poll_ok_at", _WHEN, nullable=True),
        sa.Column("send_error", sa.String(length=500), nullable=True),
        sa.Column("send_error_at", _WHEN, nullable=True),
        sa.Column("send_ok_at", _WHEN, nullable=True),
        sa.Column("watched_since", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_health")),
    )


def downgrade() -> None:
    op.drop_table("channel_health")
