"""Processes the durable inbox: oldest first, one payload at a time, so that a customer's
messages are handled in the order he sent them. A payload that fails for any reason but
an outage is retried with backoff a few times, or kept as failed at once when a retry
cannot help (usecases.inbound_retry); an outage leaves it for the next round."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from usecases.context import AppContext
from usecases.inbound_retry import after_failure
from usecases.outage import is_outage

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
BATCH = 50

Processor = Callable[[str], Awaitable[None]]


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
            for row_id, channel, payload, attempts in rows:
                if self._stopping.is_set():
                    break
                try:
                    await self._processors[channel](payload)
                except Exception as exc:
                    if is_outage(exc):
                        raise
                    await self._failed(row_id, channel, attempts, exc)
                    settled.add(row_id)
                    continue
                done.append(row_id)
        finally:
            # What was processed is marked even when an outage stops the batch; the rest
            # goes back to pending for the next round.
            rest = [row[0] for row in rows if row[0] not in done and row[0] not in settled]
            await self._close_batch(done, rest)
        return len(rows)

    async def _failed(self, row_id: int, channel: str, attempts: int, exc: Exception) -> None:
        outcome = after_failure(exc, attempts, self._ctx.clock.now())
        async with self._ctx.db.uow() as uow:
            if outcome.next_attempt_at is None:
                await uow.inbox.fail(row_id, outcome.error, self._ctx.clock.now())
            else:
                await uow.inbox.retry_later(row_id, outcome.next_attempt_at, outcome.error)
            await uow.commit()
        # One line per attempt, the traceback only for the last: a bounded log.
        if outcome.next_attempt_at is None:
            log.error(
                "inbound %s #%s failed (attempt %s); kept as failed",
                channel,
                row_id,
                attempts,
                exc_info=exc,
            )
        else:
            log.warning(
                "inbound %s #%s failed (attempt %s): %s; retry at %s",
                channel,
                row_id,
                attempts,
                outcome.error,
                outcome.next_attempt_at.isoformat(),
            )

    async def _close_batch(self, done: list[int], rest: list[int]) -> bool:
        """Mark the processed rows done and give the rest back; False when the database
        was away (kept to be closed next round)."""
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
