"""The loop that drains the outbox: woken by the scheduler's tick or by a fresh commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from storage.db import is_transient
from usecases.delivery import OutboxDelivery

log = logging.getLogger(__name__)
IDLE_WAIT = 5.0
MAX_BACKOFF = 30.0


class OutboxWorker:
    def __init__(self, delivery: OutboxDelivery) -> None:
        self._delivery = delivery
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = 0.5
        while not stopping.is_set():
            # Cleared before the round, so a wake-up during it is not lost.
            self._wake.clear()
            try:
                claimed = await self._delivery.run_once()
                backoff = 0.5
            except Exception as exc:
                if is_transient(exc):
                    log.warning(
                        "outbox: database unavailable (%s); retry in %.1fs",
                        type(exc).__name__,
                        backoff,
                    )
                else:
                    log.exception("outbox: delivery round failed")
                await self._sleep(stopping, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if claimed == 0:
                await self._sleep(stopping, IDLE_WAIT)

    async def _sleep(self, stopping: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), timeout=seconds
            )
        for waiter in waiters:
            waiter.cancel()
