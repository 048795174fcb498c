"""The durable inbox: a payload is stored the moment it arrives, before the platform is
answered; everything else (capture, staff actions) runs from the stored copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from usecases.context import AppContext
from usecases.inbound_retry import after_failure

# Telegram restarts its update ids at random after a week without updates; forgetting
# delivery ids after three days keeps a new update from looking like an old one.
KEEP_IDS = timedelta(days=3)


async def prune_delivery_ids(ctx: AppContext) -> int:
    before = ctx.clock.now() - KEEP_IDS
    async with ctx.db.uow() as uow:
        pruned = await uow.inbox.prune_done(before) + await uow.receipts.prune(before)
        await uow.commit()
    return pruned


async def store_inbound_batch(ctx: AppContext, channel: str, items: list[tuple[str, str]]) -> int:
    """Commit a batch of raw payloads (key, payload) in one transaction; how many were new."""
    stored = await ctx.db.store_inbound_batch(channel, items, ctx.clock.now())
    if stored:
        ctx.wake("inbox")
    return stored


async def store_inbound(ctx: AppContext, channel: str, key: str, payload: str) -> bool:
    """Commit the raw payload; False for a redelivery of something already stored."""
    stored = await ctx.db.store_inbound(channel, key, payload, ctx.clock.now())
    if stored:
        ctx.wake("inbox")
    return stored


async def keep_failed_inbound(
    ctx: AppContext, channel: str, key: str, payload: str, error: BaseException
) -> bool:
    """A payload whose handling failed where it arrived (a webhook, a poller) goes to the
    inbox as if the inbox worker had tried it once: retried with the same backoff and cap,
    or failed at once when a retry cannot help, and listed and retried like any other.
    False when the channel's key was stored already (a redelivery that failed again)."""
    now = ctx.clock.now()
    outcome = after_failure(error, 1, now)
    async with ctx.db.uow() as uow:
        stored = await uow.inbox.add_tried(
            channel,
            key[:255],
            payload,
            now,
            error=outcome.error,
            next_attempt_at=outcome.next_attempt_at,
        )
        await uow.commit()
    return stored


@dataclass(frozen=True)
class FailedPayload:
    id: int
    channel: str
    attempts: int
    error: str
    received_at: datetime
    failed_at: datetime | None


async def failed_payloads(ctx: AppContext, limit: int = 100) -> list[FailedPayload]:
    """The dead letters of the inbox, newest first."""
    async with ctx.db.uow() as uow:
        rows = await uow.inbox.failed(limit)
    return [
        FailedPayload(
            row.id, row.channel, row.attempts, row.error or "", row.received_at, row.processed_at
        )
        for row in rows
    ]


async def retry_failed(ctx: AppContext, ids: list[int] | None) -> list[int]:
    """Queue failed payloads again (these ids, or every one with None), each with a fresh
    count of attempts; returns the ids that went back to the queue."""
    async with ctx.db.uow() as uow:
        requeued = await uow.inbox.requeue_failed(ids)
        await uow.commit()
    if requeued:
        ctx.wake("inbox")
    return requeued
