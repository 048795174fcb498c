"""special terms: discounts, instalments and deferred payments asked for on leads, with
the rule's or the head's answer (at most one of each kind pending per lead)

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = storage.types.UTCDateTime(timezone=True)
PENDING_ONLY = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "term_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("auto_limit", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_term_requests_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_term_requests_manager_id_managers")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["managers.id"],
            name=op.f("fk_term_requests_decided_by_id_managers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_requests")),
    )
    with op.batch_alter_table("term_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_requests_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_term_requests_status_decided", ["status", "decided_at"], unique=False
        )
        batch_op.create_index(
            "uq_term_requests_pending",
            ["lead_id", "kind"],
            unique=True,
            sqlite_where=PENDING_ONLY,
            postgresql_where=PENDING_ONLY,
        )


def downgrade() -> None:
    op.drop_table("term_requests")
