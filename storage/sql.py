"""Dialect helpers shared by the repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, values: dict[str, Any], returning: Any = None
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING; returns the row count, or the `returning` value.

    A conflict must not abort the transaction (PostgreSQL would), so no IntegrityError.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing()
    if returning is not None:
        result = await session.execute(statement.returning(returning))
        return result.scalar_one_or_none()
    result = await session.execute(statement)
    return result.rowcount


async def lock_due_pending(
    session: AsyncSession, model: Any, now: datetime, limit: int, pending: str = "pending"
) -> list[Any]:
    """Due rows of a table of timed work (`status`, `due_at`), oldest first, locked for
    this transaction: other workers skip them rather than wait (SKIP LOCKED)."""
    statement = (
        select(model)
        .where(model.status == pending, model.due_at <= now)
        .order_by(model.due_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))
