"""Processes the durable inbox: oldest first, one payload at a time, so that a customer's
messages are handled in the order he sent them. A claimed batch is processed in chunks,
each one transaction with one commit (storage/batch.py): every payload in a savepoint,
the rows marked done in the same commit, workers woken only after it. A payload that
fails for any reason but an outage is rolled back alone and retried with backoff a few
times, or kept as failed at once when a retry cannot help (usecases.inbound_retry); an
outage rolls back the chunk and leaves its rows for the next round."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from usecases.context import AppContext, holding_effects
from usecases.outage import is_outage
from workers.inbox_chunk import Failure, log_failure, release_effects, settle

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
BATCH = 50
# One transaction (one commit) holds at most this many payloads, and stops taking more
# once it has run this long: on SQLite the transaction holds the one writer lock, which
# the door's webhook writes and every other unit of work wait for.
# On SQLite a chunk also ends as soon as another writer (above all the door, whose
# webhook requests wait for their commit) has waited YIELD_AFTER for the lock.
CHUNK = 50
CHUNK_SECONDS = 0.25
YIELD_AFTER = 0.05

Processor = Callable[[str], Awaitable[None]]
Row = tuple[int, str, str, int]


class InboxWorker:
    def __init__(
        self,
        ctx: AppContext,
        processors: dict[str, Processor],
        holder: str,
        lease: timedelta = LEASE,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self._ctx = ctx
        # Once set, the rest of a batch is handed back for a successor.
        self._stopping = stopping or asyncio.Event()
        self._processors = processors
        self._holder = holder
        # The heartbeat renews it; it runs out only for a holder alive but stuck.
        self._lease = lease
        # Rows of a batch whose closing failed (the database went away): (done, rest).
        # They are closed first thing next round: the heartbeat keeps renewing their
        # lease, so left alone they would stay claimed for ever.
        self._unclosed: tuple[list[int], list[int]] = ([], [])

    async def run_once(self) -> int:
        if self._unclosed[0] or self._unclosed[1]:
            done, rest = self._unclosed
            self._unclosed = ([], [])
            if not await self._close_batch(done, rest):
                return 0
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            await uow.inbox.release_expired(now)
            rows = await uow.inbox.claim(
                list(self._processors), now, BATCH, self._lease, self._holder
            )
            await uow.commit()
        done: list[int] = []
        # Failed rows are settled one by one (retry later or failed) and must not be
        # handed back as pending with the rest: that re-ran them in a hot loop.
        settled: set[int] = set()
        try:
            position = 0
            while position < len(rows) and not self._stopping.is_set():
                position = await self._run_chunk(rows, position, done, settled)
        finally:
            # The processed rows were marked done in their chunk's commit, even when an
            # outage stops a later chunk; the rest goes back to pending for the next round.
            rest = [row[0] for row in rows if row[0] not in done and row[0] not in settled]
            await self._close_batch([], rest)
        return len(rows)

    async def _run_chunk(
        self, rows: list[Row], position: int, done: list[int], settled: set[int]
    ) -> int:
        """Process rows from `position` in one transaction, each payload in a savepoint,
        until the chunk is full or has taken CHUNK_SECONDS; marks them done in the same
        commit, then wakes whom they asked to wake. Returns where the next chunk starts.
        An outage rolls the whole chunk back (raised: its rows go back to pending)."""
        chunk_done: list[int] = []
        failures: list[Failure] = []
        started = time.monotonic()
        with holding_effects() as held:
            async with self._ctx.db.batch() as batch:
                while position < len(rows) and not self._stopping.is_set():
                    if len(chunk_done) + len(failures) >= CHUNK or (
                        chunk_done
                        and (
                            time.monotonic() - started > CHUNK_SECONDS
                            or batch.writer_waited() > YIELD_AFTER
                        )
                    ):
                        break
                    row_id, channel, payload, attempts = rows[position]
                    position += 1
                    try:
                        async with batch.payload():
                            await self._processors[channel](payload)
                    except Exception as exc:
                        if is_outage(exc):
                            raise
                        failure = Failure(row_id, channel, attempts, exc, self._ctx.clock.now())
                        await settle(batch, failure)
                        failures.append(failure)
                        continue
                    chunk_done.append(row_id)
                await batch.inbox.finish(chunk_done, self._ctx.clock.now())
                await batch.commit()
        done.extend(chunk_done)
        for failure in failures:
            settled.add(failure.row_id)
            log_failure(failure)
        await release_effects(self._ctx, held)
        return position

    async def _close_batch(self, done: list[int], rest: list[int]) -> bool:
        """Mark the processed rows done and give the rest back; False when the database
        was away (kept to be closed next round)."""
        if not done and not rest:
            return True
        try:
            async with self._ctx.db.uow() as uow:
                await uow.inbox.finish(done, self._ctx.clock.now())
                for row_id in rest:
                    await uow.inbox.set_status(row_id, "pending")
                await uow.commit()
        except Exception as exc:
            log.warning("inbox: could not close a batch (%s); closing it next round", exc)
            self._unclosed = (self._unclosed[0] + done, self._unclosed[1] + rest)
            return False
        return True
