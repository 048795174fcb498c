"""Processes the durable inbox: oldest first, one payload at a time, so that a customer's
messages are handled in the order he sent them. A payload that fails for any reason but
an outage is kept as failed, with its error; an outage leaves it for the next round."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from storage.db import is_transient
from usecases.context import AppContext

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 50

Processor = Callable[[str], Awaitable[None]]


class InboxWorker:
    def __init__(
        self, ctx: AppContext, processors: dict[str, Processor], lease: timedelta = LEASE
    ) -> None:
        self._ctx = ctx
        self._processors = processors
        # A claimed batch whose worker died goes back to the queue after this.
        self._lease = lease

    async def recover(self, *, single_process: bool) -> int:
        async with self._ctx.db.uow() as uow:
            released = await uow.inbox.release_expired(self._ctx.clock.now(), single_process)
            await uow.commit()
        return released

    async def run_once(self) -> int:
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            await uow.inbox.release_expired(now)
            rows = await uow.inbox.claim(list(self._processors), now, BATCH, self._lease)
            await uow.commit()
        done: list[int] = []
        try:
            for row_id, channel, payload in rows:
                try:
                    await self._processors[channel](payload)
                except Exception as exc:
                    if is_transient(exc):
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
        # If that failed too (database away), the lease returns the rows later and the
        # processors' own deduplication makes the second pass harmless.
