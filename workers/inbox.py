"""Processes the durable inbox: oldest first, one payload at a time, so that a customer's
messages are handled in the order he sent them. A payload that fails for any reason but
an outage is kept as failed, with its error; an outage leaves it for the next round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from usecases.context import AppContext
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

    async def run_once(self) -> int:
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            await uow.inbox.release_expired(now)
            rows = await uow.inbox.claim(
                list(self._processors), now, BATCH, self._lease, self._holder
            )
            await uow.commit()
        done: list[int] = []
        try:
            for row_id, channel, payload in rows:
                if self._stopping.is_set():
                    break
                try:
                    await self._processors[channel](payload)
                except Exception as exc:
                    if is_outage(exc):
                        raise
                    log.exception("inbound %s #%s failed; kept as failed", channel, row_id)
                    await self._set(row_id, "failed", f"{type(exc).__name__}: {exc}")
                    continue
                done.append(row_id)
        finally:
            # What was processed is marked even when an outage stops the batch; the rest
            # goes back to pending for the next round.
            await self._close_batch(done, [row[0] for row in rows if row[0] not in done])
        return len(rows)

    async def _set(self, row_id: int, status: str, error: str | None = None) -> None:
        async with self._ctx.db.uow() as uow:
            await uow.inbox.set_status(row_id, status, error)
            await uow.commit()

    async def _close_batch(self, done: list[int], rest: list[int]) -> None:
        with contextlib.suppress(Exception):
            async with self._ctx.db.uow() as uow:
                await uow.inbox.finish(done, self._ctx.clock.now())
                for row_id in rest:
                    await uow.inbox.set_status(row_id, "pending")
                await uow.commit()
        # If that failed too (database away), the rows stay claimed by this live holder
        # until its lease runs out; the processors' own deduplication makes the second
        # pass harmless.
