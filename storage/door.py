"""Group commit at the door: every webhook's raw payload in one shared transaction.

A webhook may answer the platform only once its payload is durable, and a commit per
request made the commit (an fsync on SQLite) the price of every request. Here one writer
task per process takes whatever arrived within `window` seconds (at most `max_rows`),
stores it with one multi-row INSERT … ON CONFLICT DO NOTHING and one commit, and only
then tells each waiting request whether its row was new. A batch that fails fails every
request in it (each answers 5xx, so the platform redelivers); the writer goes on with
the next one.

On SQLite the batch goes to one dedicated stdlib `sqlite3` connection on its own thread
(one thread hop a batch, not three a statement as through aiosqlite), under the same
in-process writer lock as every other unit of work, so it never meets SQLITE_BUSY.
On PostgreSQL it is one statement through the service's async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import InboundUpdate
from storage.types import without_nul

log = logging.getLogger(__name__)

_TABLE = InboundUpdate.__table__


@dataclass(frozen=True)
class DoorRow:
    channel: str
    key: str
    payload: str
    received_at: datetime


@dataclass
class _Waiting:
    row: DoorRow
    answer: asyncio.Future[bool] = field(repr=False)


class DoorWriter:
    """The process's one writer of webhook payloads; `store` waits for the commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        writer_lock: asyncio.Lock | None = None,
        *,
        window: float = 0.002,
        max_rows: int = 500,
    ) -> None:
        self._engine = engine
        self._writer_lock = writer_lock
        self.window = window
        self.max_rows = max_rows
        self._queue: asyncio.Queue[_Waiting | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._sqlite: _SqliteWriter | None = None
        if engine.dialect.name == "sqlite":
            path = engine.url.database
            if not path or path == ":memory:" or path.startswith("file:"):
                raise ValueError("the door writer needs an SQLite database file")
            self._sqlite = _SqliteWriter(path, _sqlite_time(engine))
        # Counted for tests and benchmarks: how many batches, how many rows.
        self.batches = 0
        self.rows = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="door-writer")

    async def stop(self) -> None:
        """Writes what is queued, then ends; a `store` after this is refused."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        task, self._task = self._task, None
        await task
        if self._sqlite is not None:
            await self._sqlite.close()

    async def store(self, row: DoorRow) -> bool:
        """True once the row is committed, False once a row with its key is known to be
        stored already; raises what the batch's commit raised."""
        if not self.running:
            raise RuntimeError("the door writer is not running")
        # Cleaned here, as the engine cleans its parameters, so that RETURNING matches.
        row = DoorRow(without_nul(row.channel), without_nul(row.key), row.payload, row.received_at)
        waiting = _Waiting(row, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(waiting)
        return await waiting.answer

    async def _run(self) -> None:
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            deadline = time.monotonic() + self.window
            while len(batch) < self.max_rows:
                item = self._next_ready()
                if item is _EMPTY:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    with contextlib.suppress(TimeoutError):
                        item = await asyncio.wait_for(self._queue.get(), left)
                    if item is _EMPTY:
                        break
                if item is None:
                    closing = True
                    break
                assert isinstance(item, _Waiting)
                batch.append(item)
            await self._write(batch)
        # A clean stop: whatever came in after the stop mark is still written.
        rest: list[_Waiting] = []
        while (item := self._next_ready()) is not _EMPTY:
            if isinstance(item, _Waiting):
                rest.append(item)
        for start in range(0, len(rest), self.max_rows):
            await self._write(rest[start : start + self.max_rows])

    def _next_ready(self) -> Any:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return _EMPTY

    async def _write(self, batch: list[_Waiting]) -> None:
        rows = [item.row for item in batch]
        try:
            if self._writer_lock is not None:
                async with self._writer_lock:
                    new = await self._insert(rows)
            else:
                new = await self._insert(rows)
        except Exception as exc:
            log.warning("door: a batch of %d payloads was not stored: %r", len(batch), exc)
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(exc)
            return
        self.batches += 1
        self.rows += len(batch)
        claimed: set[tuple[str, str]] = set()
        for item in batch:
            ident = (item.row.channel, item.row.key)
            # Two copies of one update in one batch: the first is new, the second is not.
            is_new = ident in new and ident not in claimed
            claimed.add(ident)
            if not item.answer.done():
                item.answer.set_result(is_new)

    async def _insert(self, rows: Sequence[DoorRow]) -> set[tuple[str, str]]:
        if self._sqlite is not None:
            return await self._sqlite.insert(rows)
        values = [
            {
                "channel": row.channel,
                "key": row.key,
                "payload": row.payload,
                "status": "pending",
                "attempts": 0,
                "received_at": row.received_at,
            }
            for row in rows
        ]
        statement = (
            postgresql.insert(_TABLE)
            .values(values)
            .on_conflict_do_nothing()
            .returning(_TABLE.c.channel, _TABLE.c.key)
        )
        async with self._engine.begin() as connection:
            result = await connection.execute(statement)
            return {(channel, key) for channel, key in result.all()}


_EMPTY = object()


def _sqlite_time(engine: AsyncEngine) -> Any:
    """The column type's own bind processor, so the door stores the same text as the ORM."""
    processor = _TABLE.c.received_at.type.bind_processor(engine.dialect)
    assert processor is not None
    return processor


class _SqliteWriter:
    """One stdlib connection, used only from its own thread."""

    def __init__(self, path: str, to_db_time: Any) -> None:
        self._path = path
        self._to_db_time = to_db_time
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="door-sqlite")
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # isolation_level None: we say BEGIN IMMEDIATE ourselves; pragmas as storage/db.py.
        connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    def _insert_sync(self, rows: Sequence[DoorRow]) -> set[tuple[str, str]]:
        if self._connection is None:
            self._connection = self._connect()
        connection = self._connection
        parameters: list[Any] = []
        for row in rows:
            parameters += (
                row.channel,
                row.key,
                without_nul(row.payload),
                self._to_db_time(row.received_at),
            )
        statement = (
            "INSERT INTO inbound_updates (channel, key, payload, status, attempts, received_at)"
            " VALUES "
            + ",".join(["(?, ?, ?, 'pending', 0, ?)"] * len(rows))
            + " ON CONFLICT DO NOTHING RETURNING channel, key"
        )
        connection.execute("BEGIN IMMEDIATE")
        try:
            new = {(channel, key) for channel, key in connection.execute(statement, parameters)}
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        return new

    async def insert(self, rows: Sequence[DoorRow]) -> set[tuple[str, str]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._insert_sync, rows)

    def _close_sync(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close_sync)
        self._thread.shutdown(wait=True)
