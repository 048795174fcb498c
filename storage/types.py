"""Column types, and text parameters, that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY, so 64-bit keys fall back to it there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Always aware UTC in Python; SQLite has no time zones, so it stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# ---------------------------------------------------------------- text without NUL

# PostgreSQL cannot hold U+0000 in text (asyncpg refuses the value, and the whole capture
# with it), SQLite keeps it but its C functions (FTS5, LIKE, length) stop at it. A customer
# or a hostile client can send one in any field, so every text bound for the database has
# it replaced by U+FFFD, the mark for a character that could not be kept: the rest of the
# text is stored, the same on both stores. JSON columns need nothing: their serialiser
# writes the escape "\u0000", which both stores take.
NUL, REPLACEMENT = "\x00", "\ufffd"


def without_nul(value: Any) -> Any:
    if type(value) is str and NUL in value:
        return value.replace(NUL, REPLACEMENT)
    return value


def _row_without_nul(row: Any) -> Any:
    if isinstance(row, dict):
        if any(type(v) is str and NUL in v for v in row.values()):
            return {key: without_nul(value) for key, value in row.items()}
        return row
    if isinstance(row, tuple | list):
        if any(type(v) is str and NUL in v for v in row):
            return type(row)(without_nul(value) for value in row)
    return row


def guard_text(engine: AsyncEngine) -> None:
    """Every statement's parameters (ORM, Core and executemany alike) leave without NUL."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _before(
        _connection: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        if executemany and isinstance(parameters, list | tuple):
            return statement, type(parameters)(_row_without_nul(row) for row in parameters)
        return statement, _row_without_nul(parameters)
