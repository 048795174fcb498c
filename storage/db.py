"""Engine and session factory; SQLite gets the settings that make it safe to share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.types import guard_text


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_async_engine(url, **kwargs)
    guard_text(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is turned off so that we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed capture survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Taking the write lock up front avoids SQLITE_BUSY when a reader later writes,
        # which the busy timeout cannot wait out in WAL mode.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# SQLSTATEs of a server that is away, starting, shutting down or full: connection
# exceptions (08…), operator intervention (57P01-57P03), too many connections.
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_transient(error: BaseException) -> bool:
    """True for errors that a retry later can cure: the database is down, busy or restarting.

    SQLAlchemy wraps the driver's error (a plain DBAPIError for asyncpg's "the database
    system is starting up"), so the wrapped errors are looked at too."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_itself(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def _transient_itself(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, ConnectionError | OSError | TimeoutError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
        return True
    name = type(error).__name__
    return name in {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "TooManyConnectionsError",
    }
