"""A worker loop woken by the scheduler's tick or by a fresh commit in this process.

Each round handles what is due in the database and says how much it did; an idle round
sleeps until woken, an outage backs off. Used for the inbox, the outbox and distribution.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from usecases.outage import is_outage

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0


class WokenLoop:
    def __init__(
        self, name: str, round: Callable[[], Awaitable[int]], idle_wait: float = 5.0
    ) -> None:
        self.name = name
        self._round = round
        self._idle_wait = idle_wait
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = 0.5
        while not stopping.is_set():
            # Cleared before the round, so a wake-up during it is not lost.
            self._wake.clear()
            try:
                handled = await self._round()
                backoff = 0.5
            except Exception as exc:
                if is_outage(exc):
                    log.warning(
                        "%s: database unavailable (%s); retry in %.1fs",
                        self.name,
                        type(exc).__name__,
                        backoff,
                    )
                else:
                    log.exception("%s: round failed", self.name)
                await self._sleep(stopping, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if not handled:
                await self._sleep(stopping, self._idle_wait)

    async def _sleep(self, stopping: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), timeout=seconds
            )
        for waiter in waiters:
            waiter.cancel()
