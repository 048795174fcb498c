"""What every long-polling channel does the same way (Telegram's getUpdates, MAX's GET
/updates): a request that a stop cuts short, a batch stored durably before the platform
is told it was received, and a wait that a stop ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from usecases.context import AppContext
from usecases.inbox import store_inbound_batch
from usecases.outage import is_outage

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0
T = TypeVar("T")


async def sleep_unless_stopping(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep unless stopping; True when the service is stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    return stopping.is_set()


async def unless_stopping(call: Awaitable[T], stopping: asyncio.Event) -> T | None:
    """The call's result, or None when the service stops first (a long poll would
    otherwise hold the shutdown for its whole timeout)."""
    request = asyncio.ensure_future(call)
    stop = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if not request.done():
        request.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await request
        return None
    return request.result()


async def store_until_durable(
    ctx: AppContext,
    channel: str,
    items: list[tuple[str, str]],
    stopping: asyncio.Event,
) -> bool:
    """Store one polled batch in one transaction, waiting out a database outage with
    backoff; False when the service stopped first: the batch was not confirmed, so the
    platform gives it again after a restart."""
    delay = 0.5
    while items:
        try:
            await store_inbound_batch(ctx, channel, items)
            return True
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning(
                "%s: polled batch: database unavailable (%s); waiting %.1fs",
                channel,
                type(exc).__name__,
                delay,
            )
            if await sleep_unless_stopping(stopping, delay):
                return False
            delay = min(delay * 2, MAX_BACKOFF)
    return True
