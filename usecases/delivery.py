"""Delivery of the outbox: claim due rows, send them within the channel's limits, record
the outcome. A row is marked sent right after a successful answer, so it is never sent
again; a row whose sender died goes back to the queue as soon as its holder is found
gone (usecases/claims.py). Just before the platform is called the row is marked as
attempted, so that a crash can double only the sends that were in flight."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter

from storage.uow import UnitOfWork
from usecases import fates
from usecases.channel_health import note_sends
from usecases.context import AppContext
from usecases.fates import Sent
from usecases.outage import is_outage
from usecases.ports import ChannelSender, SendResult, SendStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 20
MAX_BACKOFF = 300.0
RECORD_ATTEMPTS = 12


def backoff_seconds(attempts: int) -> float:
    """Exponential with jitter: 2, 4, 8 … seconds, at most five minutes."""
    base = min(MAX_BACKOFF, 2.0 ** max(1, attempts))
    return base * random.uniform(0.8, 1.2)


# A send that had not started when the process began to stop.
_HANDED_BACK = SendResult(SendStatus.RETRY, error="handed back at shutdown")


@dataclass
class _Row:
    id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int
    message_id: int | None
    purpose: str = ""
    lead_id: int | None = None
    notify_manager_id: int | None = None

    def sent(self) -> Sent:
        return Sent(
            self.id,
            self.channel,
            self.chat_id,
            self.purpose,
            self.lead_id,
            self.message_id,
            self.notify_manager_id,
            self.attempts,
        )


class _AttemptMarks:
    """Marks rows as attempted right before their send, committing the marks of sends
    that start together in one transaction (group commit) rather than one each."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def mark(self, row_id: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, future))
        async with self._lock:
            if not future.done():
                batch, self._waiting = self._waiting, []
                try:
                    async with self._ctx.db.uow() as uow:
                        await uow.outbox.mark_attempted(
                            [row for row, _ in batch], self._ctx.clock.now()
                        )
                        await uow.commit()
                except Exception as exc:
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_exception(exc)
                else:
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_result(None)
        await future


