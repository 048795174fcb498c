"""web logins: one-time login links the bot sends on /web, and the staff's web sessions
they open (tokens kept only as SHA-256 digests; sessions revocable)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_login_links",
        sa.Column("id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_web_login_links_manager_id_managers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_login_links_token_hash")),
    )
    with op.batch_alter_table("web_login_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_login_links_manager_id"), ["manager_id"], unique=False
        )
    op.create_table(
        "web_sessions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("revoked_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_web_sessions_manager_id_managers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_sessions_manager_id"), ["manager_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_manager_id"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("web_login_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_login_links_manager_id"))
    op.drop_table("web_login_links")
