"""storage.db.is_transient: an outage is recognised however the driver's error is wrapped.

asyncpg's "the database system is starting up" (SQLSTATE 57P03) reaches the code as a
plain sqlalchemy DBAPIError; treated as permanent, it made webhooks answer 500 instead of
503 and the worker loops log tracebacks while PostgreSQL restarted."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import is_transient


class DriverError(Exception):
    """Like sqlalchemy's asyncpg adapter error: the SQLSTATE copied, the cause chained."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(cause: BaseException, sqlstate: str | None, kind: type[DBAPIError] = DBAPIError):
    adapter = DriverError(str(cause), sqlstate)
    adapter.__cause__ = cause
    error = kind("SELECT 1", {}, adapter)
    error.__cause__ = adapter
    return error


@pytest.mark.parametrize(
    ("cause", "sqlstate"),
    [
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "57P03"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), "57P01"),
        (asyncpg.exceptions.CrashShutdownError("crash"), "57P02"),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "53300"),
        (asyncpg.exceptions.ConnectionFailureError("connection failure"), "08006"),
    ],
)
def test_a_server_away_or_restarting_is_transient(cause: BaseException, sqlstate: str) -> None:
    assert is_transient(wrapped(cause, sqlstate))
    # Also when only the chained driver exception says so.
    assert is_transient(wrapped(cause, None))


def test_a_refused_connection_is_transient() -> None:
    assert is_transient(ConnectionRefusedError(111, "Connect call failed"))
    assert is_transient(wrapped(OSError("Connect call failed"), None))


def test_a_constraint_violation_is_not_transient() -> None:
    cause = asyncpg.exceptions.UniqueViolationError("duplicate key")
    assert not is_transient(wrapped(cause, "23505", IntegrityError))
    assert not is_transient(ValueError("bad input"))