class OutboxDelivery:
    def __init__(
        self,
        ctx: AppContext,
        senders: dict[str, ChannelSender],
        *,
        rates: dict[str, float] | None = None,
        batch_size: int = 100,
        concurrency: int = 16,
        backoff: Callable[[int], float] = backoff_seconds,
        lease: timedelta = LEASE,
        holder: str = "",
        stopping: asyncio.Event | None = None,
    ) -> None:
        self._ctx = ctx
        # The heartbeat renews it; it runs out only for a holder alive but stuck.
        self._lease = lease
        self._holder = holder
        self._attempts = _AttemptMarks(ctx)
        # Once set, sends not yet started are handed back for a successor, not begun.
        self._stopping = stopping or asyncio.Event()
        self._senders = senders
        self._limiters = {
            name: AsyncLimiter(1, 1.0 / (rates or {}).get(name, 28.0)) for name in senders
        }
        self._batch_size = batch_size
        self._backoff = backoff
        self._slots = asyncio.Semaphore(concurrency)
        # When each chat may next receive a message (monotonic seconds).
        self._chat_ready: dict[tuple[str, str], float] = {}

    async def run_once(self) -> int:
        """Send one batch of due rows; returns how many rows were claimed."""
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            await uow.outbox.reclaim_expired(now)
            claimed = await uow.outbox.claim_due(
                now, self._batch_size, self._lease, self._holder, channels=list(self._senders)
            )
            blocked = await uow.identities.blocked_chats(
                {(row.channel, row.chat_id) for row in claimed if row.contact_id is not None}
            )
            await uow.commit()
        rows = [
            _Row(
                row.id,
                row.channel,
                row.chat_id,
                row.payload,
                row.attempts,
                row.message_id,
                row.purpose,
                row.lead_id,
                row.notify_manager_id,
            )
            for row in claimed
        ]
        if not rows:
            return 0
        by_chat: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for row in rows:
            by_chat[(row.channel, row.chat_id)].append(row)
        first_rows: list[_Row] = []
        later: list[tuple[_Row, float]] = []
        for key, chat_rows in by_chat.items():
            if key in blocked:
                for row in chat_rows:
                    await self._record(
                        [(row, SendResult(SendStatus.FAILED, error="recipient blocked the bot"))]
                    )
                continue
            first_rows.append(chat_rows[0])
            interval = self._interval(*key)
            later.extend((row, interval * (index + 1)) for index, row in enumerate(chat_rows[1:]))
        if later:
            await self._postpone(later)
        results = await asyncio.gather(*(self._deliver(row) for row in first_rows))
        # One transaction records the whole batch: far fewer commits than one per message.
        await self._record(list(zip(first_rows, results, strict=True)))
        return len(rows)

    def _interval(self, channel: str, chat_id: str) -> float:
        sender = self._senders[channel]
        if chat_id.startswith("-"):
            return float(getattr(sender, "group_interval", 0.0))
        return float(getattr(sender, "per_chat_interval", 0.0))

    async def _postpone(self, rows: list[tuple[_Row, float]]) -> None:
        """A chat's later rows of this batch go back to the queue, due at once: the next
        round takes them in order and `_deliver` waits out the chat's pause in real time.
        The pause is the platform's, in seconds of the wall; putting it on the lead clock
        would leave them waiting for ever where that clock stands still."""
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            for row, _delay in rows:
                await uow.outbox.mark_retry(row.id, now, "paced", count=False)
            await uow.commit()

    async def _deliver(self, row: _Row) -> SendResult:
        key = (row.channel, row.chat_id)
        async with self._slots:
            wait = self._chat_ready.get(key, 0.0) - time.monotonic()
            if not await self._admitted(self._limiters[row.channel], max(wait, 0.0)):
                return _HANDED_BACK
            try:
                await self._attempts.mark(row.id)
            except Exception as exc:  # not marked, not sent: it stays a clean retry
                return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
            try:
                result = await self._senders[row.channel].send(
                    row.chat_id, row.payload, row_id=row.id
                )
            except Exception as exc:  # a sender bug must not stop the others
                log.exception("sender %s crashed on outbox row %s", row.channel, row.id)
                result = SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
            pause = result.retry_after or 0.0
            self._chat_ready[key] = time.monotonic() + max(self._interval(*key), pause)
        return result

    async def _admitted(self, limiter: AsyncLimiter, chat_wait: float) -> bool:
        """Wait for the chat's pause and the channel's rate, unless the process starts to
        stop meanwhile: then the send is not begun (False) and is handed back."""
        if self._stopping.is_set():
            return False
        if chat_wait <= 0 and limiter.has_capacity():
            await limiter.acquire()
            return True

        async def admitted() -> None:
            if chat_wait > 0:
                await asyncio.sleep(chat_wait)
            await limiter.acquire()

        admission = asyncio.ensure_future(admitted())
        stop = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({admission, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if admission.done():
            return True
        admission.cancel()
        return False

    async def _record(self, results: list[tuple[_Row, SendResult]]) -> None:
        # A message that went out must be marked sent, or the lease would send it again:
        # ride out a short database outage here.
        delay = 0.2
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._record_once(results)
                return
            except Exception as exc:
                if not is_outage(exc) or attempt == RECORD_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _record_once(self, results: list[tuple[_Row, SendResult]]) -> None:
        now = self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            for row, result in results:
                await self._record_row(uow, row, result, now)
            # What the platforms said of our credentials, for the channel watchdog.
            await note_sends(
                self._ctx,
                uow,
                ((row.channel, result) for row, result in results if result is not _HANDED_BACK),
                now,
            )
            await uow.commit()

    async def _record_row(
        self, uow: UnitOfWork, row: _Row, result: SendResult, now: datetime
    ) -> None:
        if result is _HANDED_BACK:
            await uow.outbox.mark_retry(row.id, now, "handed back at shutdown", count=False)
        elif result.status is SendStatus.SENT:
            await uow.outbox.mark_sent(row.id, now, result.external_id)
            if row.message_id is not None:
                await uow.messages.set_delivery(
                    row.message_id, "sent", external_id=result.external_id, at=now
                )
            await fates.delivered(self._ctx, uow, row.sent(), now)
        elif result.status is SendStatus.RETRY and row.attempts < MAX_ATTEMPTS:
            delay = result.retry_after if result.retry_after else self._backoff(row.attempts)
            await uow.outbox.mark_retry(
                row.id, now + timedelta(seconds=delay), result.error or "retry"
            )
            log.warning(
                "outbox row %s to %s: %s; retry in %.1fs", row.id, row.channel, result.error, delay
            )
            await fates.retrying(self._ctx, uow, row.sent(), result.error, now)
        else:
            await uow.outbox.mark_failed(row.id, result.error or result.status.value)
            await fates.failed(self._ctx, uow, row.sent(), result.status.value, result.error, now)
            if result.status is SendStatus.BLOCKED:
                await uow.identities.set_blocked(row.channel, row.chat_id, now)
            log.warning("outbox row %s to %s failed: %s", row.id, row.channel, result.error)
