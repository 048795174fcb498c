"""Dialect helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
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
