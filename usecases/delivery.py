"""Delivery of the outbox: claim due rows, send them within the channel's limits, record
the outcome. A batch's outcomes are recorded together, one statement per kind (sent,
retry, failed), as soon as its sends are done, so a row that went out is never sent
again; a row whose sender died goes back to the queue as soon as its holder is found
gone (usecases/claims.py). Before the platform is called the row is marked as attempted
(with the rows due to follow it within a second, in one statement), so that a crash can
double only the sends attempted and not yet recorded (docs/operations.md)."""

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
    """Marks rows as attempted before their send. One commit marks the sends that start
    together and the rows of the batch planned to follow them within `ahead` rows (the
    channel's rate over one second): a statement per second of sending, not per send."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()
        self._marked: set[int] = set()
        self._plan: dict[int, list[int]] = {}

    def plan(self, queues: list[list[int]], ahead: list[int]) -> None:
        """The batch's rows in the order they are to be sent, per queue (channel), and how
        many of each queue one mark may take ahead of the row that needs it."""
        self._marked.clear()
        self._plan = {}
        for queue, count in zip(queues, ahead, strict=True):
            for index, row_id in enumerate(queue):
                self._plan[row_id] = queue[index + 1 : index + 1 + count]

    async def mark(self, row_id: int) -> None:
        if row_id in self._marked:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, future))
        async with self._lock:
            if not future.done():
                batch, self._waiting = self._waiting, []
                ids = {row for row, _ in batch}
                for row, _ in batch:
                    ids.update(self._plan.get(row, ()))
                ids -= self._marked
                try:
                    if ids:  # else an earlier mark of this window took them all
                        async with self._ctx.db.uow() as uow:
                            await uow.outbox.mark_attempted(sorted(ids), self._ctx.clock.now())
                            await uow.commit()
                except Exception as exc:
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_exception(exc)
                else:
                    self._marked |= ids
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
        idle_poll: float = 0.0,
    ) -> None:
        self._ctx = ctx
        # With nothing due, `round` looks again only when woken, when the earliest row
        # falls due, or after `idle_poll` seconds (rows queued by other processes); 0:
        # at every round the loop runs (its tick, each second).
        self._idle_poll = idle_poll
        self._woken = True
        self._idle = False
        self._next_due: datetime | None = None
        # Whether the next short round reads when the next row falls due: not after a
        # wake, whose rows' due times came with it (`expect`).
        self._refresh_due = True
        self._looked_at = 0.0
        # The heartbeat renews it; it runs out only for a holder alive but stuck.
        self._lease = lease
        self._holder = holder
        self._attempts = _AttemptMarks(ctx)
        # Once set, sends not yet started are handed back for a successor, not begun.
        self._stopping = stopping or asyncio.Event()
        self._senders = senders
        self._rates = {name: (rates or {}).get(name, 28.0) for name in senders}
        self._limiters = {name: AsyncLimiter(1, 1.0 / rate) for name, rate in self._rates.items()}
        self._batch_size = batch_size
        self._backoff = backoff
        self._slots = asyncio.Semaphore(concurrency)
        # When each chat may next receive a message (monotonic seconds).
        self._chat_ready: dict[tuple[str, str], float] = {}

    def wake(self) -> None:
        """Something was queued or handed back: the next round looks at the database."""
        self._woken = True

    def expect(self, due: datetime) -> None:
        """Rows were queued in this process, the earliest due at `due`."""
        self._woken = True
        self._next_due = due if self._next_due is None else min(self._next_due, due)

    async def round(self) -> int:
        """The loop's round: `run_once`, unless the last one found nothing due and
        nothing has changed since that this process could know of."""
        woken = self._woken
        if not woken and self._idle and not self._looked_enough():
            return 0
        self._woken = False
        self._refresh_due = self._refresh_due or not woken
        return await self.run_once()

    def _looked_enough(self) -> bool:
        if self._next_due is not None and self._ctx.clock.now() >= self._next_due:
            return True
        return time.monotonic() - self._looked_at >= self._idle_poll

    async def run_once(self) -> int:
        """Send one batch of due rows; returns how many rows were claimed."""
        now = self._ctx.clock.now()
        channels = list(self._senders)
        async with self._ctx.db.uow() as uow:
            claimed = await uow.outbox.claim_due(
                now, self._batch_size, self._lease, self._holder, channels=channels
            )
            self._looked_at = time.monotonic()
            self._idle = False
            # A poll at every tick finds a row falling due as soon as the time would tell:
            # reading it is worth a statement only where the poll is longer.
            if self._refresh_due and len(claimed) < self._batch_size and self._idle_poll > 1:
                self._next_due = await uow.outbox.next_due(channels)
                self._refresh_due = False
            blocked = await uow.identities.blocked_chats(
                {(row.channel, row.chat_id) for row in claimed if row.contact_id is not None}
            )
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
            first_rows, refused, later = self._split(rows, blocked)
            # A chat's later rows go back at once, due now, in the claim's own commit: the
            # next round takes them in order and `_deliver` waits out the chat's pause in
            # real time. The pause is the platform's, in seconds of the wall; putting it on
            # the lead clock would leave them waiting for ever where that clock stands still.
            await uow.outbox.mark_retry({row.id: (now, "paced") for row in later}, count=False)
            await uow.commit()
        if not rows:
            self._idle = True
            return 0
        self._plan(first_rows)
        results = await asyncio.gather(*(self._deliver(row) for row in first_rows))
        # One transaction records the whole batch, one statement per kind of outcome.
        await self._record([*refused, *zip(first_rows, results, strict=True)])
        # A short batch took every row then due: the next round waits for a wake, the
        # earliest known due time (retries set just now among them) or the idle poll,
        # rather than claim nothing at once. Rows put back paced are due now.
        self._idle = len(rows) < self._batch_size and not later and _HANDED_BACK not in results
        return len(rows)

    def _split(
        self, rows: list[_Row], blocked: set[tuple[str, str]]
    ) -> tuple[list[_Row], list[tuple[_Row, SendResult]], list[_Row]]:
        """The first row of each chat (sent now), the rows of chats that blocked the bot
        (failed unsent), and each chat's later rows (back to the queue)."""
        by_chat: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for row in rows:
            by_chat[(row.channel, row.chat_id)].append(row)
        first_rows: list[_Row] = []
        refused: list[tuple[_Row, SendResult]] = []
        later: list[_Row] = []
        for key, chat_rows in by_chat.items():
            if key in blocked:
                refusal = SendResult(SendStatus.FAILED, error="recipient blocked the bot")
                refused.extend((row, refusal) for row in chat_rows)
                continue
            first_rows.append(chat_rows[0])
            later.extend(chat_rows[1:])
        return first_rows, refused, later

    def _plan(self, rows: list[_Row]) -> None:
        """Tell the attempt marks the order of the sends: per channel, the rows whose
        chat is ready within a second, in turn, as the channel's rate admits them."""
        soon = time.monotonic() + 1.0
        queues = {channel: [] for channel in self._senders}
        for row in rows:
            if self._chat_ready.get((row.channel, row.chat_id), 0.0) <= soon:
                queues[row.channel].append(row.id)
        ahead = [max(0, int(self._rates[channel]) - 1) for channel in queues]
        self._attempts.plan(list(queues.values()), ahead)

    def _interval(self, channel: str, chat_id: str) -> float:
        sender = self._senders[channel]
        if chat_id.startswith("-"):
            return float(getattr(sender, "group_interval", 0.0))
        return float(getattr(sender, "per_chat_interval", 0.0))

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
        sent: dict[int, str | None] = {}
        handed_back: dict[int, tuple[datetime, str]] = {}
        retries: dict[int, tuple[datetime, str]] = {}
        failures: dict[int, str] = {}
        for row, result in results:
            if result is _HANDED_BACK:
                handed_back[row.id] = (now, "handed back at shutdown")
            elif result.status is SendStatus.SENT:
                sent[row.id] = result.external_id
            elif result.status is SendStatus.RETRY and row.attempts < MAX_ATTEMPTS:
                delay = result.retry_after if result.retry_after else self._backoff(row.attempts)
                retries[row.id] = (now + timedelta(seconds=delay), result.error or "retry")
                log.warning(
                    "outbox row %s to %s: %s; retry in %.1fs",
                    row.id,
                    row.channel,
                    result.error,
                    delay,
                )
            else:
                failures[row.id] = result.error or result.status.value
                log.warning("outbox row %s to %s failed: %s", row.id, row.channel, result.error)
        if retries:
            due = min(at for at, _ in retries.values())
            self._next_due = due if self._next_due is None else min(self._next_due, due)
        async with self._ctx.db.uow() as uow:
            await uow.outbox.mark_sent(sent, now)
            await uow.outbox.mark_retry(handed_back, count=False)
            await uow.outbox.mark_retry(retries)
            await uow.outbox.mark_failed(failures)
            for row, result in results:
                if result is not _HANDED_BACK:
                    await self._row_fate(uow, row, result, row.id in retries, now)
            # What the platforms said of our credentials, for the channel watchdog.
            await note_sends(
                self._ctx,
                uow,
                ((row.channel, result) for row, result in results if result is not _HANDED_BACK),
                now,
            )
            await uow.commit()

    async def _row_fate(
        self, uow: UnitOfWork, row: _Row, result: SendResult, retrying: bool, now: datetime
    ) -> None:
        """What follows from one row's outcome beyond the outbox: its message's delivery
        state, the manager told, a blocked recipient remembered."""
        if result.status is SendStatus.SENT:
            if row.message_id is not None:
                await uow.messages.set_delivery(
                    row.message_id, "sent", external_id=result.external_id, at=now
                )
            await fates.delivered(self._ctx, uow, row.sent(), now)
        elif retrying:
            await fates.retrying(self._ctx, uow, row.sent(), result.error, now)
        else:
            await fates.failed(self._ctx, uow, row.sent(), result.status.value, result.error, now)
            if result.status is SendStatus.BLOCKED:
                await uow.identities.set_blocked(row.channel, row.chat_id, now)
