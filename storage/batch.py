"""One transaction for a batch of inbound payloads, one commit at its end.

The inbox worker opens a `BatchUnitOfWork` and runs each payload inside `payload()`, a
SAVEPOINT. While the batch is open, every unit of work the use cases open in this task
(`Database.uow()`) joins the batch's transaction instead of opening one of its own (on
SQLite it could not: the batch holds the writer lock). A joined unit of work keeps the
meaning of a unit of work: what it commits stays (until the batch commits or rolls
back), what it leaves uncommitted is rolled back, because each one is a savepoint too.

Savepoints cost two statements, so the first unit of work of a payload uses the
payload's own savepoint rather than nesting another: rolling it back undoes exactly that
unit's work, since nothing came before it in the payload. Only a second unit of work in
the same payload (staff handlers call several use cases) nests.

A joined unit of work starts with an empty identity map, as a unit of work of its own
would: objects loaded by an earlier payload may be stale (another process assigned the
lead meanwhile) and the ORM would not refresh them from a later SELECT.

What a payload does outside the database is not rolled back with it. Everything a
capture sends goes through the outbox (rows in this transaction, sent after the commit)
and the workers are woken after the commit (usecases.context.holding_effects). Staff
handlers answer button presses and edit their own views directly, and dialogs keep their
state in aiogram's FSM storage (Redis): a payload that fails is rolled back after such a
call exactly as its unit of work was before batches; a chunk lost to an outage or a
crash is processed again, so those calls may repeat (a toast, the same view again) and a
dialog step already taken is seen as taken.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import Token
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from storage.uow import AMBIENT_BATCH, UnitOfWork, WriterLock


class _Payload:
    """The savepoint of the payload being processed, opened by its first unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.savepoint: AsyncSessionTransaction | None = None

    async def open_unit(self) -> AsyncSessionTransaction | None:
        """The unit's own savepoint, or None when it uses the payload's (the first one)."""
        if self.savepoint is None:
            self.savepoint = await self.session.begin_nested()
            return None
        return await self.session.begin_nested()

    async def roll_back(self) -> None:
        savepoint, self.savepoint = self.savepoint, None
        if savepoint is not None and savepoint.is_active:
            await savepoint.rollback()

    async def release(self) -> None:
        savepoint, self.savepoint = self.savepoint, None
        if savepoint is not None and savepoint.is_active:
            await savepoint.commit()


class BatchUnitOfWork(UnitOfWork):
    """The batch's own unit of work: the worker marks rows done in it and commits it."""

    _token: Token[Any] | None = None
    _payload: _Payload | None = None
    # The earliest due time of outbox rows the joined units queued: told to the sender
    # after the batch's commit, as a unit of work of its own tells it after its commit.
    _queued_due: datetime | None = None

    def note_queued(self, due: datetime | None) -> None:
        if due is not None and (self._queued_due is None or due < self._queued_due):
            self._queued_due = due

    async def commit(self) -> None:
        self.note_queued(self.outbox.queued)
        self.outbox.queued = None
        due, self._queued_due = self._queued_due, None
        assert self._session is not None
        await self._session.commit()
        if due is not None and self._queued is not None:
            self._queued(due)

    async def __aenter__(self) -> BatchUnitOfWork:
        await super().__aenter__()
        self._token = AMBIENT_BATCH.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            AMBIENT_BATCH.reset(self._token)
            self._token = None
        await super().__aexit__(exc_type, exc, tb)

    @contextlib.asynccontextmanager
    async def payload(self) -> AsyncIterator[None]:
        """One payload: everything it did is rolled back alone if it raises."""
        assert self._session is not None and self._payload is None
        scope = self._payload = _Payload(self._session)
        try:
            yield
        except BaseException as failure:
            try:
                await scope.roll_back()
            except Exception as error:
                # The connection is gone (an outage): that is what the worker must see.
                raise error from failure
            raise
        else:
            await scope.release()
        finally:
            self._payload = None
            # Today's semantics for the next payload: nothing cached from this one.
            self._session.expunge_all()

    def writer_waited(self) -> float:
        """How long another writer (SQLite's door, another unit of work) has waited for
        the writer lock this batch holds; 0 on PostgreSQL, where writers do not queue."""
        lock = self._writer_lock
        return lock.longest_wait() if isinstance(lock, WriterLock) else 0.0

    def join(self) -> UnitOfWork:
        return _JoinedUnitOfWork(self)

    def open_unit(self) -> Any:
        assert self._session is not None
        if self._payload is not None:
            return self._payload.open_unit()
        return self._session.begin_nested()

    async def roll_back_unit(self, own: AsyncSessionTransaction | None) -> None:
        if own is not None:
            if own.is_active:
                await own.rollback()
        elif self._payload is not None:
            await self._payload.roll_back()


class _JoinedUnitOfWork(UnitOfWork):
    """A use case's unit of work inside a batch: a savepoint of the batch's transaction."""

    def __init__(self, batch: BatchUnitOfWork) -> None:
        super().__init__(batch._factory)
        self._batch = batch
        self._own: AsyncSessionTransaction | None = None
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        session = self._batch._session
        assert session is not None
        # Everything before was flushed at a savepoint's release or rolled back with it.
        session.expunge_all()
        self._bind(session)
        self._own = await self._batch.open_unit()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        own, self._own = self._own, None
        if not self._committed:
            await self._batch.roll_back_unit(own)
        # The session is the batch's: it stays open, and so do the loaded objects.
        self._session = None

    async def commit(self) -> None:
        """Kept for the batch's commit: flushed now, undone only with the whole payload."""
        assert self._session is not None
        await self._session.flush()
        own, self._own = self._own, None
        if own is not None and own.is_active:
            await own.commit()
        self._committed = True
        self._batch.note_queued(self.outbox.queued)
        self.outbox.queued = None
